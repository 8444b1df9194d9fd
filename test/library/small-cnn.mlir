// zoo_small_cnn at batch 2 (NHWC 2x32x32x3: 2 x (conv 3x3 SAME + bias + relu + 2x2 max-pool), dense 10),
// as JAX exports it. The SAME paddings are tensor.pads of over MAX_PAD_ELEMENTS (2x34x34x3, 2x18x18x8)
// beside a matmul: the module is scheduled all the same (it once stayed loops, 0.05x XLA). Each large
// pad becomes a buffer filled and copied in small vector tiles (left to bufferization, the copy into
// the strided interior was a memrefCopy element by element), each convolution runs on a parallel
// loop over output rows with a vector FMA kernel reading that buffer, the max-pools are vectorized
// (a loop over the window's rows carrying a vector of maxima; they stayed pooling ops on 1x1x1x8
// tiles), and no warning says anything was left unscheduled.
// RUN: %tilewright compile %s --threads 1 --emit scheduled 2>&1 | FileCheck %s
// RUN: %tilewright compile %s --threads 1 --emit scheduled | FileCheck %s --check-prefix=NOPOOL
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s --check-prefix=BUF
// RUN: %tilewright run %s --threads 1 --random-inputs | FileCheck %s --check-prefix=EXEC

// CHECK-NOT: warning
// CHECK-LABEL: func.func public @main
// CHECK-NOT: tensor.pad
// CHECK: %[[BUF1:.+]] = memref.alloc() : memref<2x34x34x3xf32>
// CHECK: scf.for
// CHECK: vector.transfer_write {{.*}} : vector<{{.*}}xf32>, memref<1x{{.*}}>
// CHECK: scf.for
// CHECK: %[[IN1:.+]] = vector.transfer_read {{.*}} : memref<1x{{.*}}>, vector<{{.*}}xf32>
// CHECK-NEXT: vector.transfer_write %[[IN1]], {{.*}} : vector<{{.*}}xf32>, memref<1x{{.*}}>
// CHECK: %[[PAD1:.+]] = bufferization.to_tensor %[[BUF1]]
// CHECK: scf.forall ({{.*}}) in (2, 32)
// CHECK: vector.transfer_read %[[PAD1]]
// CHECK: vector.fma {{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: scf.forall.in_parallel
// CHECK: arith.maximumf {{.*}} : vector<{{.*}}xf32>
// CHECK: scf.for {{.*}} to %c2 step %c1 iter_args({{.*}}) -> (vector<{{[0-9]+}}x{{[0-9]+}}xf32>)
// CHECK: arith.maximumf {{.*}} : vector<{{.*}}xf32>
// CHECK: %[[BUF2:.+]] = memref.alloc() : memref<2x18x18x8xf32>
// CHECK: %[[PAD2:.+]] = bufferization.to_tensor %[[BUF2]]
// CHECK: scf.forall ({{.*}}) in (2, 16)
// CHECK: vector.transfer_read %[[PAD2]]
// CHECK: vector.fma {{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: scf.forall.in_parallel
// CHECK: return
// NOPOOL-NOT: linalg.pooling
// BUF-NOT: memref.copy
// EXEC: result0: float32[2, 10]

