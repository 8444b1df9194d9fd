// `tilewright compile --raise-attention`: the linalg stage runs tw-raise-attention, so JAX's causal
// attention (StableHLO: dot_general, divide, tril via iota/compare/select, reduce max, exp, reduce
// sum, divide, dot_general) is one tw.attention; without the flag the chain stays as it is.
// REQUIRES: tw-extension
// RUN: %tilewright compile %s --emit linalg --raise-attention | FileCheck %s
// RUN: %tilewright compile %s --emit linalg | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: func.func public @main(
// CHECK-NOT:     linalg.matmul
// CHECK:         tw.attention causal scale = 5.000000e-01 indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}] ins(%arg0, %arg1, %arg2 : tensor<7x4xf32>, tensor<7x4xf32>, tensor<7x4xf32>)
// CHECK-NOT:     linalg.matmul
// CHECK:         return

// OFF-LABEL: func.func public @main(
// OFF-NOT:     tw.attention
// OFF:         linalg.matmul
// OFF:         math.exp
// OFF:         linalg.matmul

module @jit_causal attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.transpose %arg1, dims = [1, 0] : (tensor<7x4xf32>) -> tensor<4x7xf32>
    %1 = stablehlo.dot_general %arg0, %0, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<7x4xf32>, tensor<4x7xf32>) -> tensor<7x7xf32>
    %cst = stablehlo.constant dense<2.000000e+00> : tensor<f32>
    %2 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<7x7xf32>
    %3 = stablehlo.divide %1, %2 : tensor<7x7xf32>
    %c = stablehlo.constant dense<true> : tensor<i1>
    %4 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i1>) -> tensor<7x7xi1>
    %5 = call @tril(%4) : (tensor<7x7xi1>) -> tensor<7x7xi1>
    %cst_0 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %6 = call @_where(%5, %3, %cst_0) : (tensor<7x7xi1>, tensor<7x7xf32>, tensor<f32>) -> tensor<7x7xf32>
    %cst_1 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %7 = stablehlo.reduce(%6 init: %cst_1) applies stablehlo.maximum across dimensions = [1] : (tensor<7x7xf32>, tensor<f32>) -> tensor<7xf32>
    %cst_2 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %8 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<7xf32>
    %9 = stablehlo.maximum %8, %7 : tensor<7xf32>
    %10 = stablehlo.broadcast_in_dim %9, dims = [0] : (tensor<7xf32>) -> tensor<7x1xf32>
    %11 = stablehlo.broadcast_in_dim %10, dims = [0, 1] : (tensor<7x1xf32>) -> tensor<7x7xf32>
    %12 = stablehlo.subtract %6, %11 : tensor<7x7xf32>
    %13 = stablehlo.exponential %12 : tensor<7x7xf32>
    %cst_3 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %14 = stablehlo.reduce(%13 init: %cst_3) applies stablehlo.add across dimensions = [1] : (tensor<7x7xf32>, tensor<f32>) -> tensor<7xf32>
    %15 = stablehlo.broadcast_in_dim %14, dims = [0] : (tensor<7xf32>) -> tensor<7x1xf32>
    %16 = stablehlo.broadcast_in_dim %15, dims = [0, 1] : (tensor<7x1xf32>) -> tensor<7x7xf32>
    %17 = stablehlo.divide %13, %16 : tensor<7x7xf32>
    %18 = stablehlo.dot_general %17, %arg2, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<7x7xf32>, tensor<7x4xf32>) -> tensor<7x4xf32>
    return %18 : tensor<7x4xf32>
  }
  func.func private @tril(%arg0: tensor<7x7xi1>) -> tensor<7x7xi1> {
    %0 = stablehlo.iota dim = 0 : tensor<7x7xi32>
    %c = stablehlo.constant dense<0> : tensor<i32>
    %1 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i32>) -> tensor<7x7xi32>
    %2 = stablehlo.add %0, %1 : tensor<7x7xi32>
    %3 = stablehlo.iota dim = 1 : tensor<7x7xi32>
    %4 = stablehlo.compare GE, %2, %3, SIGNED : (tensor<7x7xi32>, tensor<7x7xi32>) -> tensor<7x7xi1>
    %c_0 = stablehlo.constant dense<false> : tensor<i1>
    %5 = stablehlo.broadcast_in_dim %c_0, dims = [] : (tensor<i1>) -> tensor<7x7xi1>
    %6 = stablehlo.select %4, %arg0, %5 : tensor<7x7xi1>, tensor<7x7xi1>
    return %6 : tensor<7x7xi1>
  }
  func.func private @_where(%arg0: tensor<7x7xi1>, %arg1: tensor<7x7xf32>, %arg2: tensor<f32>) -> tensor<7x7xf32> {
    %0 = stablehlo.convert %arg2 : tensor<f32>
    %1 = stablehlo.broadcast_in_dim %0, dims = [] : (tensor<f32>) -> tensor<7x7xf32>
    %2 = stablehlo.select %arg0, %arg1, %1 : tensor<7x7xi1>, tensor<7x7xf32>
    return %2 : tensor<7x7xf32>
  }
}
