module @jit_gpt2_block attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<256x768xf32>, %arg1: tensor<768xf32>, %arg2: tensor<768xf32>, %arg3: tensor<768x2304xf32>, %arg4: tensor<2304xf32>, %arg5: tensor<768x768xf32>, %arg6: tensor<768xf32>, %arg7: tensor<768xf32>, %arg8: tensor<768xf32>, %arg9: tensor<768x3072xf32>, %arg10: tensor<3072xf32>, %arg11: tensor<3072x768xf32>, %arg12: tensor<768xf32>) -> (tensor<256x768xf32> {jax.result_info = "result"}) {
    %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %0 = stablehlo.reduce(%arg0 init: %cst) applies stablehlo.add across dimensions = [1] : (tensor<256x768xf32>, tensor<f32>) -> tensor<256xf32>
    %1 = stablehlo.broadcast_in_dim %0, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_0 = stablehlo.constant dense<7.680000e+02> : tensor<f32>
    %2 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %3 = stablehlo.divide %1, %2 : tensor<256x1xf32>
    %c = stablehlo.constant dense<0> : tensor<i32>
    %4 = call @_var(%arg0, %c) : (tensor<256x768xf32>, tensor<i32>) -> tensor<256x1xf32>
    %5 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x768xf32>
    %6 = stablehlo.subtract %arg0, %5 : tensor<256x768xf32>
    %cst_1 = stablehlo.constant dense<9.99999974E-6> : tensor<f32>
    %7 = stablehlo.broadcast_in_dim %cst_1, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %8 = stablehlo.add %4, %7 : tensor<256x1xf32>
    %9 = stablehlo.sqrt %8 : tensor<256x1xf32>
    %10 = stablehlo.broadcast_in_dim %9, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x768xf32>
    %11 = stablehlo.divide %6, %10 : tensor<256x768xf32>
    %12 = stablehlo.broadcast_in_dim %arg1, dims = [1] : (tensor<768xf32>) -> tensor<1x768xf32>
    %13 = stablehlo.broadcast_in_dim %12, dims = [0, 1] : (tensor<1x768xf32>) -> tensor<256x768xf32>
    %14 = stablehlo.multiply %11, %13 : tensor<256x768xf32>
    %15 = stablehlo.broadcast_in_dim %arg2, dims = [1] : (tensor<768xf32>) -> tensor<1x768xf32>
    %16 = stablehlo.broadcast_in_dim %15, dims = [0, 1] : (tensor<1x768xf32>) -> tensor<256x768xf32>
    %17 = stablehlo.add %14, %16 : tensor<256x768xf32>
    %18 = stablehlo.dot_general %17, %arg3, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x768xf32>, tensor<768x2304xf32>) -> tensor<256x2304xf32>
    %19 = stablehlo.broadcast_in_dim %arg4, dims = [1] : (tensor<2304xf32>) -> tensor<1x2304xf32>
    %20 = stablehlo.broadcast_in_dim %19, dims = [0, 1] : (tensor<1x2304xf32>) -> tensor<256x2304xf32>
    %21 = stablehlo.add %18, %20 : tensor<256x2304xf32>
    %22 = stablehlo.slice %21 [0:256, 0:768] : (tensor<256x2304xf32>) -> tensor<256x768xf32>
    %23 = stablehlo.slice %21 [0:256, 768:1536] : (tensor<256x2304xf32>) -> tensor<256x768xf32>
    %24 = stablehlo.slice %21 [0:256, 1536:2304] : (tensor<256x2304xf32>) -> tensor<256x768xf32>
    %25 = stablehlo.reshape %22 : (tensor<256x768xf32>) -> tensor<256x12x64xf32>
    %26 = stablehlo.reshape %23 : (tensor<256x768xf32>) -> tensor<256x12x64xf32>
    %27 = stablehlo.reshape %24 : (tensor<256x768xf32>) -> tensor<256x12x64xf32>
    %28 = stablehlo.dot_general %25, %26, batching_dims = [1] x [1], contracting_dims = [2] x [2], precision = [DEFAULT, DEFAULT] : (tensor<256x12x64xf32>, tensor<256x12x64xf32>) -> tensor<12x256x256xf32>
    %cst_2 = stablehlo.constant dense<8.000000e+00> : tensor<f32>
    %29 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<12x256x256xf32>
    %30 = stablehlo.divide %28, %29 : tensor<12x256x256xf32>
    %c_3 = stablehlo.constant dense<true> : tensor<i1>
    %31 = stablehlo.broadcast_in_dim %c_3, dims = [] : (tensor<i1>) -> tensor<256x256xi1>
    %32 = call @tril(%31) : (tensor<256x256xi1>) -> tensor<256x256xi1>
    %cst_4 = stablehlo.constant dense<-3.40282347E+38> : tensor<f32>
    %33 = call @_where_0(%32, %30, %cst_4) : (tensor<256x256xi1>, tensor<12x256x256xf32>, tensor<f32>) -> tensor<12x256x256xf32>
    %cst_5 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %34 = stablehlo.reduce(%33 init: %cst_5) applies stablehlo.maximum across dimensions = [2] : (tensor<12x256x256xf32>, tensor<f32>) -> tensor<12x256xf32>
    %cst_6 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %35 = stablehlo.broadcast_in_dim %cst_6, dims = [] : (tensor<f32>) -> tensor<12x256xf32>
    %36 = stablehlo.maximum %35, %34 : tensor<12x256xf32>
    %37 = stablehlo.broadcast_in_dim %36, dims = [0, 1] : (tensor<12x256xf32>) -> tensor<12x256x1xf32>
    %38 = stablehlo.broadcast_in_dim %37, dims = [0, 1, 2] : (tensor<12x256x1xf32>) -> tensor<12x256x256xf32>
    %39 = stablehlo.subtract %33, %38 : tensor<12x256x256xf32>
    %40 = stablehlo.exponential %39 : tensor<12x256x256xf32>
    %cst_7 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %41 = stablehlo.reduce(%40 init: %cst_7) applies stablehlo.add across dimensions = [2] : (tensor<12x256x256xf32>, tensor<f32>) -> tensor<12x256xf32>
    %42 = stablehlo.broadcast_in_dim %41, dims = [0, 1] : (tensor<12x256xf32>) -> tensor<12x256x1xf32>
    %43 = stablehlo.broadcast_in_dim %42, dims = [0, 1, 2] : (tensor<12x256x1xf32>) -> tensor<12x256x256xf32>
    %44 = stablehlo.divide %40, %43 : tensor<12x256x256xf32>
    %45 = stablehlo.dot_general %27, %44, batching_dims = [1] x [0], contracting_dims = [0] x [2], precision = [DEFAULT, DEFAULT] : (tensor<256x12x64xf32>, tensor<12x256x256xf32>) -> tensor<12x64x256xf32>
    %46 = stablehlo.transpose %45, dims = [2, 0, 1] : (tensor<12x64x256xf32>) -> tensor<256x12x64xf32>
    %47 = stablehlo.reshape %46 : (tensor<256x12x64xf32>) -> tensor<256x768xf32>
    %48 = stablehlo.dot_general %47, %arg5, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x768xf32>, tensor<768x768xf32>) -> tensor<256x768xf32>
    %49 = stablehlo.add %arg0, %48 : tensor<256x768xf32>
    %50 = stablehlo.broadcast_in_dim %arg6, dims = [1] : (tensor<768xf32>) -> tensor<1x768xf32>
    %51 = stablehlo.broadcast_in_dim %50, dims = [0, 1] : (tensor<1x768xf32>) -> tensor<256x768xf32>
    %52 = stablehlo.add %49, %51 : tensor<256x768xf32>
    %cst_8 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %53 = stablehlo.reduce(%52 init: %cst_8) applies stablehlo.add across dimensions = [1] : (tensor<256x768xf32>, tensor<f32>) -> tensor<256xf32>
    %54 = stablehlo.broadcast_in_dim %53, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_9 = stablehlo.constant dense<7.680000e+02> : tensor<f32>
    %55 = stablehlo.broadcast_in_dim %cst_9, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %56 = stablehlo.divide %54, %55 : tensor<256x1xf32>
    %c_10 = stablehlo.constant dense<0> : tensor<i32>
    %57 = call @_var(%52, %c_10) : (tensor<256x768xf32>, tensor<i32>) -> tensor<256x1xf32>
    %58 = stablehlo.broadcast_in_dim %56, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x768xf32>
    %59 = stablehlo.subtract %52, %58 : tensor<256x768xf32>
    %cst_11 = stablehlo.constant dense<9.99999974E-6> : tensor<f32>
    %60 = stablehlo.broadcast_in_dim %cst_11, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %61 = stablehlo.add %57, %60 : tensor<256x1xf32>
    %62 = stablehlo.sqrt %61 : tensor<256x1xf32>
    %63 = stablehlo.broadcast_in_dim %62, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x768xf32>
    %64 = stablehlo.divide %59, %63 : tensor<256x768xf32>
    %65 = stablehlo.broadcast_in_dim %arg7, dims = [1] : (tensor<768xf32>) -> tensor<1x768xf32>
    %66 = stablehlo.broadcast_in_dim %65, dims = [0, 1] : (tensor<1x768xf32>) -> tensor<256x768xf32>
    %67 = stablehlo.multiply %64, %66 : tensor<256x768xf32>
    %68 = stablehlo.broadcast_in_dim %arg8, dims = [1] : (tensor<768xf32>) -> tensor<1x768xf32>
    %69 = stablehlo.broadcast_in_dim %68, dims = [0, 1] : (tensor<1x768xf32>) -> tensor<256x768xf32>
    %70 = stablehlo.add %67, %69 : tensor<256x768xf32>
    %71 = stablehlo.dot_general %70, %arg9, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x768xf32>, tensor<768x3072xf32>) -> tensor<256x3072xf32>
    %72 = stablehlo.broadcast_in_dim %arg10, dims = [1] : (tensor<3072xf32>) -> tensor<1x3072xf32>
    %73 = stablehlo.broadcast_in_dim %72, dims = [0, 1] : (tensor<1x3072xf32>) -> tensor<256x3072xf32>
    %74 = stablehlo.add %71, %73 : tensor<256x3072xf32>
    %75 = stablehlo.multiply %74, %74 : tensor<256x3072xf32>
    %76 = stablehlo.multiply %75, %74 : tensor<256x3072xf32>
    %cst_12 = stablehlo.constant dense<4.471500e-02> : tensor<f32>
    %77 = stablehlo.broadcast_in_dim %cst_12, dims = [] : (tensor<f32>) -> tensor<256x3072xf32>
    %78 = stablehlo.multiply %77, %76 : tensor<256x3072xf32>
    %79 = stablehlo.add %74, %78 : tensor<256x3072xf32>
    %cst_13 = stablehlo.constant dense<0.797884583> : tensor<f32>
    %80 = stablehlo.broadcast_in_dim %cst_13, dims = [] : (tensor<f32>) -> tensor<256x3072xf32>
    %81 = stablehlo.multiply %80, %79 : tensor<256x3072xf32>
    %82 = stablehlo.tanh %81 : tensor<256x3072xf32>
    %cst_14 = stablehlo.constant dense<1.000000e+00> : tensor<f32>
    %83 = stablehlo.broadcast_in_dim %cst_14, dims = [] : (tensor<f32>) -> tensor<256x3072xf32>
    %84 = stablehlo.add %83, %82 : tensor<256x3072xf32>
    %cst_15 = stablehlo.constant dense<5.000000e-01> : tensor<f32>
    %85 = stablehlo.broadcast_in_dim %cst_15, dims = [] : (tensor<f32>) -> tensor<256x3072xf32>
    %86 = stablehlo.multiply %85, %84 : tensor<256x3072xf32>
    %87 = stablehlo.multiply %74, %86 : tensor<256x3072xf32>
    %88 = stablehlo.dot_general %87, %arg11, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x3072xf32>, tensor<3072x768xf32>) -> tensor<256x768xf32>
    %89 = stablehlo.add %52, %88 : tensor<256x768xf32>
    %90 = stablehlo.broadcast_in_dim %arg12, dims = [1] : (tensor<768xf32>) -> tensor<1x768xf32>
    %91 = stablehlo.broadcast_in_dim %90, dims = [0, 1] : (tensor<1x768xf32>) -> tensor<256x768xf32>
    %92 = stablehlo.add %89, %91 : tensor<256x768xf32>
    return %92 : tensor<256x768xf32>
  }
  func.func private @_var(%arg0: tensor<256x768xf32>, %arg1: tensor<i32>) -> tensor<256x1xf32> {
    %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %0 = stablehlo.reduce(%arg0 init: %cst) applies stablehlo.add across dimensions = [1] : (tensor<256x768xf32>, tensor<f32>) -> tensor<256xf32>
    %1 = stablehlo.broadcast_in_dim %0, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %cst_0 = stablehlo.constant dense<7.680000e+02> : tensor<f32>
    %2 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %3 = stablehlo.divide %1, %2 : tensor<256x1xf32>
    %4 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<256x1xf32>) -> tensor<256x768xf32>
    %5 = stablehlo.subtract %arg0, %4 : tensor<256x768xf32>
    %6 = chlo.square %5 : tensor<256x768xf32> -> tensor<256x768xf32>
    %7 = stablehlo.convert %arg1 : (tensor<i32>) -> tensor<f32>
    %cst_1 = stablehlo.constant dense<7.680000e+02> : tensor<f32>
    %8 = stablehlo.subtract %cst_1, %7 : tensor<f32>
    %cst_2 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %9 = stablehlo.reduce(%6 init: %cst_2) applies stablehlo.add across dimensions = [1] : (tensor<256x768xf32>, tensor<f32>) -> tensor<256xf32>
    %10 = stablehlo.broadcast_in_dim %9, dims = [0] : (tensor<256xf32>) -> tensor<256x1xf32>
    %11 = stablehlo.broadcast_in_dim %8, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %12 = stablehlo.divide %10, %11 : tensor<256x1xf32>
    %cst_3 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %13 = stablehlo.compare GT, %8, %cst_3, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %cst_4 = stablehlo.constant dense<0x7FC00000> : tensor<f32>
    %14 = call @_where(%13, %12, %cst_4) : (tensor<i1>, tensor<256x1xf32>, tensor<f32>) -> tensor<256x1xf32>
    return %14 : tensor<256x1xf32>
  }
  func.func private @_where(%arg0: tensor<i1>, %arg1: tensor<256x1xf32>, %arg2: tensor<f32>) -> tensor<256x1xf32> {
    %0 = stablehlo.convert %arg2 : tensor<f32>
    %1 = stablehlo.broadcast_in_dim %0, dims = [] : (tensor<f32>) -> tensor<256x1xf32>
    %2 = stablehlo.select %arg0, %arg1, %1 : tensor<i1>, tensor<256x1xf32>
    return %2 : tensor<256x1xf32>
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
  func.func private @_where_0(%arg0: tensor<256x256xi1>, %arg1: tensor<12x256x256xf32>, %arg2: tensor<f32>) -> tensor<12x256x256xf32> {
    %0 = stablehlo.broadcast_in_dim %arg0, dims = [1, 2] : (tensor<256x256xi1>) -> tensor<12x256x256xi1>
    %1 = stablehlo.broadcast_in_dim %arg2, dims = [] : (tensor<f32>) -> tensor<12x256x256xf32>
    %2 = stablehlo.select %0, %arg1, %1 : tensor<12x256x256xi1>, tensor<12x256x256xf32>
    return %2 : tensor<12x256x256xf32>
  }
}
