// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-cpu-default)' | FileCheck %s \
// RUN:   --implicit-check-not='{{[^.a-z_](linalg|memref|scf|tensor|bufferization|affine|vector|arith|math|cf|func)\.}}'

// The whole default CPU pipeline ends in the LLVM dialect only, with a C
// interface wrapper for the entry function: the implicit CHECK-NOT above holds
// for the whole output (the entry's loops, the wrapper, between and after them).
// CHECK-LABEL: llvm.func @main
// CHECK:         llvm.fmul
// CHECK:         llvm.fadd
// CHECK:         llvm.return
// CHECK-LABEL: llvm.func @_mlir_ciface_main
// CHECK:         llvm.call @main
// CHECK:         llvm.return
func.func @main(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> attributes {llvm.emit_c_interface} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}
