// Convolutions in layouts the legalization has no named op for: NCHW input with an OIHW filter
// (as PyTorch-style code writes them), and two feature groups. Before legalization they become
// channels-last convolutions: the NCHW one between transposes of its input, filter and result,
// the grouped one as one convolution per group over slices of the input and filter features,
// concatenated. Each is a linalg.conv_2d_nhwc_hwcf, which the CPU library schedules; before, both
// were linalg.generic reductions the library only tiled.
// RUN: %tilewright compile %s --emit linalg | FileCheck %s

// CHECK-LABEL: func.func public @main
// CHECK:       %[[X:.+]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x3x9x7xf32>) outs(%{{.*}} : tensor<1x9x7x3xf32>)
// CHECK:       %[[W:.+]] = linalg.generic {{.*}} ins(%arg1 : tensor<4x3x3x3xf32>) outs(%{{.*}} : tensor<3x3x3x4xf32>)
// CHECK:       %[[P:.+]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:       %[[C:.+]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %[[W]] : tensor<1x11x9x3xf32>, tensor<3x3x3x4xf32>)
// CHECK:       linalg.generic {{.*}} ins(%[[C]] : tensor<1x9x7x4xf32>) outs(%{{.*}} : tensor<1x4x9x7xf32>)
// CHECK:       %[[X0:.+]] = tensor.extract_slice %arg2[0, 0, 0, 0] [1, 8, 8, 3] [1, 1, 1, 1]
// CHECK:       %[[W0:.+]] = tensor.extract_slice %arg3[0, 0, 0, 0] [3, 3, 3, 2] [1, 1, 1, 1]
// CHECK:       linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[X0]], %[[W0]] : {{.*}}) {{.*}} -> tensor<1x6x6x2xf32>
// CHECK:       %[[X1:.+]] = tensor.extract_slice %arg2[0, 0, 0, 3] [1, 8, 8, 3] [1, 1, 1, 1]
// CHECK:       %[[W1:.+]] = tensor.extract_slice %arg3[0, 0, 0, 2] [3, 3, 3, 2] [1, 1, 1, 1]
// CHECK:       linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[X1]], %[[W1]] : {{.*}}) {{.*}} -> tensor<1x6x6x2xf32>
// CHECK-NOT:   "reduction"
// CHECK:       return

module @jit_f attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<1x3x9x7xf32>, %arg1: tensor<4x3x3x3xf32>, %arg2: tensor<1x8x8x6xf32>, %arg3: tensor<3x3x3x4xf32>) -> (tensor<1x4x9x7xf32> {jax.result_info = "result[0]"}, tensor<1x6x6x4xf32> {jax.result_info = "result[1]"}) {
    %0 = stablehlo.convolution(%arg0, %arg1) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1], window = {stride = [1, 1], pad = [[1, 1], [1, 1]], lhs_dilate = [1, 1], rhs_dilate = [1, 1], reverse = [false, false]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<1x3x9x7xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x9x7xf32>
    %1 = stablehlo.convolution(%arg2, %arg3) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1], pad = [[0, 0], [0, 0]], lhs_dilate = [1, 1], rhs_dilate = [1, 1], reverse = [false, false]} {batch_group_count = 1 : i64, feature_group_count = 2 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<1x8x8x6xf32>, tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32>
    return %0, %1 : tensor<1x4x9x7xf32>, tensor<1x6x6x4xf32>
  }
}

