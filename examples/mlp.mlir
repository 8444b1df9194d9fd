module @jit_mlp attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<7x97xf32>, %arg1: tensor<97x128xf32>, %arg2: tensor<128xf32>, %arg3: tensor<128x10xf32>, %arg4: tensor<10xf32>) -> (tensor<7x10xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<7x97xf32>, tensor<97x128xf32>) -> tensor<7x128xf32>
    %1 = stablehlo.broadcast_in_dim %arg2, dims = [1] : (tensor<128xf32>) -> tensor<1x128xf32>
    %2 = stablehlo.broadcast_in_dim %1, dims = [0, 1] : (tensor<1x128xf32>) -> tensor<7x128xf32>
    %3 = stablehlo.add %0, %2 : tensor<7x128xf32>
    %cst = stablehlo.constant dense<5.000000e-01> : tensor<f32>
    %4 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<7x128xf32>
    %5 = stablehlo.multiply %4, %3 : tensor<7x128xf32>
    %6 = stablehlo.negate %3 : tensor<7x128xf32>
    %cst_0 = stablehlo.constant dense<0.707106769> : tensor<f32>
    %7 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<7x128xf32>
    %8 = stablehlo.multiply %6, %7 : tensor<7x128xf32>
    %9 = chlo.erfc %8 : tensor<7x128xf32> -> tensor<7x128xf32>
    %10 = stablehlo.multiply %5, %9 : tensor<7x128xf32>
    %11 = stablehlo.dot_general %10, %arg3, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<7x128xf32>, tensor<128x10xf32>) -> tensor<7x10xf32>
    %12 = stablehlo.broadcast_in_dim %arg4, dims = [1] : (tensor<10xf32>) -> tensor<1x10xf32>
    %13 = stablehlo.broadcast_in_dim %12, dims = [0, 1] : (tensor<1x10xf32>) -> tensor<7x10xf32>
    %14 = stablehlo.add %11, %13 : tensor<7x10xf32>
    %cst_1 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %15 = stablehlo.reduce(%14 init: %cst_1) applies stablehlo.maximum across dimensions = [1] : (tensor<7x10xf32>, tensor<f32>) -> tensor<7xf32>
    %cst_2 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %16 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<7xf32>
    %17 = stablehlo.maximum %16, %15 : tensor<7xf32>
    %18 = stablehlo.broadcast_in_dim %17, dims = [0] : (tensor<7xf32>) -> tensor<7x1xf32>
    %19 = stablehlo.broadcast_in_dim %18, dims = [0, 1] : (tensor<7x1xf32>) -> tensor<7x10xf32>
    %20 = stablehlo.subtract %14, %19 : tensor<7x10xf32>
    %21 = stablehlo.exponential %20 : tensor<7x10xf32>
    %cst_3 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %22 = stablehlo.reduce(%21 init: %cst_3) applies stablehlo.add across dimensions = [1] : (tensor<7x10xf32>, tensor<f32>) -> tensor<7xf32>
    %23 = stablehlo.broadcast_in_dim %22, dims = [0] : (tensor<7xf32>) -> tensor<7x1xf32>
    %24 = stablehlo.broadcast_in_dim %23, dims = [0, 1] : (tensor<7x1xf32>) -> tensor<7x10xf32>
    %25 = stablehlo.divide %21, %24 : tensor<7x10xf32>
    return %25 : tensor<7x10xf32>
  }
}
