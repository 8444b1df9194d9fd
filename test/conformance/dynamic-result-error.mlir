// RUN: not %tilewright run %s --random-inputs 2>&1 | FileCheck %s

// A shape that depends on an argument's value stays dynamic: a clear error, no traceback.
// CHECK: dynamic-result-error.mlir:[[# @LINE + 2]]:1: error: dynamic shapes are not supported: result #0 of '@main' has type tensor<?x4xf32>, which shape refinement cannot make static
// CHECK-NOT: Traceback
func.func @main(%x: tensor<4xf32>, %n: tensor<i32>) -> tensor<?x4xf32> {
  %r = stablehlo.reshape %n : (tensor<i32>) -> tensor<1xi32>
  %c = stablehlo.constant dense<4> : tensor<1xi32>
  %s = stablehlo.concatenate %r, %c, dim = 0 : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
  %0 = stablehlo.dynamic_broadcast_in_dim %x, %s, dims = [1] : (tensor<4xf32>, tensor<2xi32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
