// RUN: not %tilewright run %s --random-inputs 2>&1 | FileCheck %s

// Bitcasting complex values to integers is invalid StableHLO: an error at the op, not a crash.
// CHECK: complex-bitcast-error.mlir:[[# @LINE + 3]]:{{[0-9]+}}: error: cannot convert between real and complex types
// CHECK-NOT: Traceback
func.func @main(%x: tensor<2xcomplex<f32>>) -> tensor<2xi64> {
  %0 = stablehlo.bitcast_convert %x : (tensor<2xcomplex<f32>>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}
