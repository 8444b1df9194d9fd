// RUN: %tilewright compile %s --emit linalg | FileCheck %s
// RUN: %tilewright run %s --random-inputs | FileCheck %s --check-prefix=EXEC

// A shape computed from constants becomes static before legalization
// (stablehlo-refine-shapes, stablehlo-canonicalize-dynamism), including the
// entry's declared dynamic result.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    -> tensor<2x4xf32>
// CHECK-NOT:     tensor<?x
// EXEC:        result0: float32[2, 4]
func.func @main(%x: tensor<4xf32>) -> tensor<?x4xf32> {
  %s = stablehlo.constant dense<[2, 4]> : tensor<2xi32>
  %0 = stablehlo.dynamic_broadcast_in_dim %x, %s, dims = [1] : (tensor<4xf32>, tensor<2xi32>) -> tensor<?x4xf32>
  %1 = stablehlo.abs %0 : tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}
