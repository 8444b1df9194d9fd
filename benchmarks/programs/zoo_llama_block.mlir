module @jit_llama_block attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<256x512xf32>, %arg1: tensor<512xf32>, %arg2: tensor<512x512xf32>, %arg3: tensor<512x512xf32>, %arg4: tensor<512x512xf32>, %arg5: tensor<512x512xf32>, %arg6: tensor<512xf32>, %arg7: tensor<512x1536xf32>, %arg8: tensor<512x1536xf32>, %arg9: tensor<1536x512xf32>) -> (tensor<256x512xf32> {jax.result_info = "result"}) {
    %0 = chlo.square %arg0 : tensor<256x512xf32> -> tensor<256x512xf32>
    %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %1 = stablehlo.reduce(%0 init: %cst) applies stablehlo.add across dimensions = [1] : (tensor<256x512xf32>, tensor<f32>) -> tensor<256xf32>
    %2 = stablehlo.broadcast_in_dim %1, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_0 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
    %3 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %4 = stablehlo.divide %2, %3 : tensor<256x1xf32>
    %cst_1 = stablehlo.constant dense<9.99999997E-7> : tensor<f32>
    %5 = stablehlo.broadcast_in_dim %cst_1, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %6 = stablehlo.add %4, %5 : tensor<256x1xf32>
    %7 = stablehlo.rsqrt %6 : tensor<256x1xf32>
    %8 = stablehlo.broadcast_in_dim %7, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %9 = stablehlo.multiply %arg0, %8 : tensor<256x512xf32>
    %10 = stablehlo.broadcast_in_dim %arg1, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %11 = stablehlo.broadcast_in_dim %10, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %12 = stablehlo.multiply %9, %11 : tensor<256x512xf32>
    %13 = stablehlo.dot_general %12, %arg2, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x512xf32>) -> tensor<256x512xf32>
    %14 = stablehlo.reshape %13 : (tensor<256x512xf32>) -> tensor<256x8x64xf32>
    %15 = stablehlo.dot_general %12, %arg3, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x512xf32>) -> tensor<256x512xf32>
    %16 = stablehlo.reshape %15 : (tensor<256x512xf32>) -> tensor<256x8x64xf32>
    %17 = stablehlo.dot_general %12, %arg4, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x512xf32>) -> tensor<256x512xf32>
    %18 = stablehlo.reshape %17 : (tensor<256x512xf32>) -> tensor<256x8x64xf32>
    %19 = stablehlo.iota dim = 0 : tensor<32xf32>
    %cst_2 = stablehlo.constant dense<2.000000e+00> : tensor<f32>
    %20 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<32xf32>
    %21 = stablehlo.multiply %20, %19 : tensor<32xf32>
    %cst_3 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %22 = stablehlo.broadcast_in_dim %cst_3, dims = [] : (tensor<f32>) -> tensor<32xf32>
    %23 = stablehlo.add %22, %21 : tensor<32xf32>
    %cst_4 = stablehlo.constant dense<6.400000e+01> : tensor<f32>
    %24 = stablehlo.broadcast_in_dim %cst_4, dims = [] : (tensor<f32>) -> tensor<32xf32>
    %25 = stablehlo.divide %23, %24 : tensor<32xf32>
    %cst_5 = stablehlo.constant dense<1.000000e+04> : tensor<f32>
    %26 = stablehlo.broadcast_in_dim %cst_5, dims = [] : (tensor<f32>) -> tensor<32xf32>
    %27 = stablehlo.power %26, %25 : tensor<32xf32>
    %cst_6 = stablehlo.constant dense<1.000000e+00> : tensor<f32>
    %28 = stablehlo.broadcast_in_dim %cst_6, dims = [] : (tensor<f32>) -> tensor<32xf32>
    %29 = stablehlo.divide %28, %27 : tensor<32xf32>
    %30 = stablehlo.iota dim = 0 : tensor<256xf32>
    %31 = stablehlo.broadcast_in_dim %30, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %32 = stablehlo.broadcast_in_dim %29, dims = [1] : (tensor<32xf32>) -> tensor<1x32xf32>
    %33 = stablehlo.broadcast_in_dim %31, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x32xf32>
    %34 = stablehlo.broadcast_in_dim %32, dims = [0, 1] : (tensor<1x32xf32>) -> tensor<256x32xf32>
    %35 = stablehlo.multiply %33, %34 : tensor<256x32xf32>
    %36 = stablehlo.concatenate %35, %35, dim = 1 : (tensor<256x32xf32>, tensor<256x32xf32>) -> tensor<256x64xf32>
    %37 = stablehlo.broadcast_in_dim %36, dims = [0, 2] : (tensor<256x64xf32>) -> tensor<256x1x64xf32>
    %38 = stablehlo.cosine %37 : tensor<256x1x64xf32>
    %39 = stablehlo.sine %37 : tensor<256x1x64xf32>
    %40 = stablehlo.broadcast_in_dim %38, dims = [0, 1, 2] : (tensor<256x1x64xf32>) -> tensor<256x8x64xf32>
    %41 = stablehlo.multiply %14, %40 : tensor<256x8x64xf32>
    %42 = stablehlo.slice %14 [0:256, 0:8, 0:32] : (tensor<256x8x64xf32>) -> tensor<256x8x32xf32>
    %43 = stablehlo.slice %14 [0:256, 0:8, 32:64] : (tensor<256x8x64xf32>) -> tensor<256x8x32xf32>
    %44 = stablehlo.negate %43 : tensor<256x8x32xf32>
    %45 = stablehlo.concatenate %44, %42, dim = 2 : (tensor<256x8x32xf32>, tensor<256x8x32xf32>) -> tensor<256x8x64xf32>
    %46 = stablehlo.broadcast_in_dim %39, dims = [0, 1, 2] : (tensor<256x1x64xf32>) -> tensor<256x8x64xf32>
    %47 = stablehlo.multiply %45, %46 : tensor<256x8x64xf32>
    %48 = stablehlo.add %41, %47 : tensor<256x8x64xf32>
    %49 = stablehlo.broadcast_in_dim %38, dims = [0, 1, 2] : (tensor<256x1x64xf32>) -> tensor<256x8x64xf32>
    %50 = stablehlo.multiply %16, %49 : tensor<256x8x64xf32>
    %51 = stablehlo.slice %16 [0:256, 0:8, 0:32] : (tensor<256x8x64xf32>) -> tensor<256x8x32xf32>
    %52 = stablehlo.slice %16 [0:256, 0:8, 32:64] : (tensor<256x8x64xf32>) -> tensor<256x8x32xf32>
    %53 = stablehlo.negate %52 : tensor<256x8x32xf32>
    %54 = stablehlo.concatenate %53, %51, dim = 2 : (tensor<256x8x32xf32>, tensor<256x8x32xf32>) -> tensor<256x8x64xf32>
    %55 = stablehlo.broadcast_in_dim %39, dims = [0, 1, 2] : (tensor<256x1x64xf32>) -> tensor<256x8x64xf32>
    %56 = stablehlo.multiply %54, %55 : tensor<256x8x64xf32>
    %57 = stablehlo.add %50, %56 : tensor<256x8x64xf32>
    %58 = stablehlo.dot_general %48, %57, batching_dims = [1] x [1], contracting_dims = [2] x [2], precision = [DEFAULT, DEFAULT] : (tensor<256x8x64xf32>, tensor<256x8x64xf32>) -> tensor<8x256x256xf32>
    %cst_7 = stablehlo.constant dense<8.000000e+00> : tensor<f32>
    %59 = stablehlo.broadcast_in_dim %cst_7, dims = [] : (tensor<f32>) -> tensor<8x256x256xf32>
    %60 = stablehlo.divide %58, %59 : tensor<8x256x256xf32>
    %c = stablehlo.constant dense<true> : tensor<i1>
    %61 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i1>) -> tensor<256x256xi1>
    %62 = call @tril(%61) : (tensor<256x256xi1>) -> tensor<256x256xi1>
    %cst_8 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %63 = call @_where(%62, %60, %cst_8) : (tensor<256x256xi1>, tensor<8x256x256xf32>, tensor<f32>) -> tensor<8x256x256xf32>
    %cst_9 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %64 = stablehlo.reduce(%63 init: %cst_9) applies stablehlo.maximum across dimensions = [2] : (tensor<8x256x256xf32>, tensor<f32>) -> tensor<8x256xf32>
    %cst_10 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %65 = stablehlo.broadcast_in_dim %cst_10, dims = [] : (tensor<f32>) -> tensor<8x256xf32>
    %66 = stablehlo.maximum %65, %64 : tensor<8x256xf32>
    %67 = stablehlo.broadcast_in_dim %66, dims = [0, 1] : (tensor<8x256xf32>) -> tensor<8x256x1xf32>
    %68 = stablehlo.broadcast_in_dim %67, dims = [0, 1, 2] : (tensor<8x256x1xf32>) -> tensor<8x256x256xf32>
    %69 = stablehlo.subtract %63, %68 : tensor<8x256x256xf32>
    %70 = stablehlo.exponential %69 : tensor<8x256x256xf32>
    %cst_11 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %71 = stablehlo.reduce(%70 init: %cst_11) applies stablehlo.add across dimensions = [2] : (tensor<8x256x256xf32>, tensor<f32>) -> tensor<8x256xf32>
    %72 = stablehlo.broadcast_in_dim %71, dims = [0, 1] : (tensor<8x256xf32>) -> tensor<8x256x1xf32>
    %73 = stablehlo.broadcast_in_dim %72, dims = [0, 1, 2] : (tensor<8x256x1xf32>) -> tensor<8x256x256xf32>
    %74 = stablehlo.divide %70, %73 : tensor<8x256x256xf32>
    %75 = stablehlo.dot_general %18, %74, batching_dims = [1] x [0], contracting_dims = [0] x [2], precision = [DEFAULT, DEFAULT] : (tensor<256x8x64xf32>, tensor<8x256x256xf32>) -> tensor<8x64x256xf32>
    %76 = stablehlo.transpose %75, dims = [2, 0, 1] : (tensor<8x64x256xf32>) -> tensor<256x8x64xf32>
    %77 = stablehlo.reshape %76 : (tensor<256x8x64xf32>) -> tensor<256x512xf32>
    %78 = stablehlo.dot_general %77, %arg5, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x512xf32>) -> tensor<256x512xf32>
    %79 = stablehlo.add %arg0, %78 : tensor<256x512xf32>
    %80 = chlo.square %79 : tensor<256x512xf32> -> tensor<256x512xf32>
    %cst_12 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %81 = stablehlo.reduce(%80 init: %cst_12) applies stablehlo.add across dimensions = [1] : (tensor<256x512xf32>, tensor<f32>) -> tensor<256xf32>
    %82 = stablehlo.broadcast_in_dim %81, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_13 = stablehlo.constant dense<5.120000e+02> : tensor<f32>
    %83 = stablehlo.broadcast_in_dim %cst_13, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %84 = stablehlo.divide %82, %83 : tensor<256x1xf32>
    %cst_14 = stablehlo.constant dense<9.99999997E-7> : tensor<f32>
    %85 = stablehlo.broadcast_in_dim %cst_14, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %86 = stablehlo.add %84, %85 : tensor<256x1xf32>
    %87 = stablehlo.rsqrt %86 : tensor<256x1xf32>
    %88 = stablehlo.broadcast_in_dim %87, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x512xf32>
    %89 = stablehlo.multiply %79, %88 : tensor<256x512xf32>
    %90 = stablehlo.broadcast_in_dim %arg6, dims = [1] : (tensor<512xf32>) -> tensor<1x512xf32>
    %91 = stablehlo.broadcast_in_dim %90, dims = [0, 1] : (tensor<1x512xf32>) -> tensor<256x512xf32>
    %92 = stablehlo.multiply %89, %91 : tensor<256x512xf32>
    %93 = stablehlo.dot_general %92, %arg7, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x1536xf32>) -> tensor<256x1536xf32>
    %94 = call @silu(%93) : (tensor<256x1536xf32>) -> tensor<256x1536xf32>
    %95 = stablehlo.dot_general %92, %arg8, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x512xf32>, tensor<512x1536xf32>) -> tensor<256x1536xf32>
    %96 = stablehlo.multiply %94, %95 : tensor<256x1536xf32>
    %97 = stablehlo.dot_general %96, %arg9, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x1536xf32>, tensor<1536x512xf32>) -> tensor<256x512xf32>
    %98 = stablehlo.add %79, %97 : tensor<256x512xf32>
    return %98 : tensor<256x512xf32>
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
  func.func private @silu(%arg0: tensor<256x1536xf32>) -> tensor<256x1536xf32> {
    %0 = stablehlo.negate %arg0 : tensor<256x1536xf32>
    %1 = stablehlo.exponential %0 : tensor<256x1536xf32>
    %cst = stablehlo.constant dense<1.000000e+00> : tensor<f32>
    %2 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<256x1536xf32>
    %3 = stablehlo.add %2, %1 : tensor<256x1536xf32>
    %cst_0 = stablehlo.constant dense<1.000000e+00> : tensor<f32>
    %4 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<256x1536xf32>
    %5 = stablehlo.divide %4, %3 : tensor<256x1536xf32>
    %6 = stablehlo.multiply %arg0, %5 : tensor<256x1536xf32>
    return %6 : tensor<256x1536xf32>
  }
}