module @jit_small_cnn attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<2x32x32x3xf32>, %arg1: tensor<3x3x3x8xf32>, %arg2: tensor<8xf32>, %arg3: tensor<3x3x8x16xf32>, %arg4: tensor<16xf32>, %arg5: tensor<1024x10xf32>, %arg6: tensor<10xf32>) -> (tensor<2x10xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.convolution(%arg0, %arg1) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1], pad = [[1, 1], [1, 1]], lhs_dilate = [1, 1], rhs_dilate = [1, 1], reverse = [false, false]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<2x32x32x3xf32>, tensor<3x3x3x8xf32>) -> tensor<2x32x32x8xf32>
    %1 = stablehlo.broadcast_in_dim %arg2, dims = [3] : (tensor<8xf32>) -> tensor<1x1x1x8xf32>
    %2 = stablehlo.broadcast_in_dim %1, dims = [0, 1, 2, 3] : (tensor<1x1x1x8xf32>) -> tensor<2x32x32x8xf32>
    %3 = stablehlo.add %0, %2 : tensor<2x32x32x8xf32>
    %4 = call @relu(%3) : (tensor<2x32x32x8xf32>) -> tensor<2x32x32x8xf32>
    %cst = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %5 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<f32>
    %6 = "stablehlo.reduce_window"(%4, %5) <{base_dilations = array<i64: 1, 1, 1, 1>, padding = dense<0> : tensor<4x2xi64>, window_dilations = array<i64: 1, 1, 1, 1>, window_dimensions = array<i64: 1, 2, 2, 1>, window_strides = array<i64: 1, 2, 2, 1>}> ({
    ^bb0(%arg7: tensor<f32>, %arg8: tensor<f32>):
      %19 = stablehlo.maximum %arg7, %arg8 : tensor<f32>
      stablehlo.return %19 : tensor<f32>
    }) : (tensor<2x32x32x8xf32>, tensor<f32>) -> tensor<2x16x16x8xf32>
    %7 = stablehlo.convolution(%6, %arg3) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1], pad = [[1, 1], [1, 1]], lhs_dilate = [1, 1], rhs_dilate = [1, 1], reverse = [false, false]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<2x16x16x8xf32>, tensor<3x3x8x16xf32>) -> tensor<2x16x16x16xf32>
    %8 = stablehlo.broadcast_in_dim %arg4, dims = [3] : (tensor<16xf32>) -> tensor<1x1x1x16xf32>
    %9 = stablehlo.broadcast_in_dim %8, dims = [0, 1, 2, 3] : (tensor<1x1x1x16xf32>) -> tensor<2x16x16x16xf32>
    %10 = stablehlo.add %7, %9 : tensor<2x16x16x16xf32>
    %11 = call @relu_0(%10) : (tensor<2x16x16x16xf32>) -> tensor<2x16x16x16xf32>
    %cst_0 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %12 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<f32>
    %13 = "stablehlo.reduce_window"(%11, %12) <{base_dilations = array<i64: 1, 1, 1, 1>, padding = dense<0> : tensor<4x2xi64>, window_dilations = array<i64: 1, 1, 1, 1>, window_dimensions = array<i64: 1, 2, 2, 1>, window_strides = array<i64: 1, 2, 2, 1>}> ({
    ^bb0(%arg7: tensor<f32>, %arg8: tensor<f32>):
      %19 = stablehlo.maximum %arg7, %arg8 : tensor<f32>
      stablehlo.return %19 : tensor<f32>
    }) : (tensor<2x16x16x16xf32>, tensor<f32>) -> tensor<2x8x8x16xf32>
    %14 = stablehlo.reshape %13 : (tensor<2x8x8x16xf32>) -> tensor<2x1024xf32>
    %15 = stablehlo.dot_general %14, %arg5, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<2x1024xf32>, tensor<1024x10xf32>) -> tensor<2x10xf32>
    %16 = stablehlo.broadcast_in_dim %arg6, dims = [1] : (tensor<10xf32>) -> tensor<1x10xf32>
    %17 = stablehlo.broadcast_in_dim %16, dims = [0, 1] : (tensor<1x10xf32>) -> tensor<2x10xf32>
    %18 = stablehlo.add %15, %17 : tensor<2x10xf32>
    return %18 : tensor<2x10xf32>
  }
  func.func private @relu(%arg0: tensor<2x32x32x8xf32>) -> tensor<2x32x32x8xf32> {
    %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %0 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<2x32x32x8xf32>
    %1 = stablehlo.maximum %arg0, %0 : tensor<2x32x32x8xf32>
    return %1 : tensor<2x32x32x8xf32>
  }
  func.func private @relu_0(%arg0: tensor<2x16x16x16xf32>) -> tensor<2x16x16x16xf32> {
    %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %0 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<2x16x16x16xf32>
    %1 = stablehlo.maximum %arg0, %0 : tensor<2x16x16x16xf32>
    return %1 : tensor<2x16x16x16xf32>
  }
}

