module @jit_gpt_block attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<256x512xf32>, %arg1: tensor<512xf32>, %arg2: tensor<512xf32>, %arg3: tensor<512x1536xf32>, %arg4: tensor<1536xf32>, %arg5: tensor<512x512xf32>, %arg6: tensor<512xf32>, %arg7: tensor<512xf32>, %arg8: tensor<512xf32>, %arg9: tensor<512x2048xf32>, %arg10: tensor<2048xf32>, %arg11: tensor<2048x512xf32>, %arg12: tensor<512xf32>) -> (tensor<256x512xf32> {jax.result_info = "result"}) {
    %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %0 = stablehlo.reduce(%arg0 init: %cst) applies stablehlo.add across dimensions = [1] : (tensor<256x512xf32>, tensor<f32>) -> tensor<256xf32>
    %1 = stablehlo.broadcast_in_dim %0, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_0 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
    %2 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %3 = stablehlo.divide %1, %2 : tensor<256x1xf32>
    %4 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %5 = stablehlo.subtract %arg0, %4 : tensor<256x512xf32>
    %6 = stablehlo.multiply %5, %5 : tensor<256x512xf32>
    %cst_1 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %7 = stablehlo.reduce(%6 init: %cst_1) applies stablehlo.add across dimensions = [1] : (tensor<256x512xf32>, tensor<f32>) -> tensor<256xf32>
    %8 = stablehlo.broadcast_in_dim %7, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_2 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
    %9 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %10 = stablehlo.divide %8, %9 : tensor<256x1xf32>
    %11 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %12 = stablehlo.subtract %arg0, %11 : tensor<256x512xf32>
    %cst_3 = stablehlo.constant dense<9.99999974E-6> : tensor<f32>
    %13 = stablehlo.broadcast_in_dim %cst_3, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %14 = stablehlo.add %10, %13 : tensor<256x1xf32>
    %15 = stablehlo.rsqrt %14 : tensor<256x1xf32>
    %16 = stablehlo.broadcast_in_dim %15, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %17 = stablehlo.multiply %12, %16 : tensor<256x512xf32>
    %18 = stablehlo.broadcast_in_dim %arg1, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %19 = stablehlo.broadcast_in_dim %18, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %20 = stablehlo.multiply %17, %19 : tensor<256x512xf32>
    %21 = stablehlo.broadcast_in_dim %arg2, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %22 = stablehlo.broadcast_in_dim %21, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %23 = stablehlo.add %20, %22 : tensor<256x512xf32>
    %24 = stablehlo.dot_general %23, %arg3, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x1536xf32>) -> tensor<256x1536xf32>
    %25 = stablehlo.broadcast_in_dim %arg4, dims = [1] : (tensor<1536xf32>) -> tensor<1x1536xf32>
    %26 = stablehlo.broadcast_in_dim %25, dims = [0, 1] : (tensor<1x1536xf32>) -> tensor<256x1536xf32>
    %27 = stablehlo.add %24, %26 : tensor<256x1536xf32>
    %28 = stablehlo.slice %27 [0:256, 0:512] : (tensor<256x1536xf32>) -> tensor<256x512xf32>
    %29 = stablehlo.slice %27 [0:256, 512:1024] : (tensor<256x1536xf32>) -> tensor<256x512xf32>
    %30 = stablehlo.slice %27 [0:256, 1024:1536] : (tensor<256x1536xf32>) -> tensor<256x512xf32>
    %31 = stablehlo.reshape %28 : (tensor<256x512xf32>) -> tensor<256x8x64xf32>
    %32 = stablehlo.transpose %31, dims = [1, 0, 2] : (tensor<256x8x64xf32>) -> tensor<8x256x64xf32>
    %33 = stablehlo.reshape %29 : (tensor<256x512xf32>) -> tensor<256x8x64xf32>
    %34 = stablehlo.transpose %33, dims = [1, 0, 2] : (tensor<256x8x64xf32>) -> tensor<8x256x64xf32>
    %35 = stablehlo.reshape %30 : (tensor<256x512xf32>) -> tensor<256x8x64xf32>
    %36 = stablehlo.transpose %35, dims = [1, 0, 2] : (tensor<256x8x64xf32>) -> tensor<8x256x64xf32>
    %37 = stablehlo.transpose %34, dims = [0, 2, 1] : (tensor<8x256x64xf32>) -> tensor<8x64x256xf32>
    %38 = stablehlo.dot_general %32, %37, batching_dims = [0] x [0], contracting_dims = [2] x [1], precision = [DEFAULT, DEFAULT] : (tensor<8x256x64xf32>, tensor<8x64x256xf32>) -> tensor<8x256x256xf32>
    %cst_4 = stablehlo.constant dense<1.250000e-01> : tensor<f32>
    %39 = stablehlo.broadcast_in_dim %cst_4, dims = [] : (tensor<f32>) -> tensor<8x256x256xf32>
    %40 = stablehlo.multiply %38, %39 : tensor<8x256x256xf32>
    %c = stablehlo.constant dense<true> : tensor<i1>
    %41 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i1>) -> tensor<256x256xi1>
    %42 = call @tril(%41) : (tensor<256x256xi1>) -> tensor<256x256xi1>
    %cst_5 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %43 = call @_where(%42, %40, %cst_5) : (tensor<256x256xi1>, tensor<8x256x256xf32>, tensor<f32>) -> tensor<8x256x256xf32>
    %cst_6 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %44 = stablehlo.reduce(%43 init: %cst_6) applies stablehlo.maximum across dimensions = [2] : (tensor<8x256x256xf32>, tensor<f32>) -> tensor<8x256xf32>
    %cst_7 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %45 = stablehlo.broadcast_in_dim %cst_7, dims = [] : (tensor<f32>) -> tensor<8x256xf32>
    %46 = stablehlo.maximum %45, %44 : tensor<8x256xf32>
    %47 = stablehlo.broadcast_in_dim %46, dims = [0, 1] : (tensor<8x256xf32>) -> tensor<8x256x1xf32>
    %48 = stablehlo.broadcast_in_dim %47, dims = [0, 1, 2] : (tensor<8x256x1xf32>) -> tensor<8x256x256xf32>
    %49 = stablehlo.subtract %43, %48 : tensor<8x256x256xf32>
    %50 = stablehlo.exponential %49 : tensor<8x256x256xf32>
    %cst_8 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %51 = stablehlo.reduce(%50 init: %cst_8) applies stablehlo.add across dimensions = [2] : (tensor<8x256x256xf32>, tensor<f32>) -> tensor<8x256xf32>
    %52 = stablehlo.broadcast_in_dim %51, dims = [0, 1] : (tensor<8x256xf32>) -> tensor<8x256x1xf32>
    %53 = stablehlo.broadcast_in_dim %52, dims = [0, 1, 2] : (tensor<8x256x1xf32>) -> tensor<8x256x256xf32>
    %54 = stablehlo.divide %50, %53 : tensor<8x256x256xf32>
    %55 = stablehlo.dot_general %54, %36, batching_dims = [0] x [0], contracting_dims = [2] x [1], precision = [DEFAULT, DEFAULT] : (tensor<8x256x256xf32>, tensor<8x256x64xf32>) -> tensor<8x256x64xf32>
    %56 = stablehlo.transpose %55, dims = [1, 0, 2] : (tensor<8x256x64xf32>) -> tensor<256x8x64xf32>
    %57 = stablehlo.reshape %56 : (tensor<256x8x64xf32>) -> tensor<256x512xf32>
    %58 = stablehlo.dot_general %57, %arg5, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x512xf32>) -> tensor<256x512xf32>
    %59 = stablehlo.add %arg0, %58 : tensor<256x512xf32>
    %60 = stablehlo.broadcast_in_dim %arg6, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %61 = stablehlo.broadcast_in_dim %60, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %62 = stablehlo.add %59, %61 : tensor<256x512xf32>
    %cst_9 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %63 = stablehlo.reduce(%62 init: %cst_9) applies stablehlo.add across dimensions = [1] : (tensor<256x512xf32>, tensor<f32>) -> tensor<256xf32>
    %64 = stablehlo.broadcast_in_dim %63, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_10 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
    %65 = stablehlo.broadcast_in_dim %cst_10, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %66 = stablehlo.divide %64, %65 : tensor<256x1xf32>
    %67 = stablehlo.broadcast_in_dim %66, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %68 = stablehlo.subtract %62, %67 : tensor<256x512xf32>
    %69 = stablehlo.multiply %68, %68 : tensor<256x512xf32>
    %cst_11 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %70 = stablehlo.reduce(%69 init: %cst_11) applies stablehlo.add across dimensions = [1] : (tensor<256x512xf32>, tensor<f32>) -> tensor<256xf32>
    %71 = stablehlo.broadcast_in_dim %70, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_12 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
    %72 = stablehlo.broadcast_in_dim %cst_12, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %73 = stablehlo.divide %71, %72 : tensor<256x1xf32>
    %74 = stablehlo.broadcast_in_dim %66, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %75 = stablehlo.subtract %62, %74 : tensor<256x512xf32>
    %cst_13 = stablehlo.constant dense<9.99999974E-6> : tensor<f32>
    %76 = stablehlo.broadcast_in_dim %cst_13, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %77 = stablehlo.add %73, %76 : tensor<256x1xf32>
    %78 = stablehlo.rsqrt %77 : tensor<256x1xf32>
    %79 = stablehlo.broadcast_in_dim %78, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %80 = stablehlo.multiply %75, %79 : tensor<256x512xf32>
    %81 = stablehlo.broadcast_in_dim %arg7, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %82 = stablehlo.broadcast_in_dim %81, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %83 = stablehlo.multiply %80, %82 : tensor<256x512xf32>
    %84 = stablehlo.broadcast_in_dim %arg8, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %85 = stablehlo.broadcast_in_dim %84, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %86 = stablehlo.add %83, %85 : tensor<256x512xf32>
    %87 = stablehlo.dot_general %86, %arg9, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x2048xf32>) -> tensor<256x2048xf32>
    %88 = stablehlo.broadcast_in_dim %arg10, dims = [1] : (tensor<2048xf32>) -> tensor<1x2048xf32>
    %89 = stablehlo.broadcast_in_dim %88, dims = [0, 1] : (tensor<1x2048xf32>) -> tensor<256x2048xf32>
    %90 = stablehlo.add %87, %89 : tensor<256x2048xf32>
    %91 = stablehlo.multiply %90, %90 : tensor<256x2048xf32>
    %92 = stablehlo.multiply %91, %90 : tensor<256x2048xf32>
    %cst_14 = stablehlo.constant dense<4.471500e-02> : tensor<f32>
    %93 = stablehlo.broadcast_in_dim %cst_14, dims = [] : (tensor<f32>) -> tensor<256x2048xf32>
    %94 = stablehlo.multiply %93, %92 : tensor<256x2048xf32>
    %95 = stablehlo.add %90, %94 : tensor<256x2048xf32>
    %cst_15 = stablehlo.constant dense<0.797884583> : tensor<f32>
    %96 = stablehlo.broadcast_in_dim %cst_15, dims = [] : (tensor<f32>) -> tensor<256x2048xf32>
    %97 = stablehlo.multiply %96, %95 : tensor<256x2048xf32>
    %98 = stablehlo.tanh %97 : tensor<256x2048xf32>
    %cst_16 = stablehlo.constant dense<1.000000e+00> : tensor<f32>
    %99 = stablehlo.broadcast_in_dim %cst_16, dims = [] : (tensor<f32>) -> tensor<256x2048xf32>
    %100 = stablehlo.add %99, %98 : tensor<256x2048xf32>
    %cst_17 = stablehlo.constant dense<5.000000e-01> : tensor<f32>
    %101 = stablehlo.broadcast_in_dim %cst_17, dims = [] : (tensor<f32>) -> tensor<256x2048xf32>
    %102 = stablehlo.multiply %101, %100 : tensor<256x2048xf32>
    %103 = stablehlo.multiply %90, %102 : tensor<256x2048xf32>
    %104 = stablehlo.dot_general %103, %arg11, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x2048xf32>, tensor<2048x512xf32>) -> tensor<256x512xf32>
    %105 = stablehlo.add %62, %104 : tensor<256x512xf32>
    %106 = stablehlo.broadcast_in_dim %arg12, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %107 = stablehlo.broadcast_in_dim %106, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %108 = stablehlo.add %105, %107 : tensor<256x512xf32>
    return %108 : tensor<256x512xf32>
  }
  func.func private @tril(%arg0: tensor<256x256xi1>) -> tensor<256x256xi1> {
    %0 = stablehlo.iota dim = 0 : tensor<256x256xi32>
    %c = stablehlo.constant dense<0> : tensor<i32>
    %1 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i32>) -> tensor<256x256xi32>
    %2 = stablehlo.add %0, %1 : tensor<256x256xi32>
    %3 = stablehlo.iota dim = 1 : tensor<256x256xi32>
    %4 = stablehlo.compare GE, %2, %3, SIGNED : (tensor<256x256xi32>, tensor<256x256xi32>) -> tensor<256x256xi1>
    %c_0 = stablehlo.constant dense<false> : tensor<i1>
    %5 = stablehlo.broadcast_in_dim %c_0, dims = [] : (tensor<i1>) -> tensor<256x256xi1>
    %6 = stablehlo.select %4, %arg0, %5 : tensor<256x256xi1>, tensor<256x256xi1>
    return %6 : tensor<256x256xi1>
  }
  func.func private @_where(%arg0: tensor<256x256xi1>, %arg1: tensor<8x256x256xf32>, %arg2: tensor<f32>) -> tensor<8x256x256xf32> {
    %0 = stablehlo.convert %arg2 : tensor<f32>
    %1 = stablehlo.broadcast_in_dim %arg0, dims = [1, 2] : (tensor<256x256xi1>) -> tensor<8x256x256xi1>
    %2 = stablehlo.broadcast_in_dim %0, dims = [] : (tensor<f32>) -> tensor<8x256x256xf32>
    %3 = stablehlo.select %1, %arg1, %2 : tensor<8x256x256xi1>, tensor<8x256x256xf32>
    return %3 : tensor<8x256x256xf32>
  }
}
