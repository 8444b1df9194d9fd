// A convolution with lhs_dilation 2 (a transposed convolution; jax.grad of a stride-2 convolution
// gives the same for the input's gradient), NHWC 2x32x32x8, HWIO 3x3x8x16. The legalization inserts
// the input at stride 2 into zeros, which the vectorizer wrote without its strides: the module stayed
// unscheduled. The linalg stage now builds the dilated input from unit-stride ops (every element
// followed by a zero: expand_shape, pad, collapse_shape; then the conv's padding), and the default
// schedule runs the convolution on a parallel loop over output rows with a vector FMA kernel.
// RUN: %tilewright compile %s --emit linalg | FileCheck %s --check-prefix=LINALG
// RUN: %tilewright compile %s --threads 1 --emit scheduled 2>&1 | FileCheck %s
// RUN: %tilewright run %s --threads 1 --random-inputs | FileCheck %s --check-prefix=EXEC

// LINALG-NOT: tensor.insert_slice
// LINALG: tensor.expand_shape %arg0 {{\[}}[0], [1, 2], [3, 4], [5]] {{.*}} into tensor<2x32x1x32x1x8xf32>
// LINALG: tensor.pad {{.*}} low[0, 0, 0, 0, 0, 0] high[0, 0, 1, 0, 1, 0]
// LINALG: tensor.collapse_shape {{.*}} : tensor<2x32x2x32x2x8xf32> into tensor<2x64x64x8xf32>
// LINALG: %[[IN:.+]] = tensor.pad %collapsed low[0, 1, 1, 0] high[0, 0, 0, 0]
// LINALG: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[IN]], %arg1
// LINALG-NOT: tensor.insert_slice

// CHECK-NOT: warning
// CHECK-LABEL: func.func public @main
// CHECK-NOT: tensor.insert_slice
// CHECK: scf.forall ({{.*}}) in (2, 63)
// CHECK: vector.fma {{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: scf.forall.in_parallel
// EXEC: result0: float32[2, 63, 63, 16]

module @jit__lambda attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<2x32x32x8xf32>, %arg1: tensor<3x3x8x16xf32>) -> (tensor<2x63x63x16xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.convolution(%arg0, %arg1) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1], pad = [[1, 1], [1, 1]], lhs_dilate = [2, 2], rhs_dilate = [1, 1], reverse = [false, false]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<2x32x32x8xf32>, tensor<3x3x8x16xf32>) -> tensor<2x63x63x16xf32>
    return %0 : tensor<2x63x63x16xf32>
  }
}

