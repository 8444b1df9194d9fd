// tw-raise-attention on f16 attention as users write it (`q @ k.swapaxes(-1,
// -2) / sqrt(d)`, `jax.nn.softmax`, `p @ v` on f16 arrays), as `tilewright
// compile --emit linalg` prints it (1 x 2 heads x seq 7 x head dim 4): each
// contraction is f16 -> f32, the softmax rounds to f16 between its steps (S
// before the scale, the max, exp, the row sum before the division, P) and
// runs on [1, 2, 7, 7] between contractions over merged heads. tw.attention
// keeps every step in f32 and rounds P to V's type: as accurate or more.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --load-pass-plugin=%tw-plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(tw-raise-attention))' --mlir-print-local-scope %s | FileCheck %s

// The merged-heads Q.K^T reads [2, 7, 4]: its collapses are folded, Q and K
// are read as the [1, 2, 7, 4] arguments, K's transpose folded into its map.
// CHECK-LABEL: func.func public @f16_plain(
// CHECK-NOT:     linalg.batch_matmul
// CHECK-NOT:     math.exp
// CHECK:         %[[O:.*]] = tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>]
// CHECK-SAME:      ins(%arg0, %arg1, %arg2 : tensor<1x2x7x4xf16>, tensor<1x2x7x4xf16>, tensor<1x2x7x4xf16>) outs(%{{.*}} : tensor<1x2x7x4xf32>)
// CHECK-NOT:     math.exp
// CHECK:         arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func public @f16_plain(%arg0: tensor<1x2x7x4xf16>, %arg1: tensor<1x2x7x4xf16>, %arg2: tensor<1x2x7x4xf16>) -> (tensor<1x2x7x4xf16>) {
  %cst = arith.constant 2.000000e+00 : f16
  %cst_0 = arith.constant 0xFC00 : f16
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x7x4xf32>
  %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x7x4xf16> into tensor<2x7x4xf16>
  %1 = tensor.empty() : tensor<1x2x4x7xf16>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf16>) outs(%1 : tensor<1x2x4x7xf16>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf16> into tensor<2x4x7xf16>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %4 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x7x4xf16>, tensor<2x4x7xf16>) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = tensor.empty() : tensor<1x2x7x7xf16>
  %6 = tensor.empty() : tensor<2x7x7xf16>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%4 : tensor<2x7x7xf32>) outs(%6 : tensor<2x7x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    %23 = arith.divf %22, %cst : f16
    linalg.yield %23 : f16
  } -> tensor<2x7x7xf16>
  %expanded = tensor.expand_shape %7 [[0, 1], [2], [3]] output_shape [1, 2, 7, 7] : tensor<2x7x7xf16> into tensor<1x2x7x7xf16>
  %8 = tensor.empty() : tensor<1x2x7xf16>
  %9 = linalg.fill ins(%cst_0 : f16) outs(%8 : tensor<1x2x7xf16>) -> tensor<1x2x7xf16>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x2x7x7xf16>) outs(%9 : tensor<1x2x7xf16>) {
  ^bb0(%in: f16, %out: f16):
    %22 = arith.maximumf %out, %in : f16
    linalg.yield %22 : f16
  } -> tensor<1x2x7xf16>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded, %10 : tensor<1x2x7x7xf16>, tensor<1x2x7xf16>) outs(%5 : tensor<1x2x7x7xf16>) {
  ^bb0(%in: f16, %in_5: f16, %out: f16):
    %22 = arith.subf %in, %in_5 : f16
    %23 = math.exp %22 : f16
    linalg.yield %23 : f16
  } -> tensor<1x2x7x7xf16>
  %12 = tensor.empty() : tensor<1x2x7xf32>
  %13 = linalg.fill ins(%cst_1 : f32) outs(%12 : tensor<1x2x7xf32>) -> tensor<1x2x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%11 : tensor<1x2x7x7xf16>) outs(%13 : tensor<1x2x7xf32>) {
  ^bb0(%in: f16, %out: f32):
    %22 = arith.extf %in : f16 to f32
    %23 = arith.addf %out, %22 : f32
    linalg.yield %23 : f32
  } -> tensor<1x2x7xf32>
  %expanded_3 = tensor.expand_shape %0 [[0, 1], [2], [3]] output_shape [1, 2, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%expanded_3 : tensor<1x2x7x4xf32>) -> tensor<1x2x7x4xf32>
  %16 = tensor.empty() : tensor<1x2x7x7xf32>
  %17 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%14 : tensor<1x2x7xf32>) outs(%8 : tensor<1x2x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x2x7xf16>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11, %17 : tensor<1x2x7x7xf16>, tensor<1x2x7xf16>) outs(%16 : tensor<1x2x7x7xf32>) {
  ^bb0(%in: f16, %in_5: f16, %out: f32):
    %22 = arith.divf %in, %in_5 : f16
    %23 = arith.extf %22 : f16 to f32
    linalg.yield %23 : f32
  } -> tensor<1x2x7x7xf32>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%18, %arg2 : tensor<1x2x7x7xf32>, tensor<1x2x7x4xf16>) outs(%15 : tensor<1x2x7x4xf32>) {
  ^bb0(%in: f32, %in_5: f16, %out: f32):
    %22 = arith.extf %in_5 : f16 to f32
    %23 = arith.mulf %in, %22 : f32
    %24 = arith.addf %out, %23 : f32
    linalg.yield %24 : f32
  } -> tensor<1x2x7x4xf32>
  %20 = tensor.empty() : tensor<1x1x2x7x4xf16>
  %21 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%19 : tensor<1x2x7x4xf32>) outs(%20 : tensor<1x1x2x7x4xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x1x2x7x4xf16>
  %collapsed_4 = tensor.collapse_shape %21 [[0], [1, 2], [3], [4]] : tensor<1x1x2x7x4xf16> into tensor<1x2x7x4xf16>
  return %collapsed_4 : tensor<1x2x7x4xf16>
}

// Near miss: the row sum is rounded to f16 and doubled before the division.
// CHECK-LABEL: func.func public @f16_sum_doubled(
// CHECK-NOT:     tw.attention
// CHECK:         linalg.batch_matmul
// CHECK:         math.exp
func.func public @f16_sum_doubled(%arg0: tensor<1x2x7x4xf16>, %arg1: tensor<1x2x7x4xf16>, %arg2: tensor<1x2x7x4xf16>) -> (tensor<1x2x7x4xf16>) {
  %cst = arith.constant 2.000000e+00 : f16
  %cst_0 = arith.constant 0xFC00 : f16
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x7x4xf32>
  %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x7x4xf16> into tensor<2x7x4xf16>
  %1 = tensor.empty() : tensor<1x2x4x7xf16>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf16>) outs(%1 : tensor<1x2x4x7xf16>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf16> into tensor<2x4x7xf16>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %4 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x7x4xf16>, tensor<2x4x7xf16>) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = tensor.empty() : tensor<1x2x7x7xf16>
  %6 = tensor.empty() : tensor<2x7x7xf16>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%4 : tensor<2x7x7xf32>) outs(%6 : tensor<2x7x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    %23 = arith.divf %22, %cst : f16
    linalg.yield %23 : f16
  } -> tensor<2x7x7xf16>
  %expanded = tensor.expand_shape %7 [[0, 1], [2], [3]] output_shape [1, 2, 7, 7] : tensor<2x7x7xf16> into tensor<1x2x7x7xf16>
  %8 = tensor.empty() : tensor<1x2x7xf16>
  %9 = linalg.fill ins(%cst_0 : f16) outs(%8 : tensor<1x2x7xf16>) -> tensor<1x2x7xf16>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x2x7x7xf16>) outs(%9 : tensor<1x2x7xf16>) {
  ^bb0(%in: f16, %out: f16):
    %22 = arith.maximumf %out, %in : f16
    linalg.yield %22 : f16
  } -> tensor<1x2x7xf16>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded, %10 : tensor<1x2x7x7xf16>, tensor<1x2x7xf16>) outs(%5 : tensor<1x2x7x7xf16>) {
  ^bb0(%in: f16, %in_5: f16, %out: f16):
    %22 = arith.subf %in, %in_5 : f16
    %23 = math.exp %22 : f16
    linalg.yield %23 : f16
  } -> tensor<1x2x7x7xf16>
  %12 = tensor.empty() : tensor<1x2x7xf32>
  %13 = linalg.fill ins(%cst_1 : f32) outs(%12 : tensor<1x2x7xf32>) -> tensor<1x2x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%11 : tensor<1x2x7x7xf16>) outs(%13 : tensor<1x2x7xf32>) {
  ^bb0(%in: f16, %out: f32):
    %22 = arith.extf %in : f16 to f32
    %23 = arith.addf %out, %22 : f32
    linalg.yield %23 : f32
  } -> tensor<1x2x7xf32>
  %expanded_3 = tensor.expand_shape %0 [[0, 1], [2], [3]] output_shape [1, 2, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%expanded_3 : tensor<1x2x7x4xf32>) -> tensor<1x2x7x4xf32>
  %16 = tensor.empty() : tensor<1x2x7x7xf32>
  %17 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%14 : tensor<1x2x7xf32>) outs(%8 : tensor<1x2x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    %23 = arith.mulf %22, %cst : f16
    linalg.yield %23 : f16
  } -> tensor<1x2x7xf16>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11, %17 : tensor<1x2x7x7xf16>, tensor<1x2x7xf16>) outs(%16 : tensor<1x2x7x7xf32>) {
  ^bb0(%in: f16, %in_5: f16, %out: f32):
    %22 = arith.divf %in, %in_5 : f16
    %23 = arith.extf %22 : f16 to f32
    linalg.yield %23 : f32
  } -> tensor<1x2x7x7xf32>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%18, %arg2 : tensor<1x2x7x7xf32>, tensor<1x2x7x4xf16>) outs(%15 : tensor<1x2x7x4xf32>) {
  ^bb0(%in: f32, %in_5: f16, %out: f32):
    %22 = arith.extf %in_5 : f16 to f32
    %23 = arith.mulf %in, %22 : f32
    %24 = arith.addf %out, %23 : f32
    linalg.yield %24 : f32
  } -> tensor<1x2x7x4xf32>
  %20 = tensor.empty() : tensor<1x1x2x7x4xf16>
  %21 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%19 : tensor<1x2x7x4xf32>) outs(%20 : tensor<1x1x2x7x4xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x1x2x7x4xf16>
  %collapsed_4 = tensor.collapse_shape %21 [[0], [1, 2], [3], [4]] : tensor<1x1x2x7x4xf16> into tensor<1x2x7x4xf16>
  return %collapsed_4 : tensor<1x2x7x4xf16>
}

// Near miss: P is divided in f32 and reaches P.V unrounded while V is f16:
// tw.attention would round P to f16, less accurate than this chain.
// CHECK-LABEL: func.func public @f16_p_not_rounded(
// CHECK-NOT:     tw.attention
// CHECK:         linalg.batch_matmul
// CHECK:         math.exp
func.func public @f16_p_not_rounded(%arg0: tensor<1x2x7x4xf16>, %arg1: tensor<1x2x7x4xf16>, %arg2: tensor<1x2x7x4xf16>) -> (tensor<1x2x7x4xf16>) {
  %cst = arith.constant 2.000000e+00 : f16
  %cst_0 = arith.constant 0xFC00 : f16
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x7x4xf32>
  %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x7x4xf16> into tensor<2x7x4xf16>
  %1 = tensor.empty() : tensor<1x2x4x7xf16>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf16>) outs(%1 : tensor<1x2x4x7xf16>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf16> into tensor<2x4x7xf16>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %4 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x7x4xf16>, tensor<2x4x7xf16>) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = tensor.empty() : tensor<1x2x7x7xf16>
  %6 = tensor.empty() : tensor<2x7x7xf16>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%4 : tensor<2x7x7xf32>) outs(%6 : tensor<2x7x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    %23 = arith.divf %22, %cst : f16
    linalg.yield %23 : f16
  } -> tensor<2x7x7xf16>
  %expanded = tensor.expand_shape %7 [[0, 1], [2], [3]] output_shape [1, 2, 7, 7] : tensor<2x7x7xf16> into tensor<1x2x7x7xf16>
  %8 = tensor.empty() : tensor<1x2x7xf16>
  %9 = linalg.fill ins(%cst_0 : f16) outs(%8 : tensor<1x2x7xf16>) -> tensor<1x2x7xf16>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x2x7x7xf16>) outs(%9 : tensor<1x2x7xf16>) {
  ^bb0(%in: f16, %out: f16):
    %22 = arith.maximumf %out, %in : f16
    linalg.yield %22 : f16
  } -> tensor<1x2x7xf16>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded, %10 : tensor<1x2x7x7xf16>, tensor<1x2x7xf16>) outs(%5 : tensor<1x2x7x7xf16>) {
  ^bb0(%in: f16, %in_5: f16, %out: f16):
    %22 = arith.subf %in, %in_5 : f16
    %23 = math.exp %22 : f16
    linalg.yield %23 : f16
  } -> tensor<1x2x7x7xf16>
  %12 = tensor.empty() : tensor<1x2x7xf32>
  %13 = linalg.fill ins(%cst_1 : f32) outs(%12 : tensor<1x2x7xf32>) -> tensor<1x2x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%11 : tensor<1x2x7x7xf16>) outs(%13 : tensor<1x2x7xf32>) {
  ^bb0(%in: f16, %out: f32):
    %22 = arith.extf %in : f16 to f32
    %23 = arith.addf %out, %22 : f32
    linalg.yield %23 : f32
  } -> tensor<1x2x7xf32>
  %expanded_3 = tensor.expand_shape %0 [[0, 1], [2], [3]] output_shape [1, 2, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%expanded_3 : tensor<1x2x7x4xf32>) -> tensor<1x2x7x4xf32>
  %16 = tensor.empty() : tensor<1x2x7x7xf32>
  %17 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%14 : tensor<1x2x7xf32>) outs(%8 : tensor<1x2x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x2x7xf16>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11, %17 : tensor<1x2x7x7xf16>, tensor<1x2x7xf16>) outs(%16 : tensor<1x2x7x7xf32>) {
  ^bb0(%in: f16, %in_5: f16, %out: f32):
    %22 = arith.extf %in : f16 to f32
    %23 = arith.extf %in_5 : f16 to f32
    %24 = arith.divf %22, %23 : f32
    linalg.yield %24 : f32
  } -> tensor<1x2x7x7xf32>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%18, %arg2 : tensor<1x2x7x7xf32>, tensor<1x2x7x4xf16>) outs(%15 : tensor<1x2x7x4xf32>) {
  ^bb0(%in: f32, %in_5: f16, %out: f32):
    %22 = arith.extf %in_5 : f16 to f32
    %23 = arith.mulf %in, %22 : f32
    %24 = arith.addf %out, %23 : f32
    linalg.yield %24 : f32
  } -> tensor<1x2x7x4xf32>
  %20 = tensor.empty() : tensor<1x1x2x7x4xf16>
  %21 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%19 : tensor<1x2x7x4xf32>) outs(%20 : tensor<1x1x2x7x4xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x1x2x7x4xf16>
  %collapsed_4 = tensor.collapse_shape %21 [[0], [1, 2], [3], [4]] : tensor<1x1x2x7x4xf16> into tensor<1x2x7x4xf16>
  return %collapsed_4 : tensor<1x2x7x4xf16>
}

// GQA by jnp.repeat on f16 (4 query heads over 2 K/V heads): Q.K^T runs over
// [2 K/V heads, 2 x 7 queries], the softmax and P.V over [1, 2, 2, 7]; the
// domain takes P.V's (batch, K/V head, group, query), K and V do not see
// the group.
// CHECK-LABEL: func.func public @gqa_repeat_f16(
// CHECK-NOT:     math.exp
// CHECK:         tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d4, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d6)>]
// CHECK-SAME:      ins(%{{.*}}, %arg1, %arg2 : tensor<1x2x2x7x4xf16>, tensor<1x2x7x4xf16>, tensor<1x2x7x4xf16>)
// CHECK-NOT:     math.exp
func.func public @gqa_repeat_f16(%arg0: tensor<1x4x7x4xf16>, %arg1: tensor<1x2x7x4xf16>, %arg2: tensor<1x2x7x4xf16>) -> (tensor<1x4x7x4xf16>) {
  %cst = arith.constant 2.000000e+00 : f16
  %cst_0 = arith.constant 0xFC00 : f16
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7x4xf32>
  %expanded = tensor.expand_shape %arg0 [[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 7, 4] : tensor<1x4x7x4xf16> into tensor<1x2x2x7x4xf16>
  %collapsed = tensor.collapse_shape %expanded [[0, 1], [2, 3], [4]] : tensor<1x2x2x7x4xf16> into tensor<2x14x4xf16>
  %1 = tensor.empty() : tensor<1x2x4x7xf16>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf16>) outs(%1 : tensor<1x2x4x7xf16>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf16> into tensor<2x4x7xf16>
  %2 = tensor.empty() : tensor<2x14x7xf32>
  %3 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<2x14x7xf32>) -> tensor<2x14x7xf32>
  %4 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x14x4xf16>, tensor<2x4x7xf16>) outs(%3 : tensor<2x14x7xf32>) -> tensor<2x14x7xf32>
  %5 = tensor.empty() {tw.destination = 0 : i64} : tensor<2x14x7xf16>
  %6 = tensor.empty() : tensor<2x14x7xf16>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%4 : tensor<2x14x7xf32>) outs(%5 : tensor<2x14x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %23 = arith.truncf %in : f32 to f16
    %24 = arith.divf %23, %cst : f16
    linalg.yield %24 : f16
  } -> tensor<2x14x7xf16>
  %8 = tensor.empty() : tensor<1x4x7xf16>
  %expanded_3 = tensor.expand_shape %8 [[0], [1, 2, 3], [4]] output_shape [1, 1, 2, 2, 7] : tensor<1x4x7xf16> into tensor<1x1x2x2x7xf16>
  %collapsed_4 = tensor.collapse_shape %expanded_3 [[0, 1, 2], [3, 4]] : tensor<1x1x2x2x7xf16> into tensor<2x14xf16>
  %9 = linalg.fill ins(%cst_0 : f16) outs(%collapsed_4 : tensor<2x14xf16>) -> tensor<2x14xf16>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%7 : tensor<2x14x7xf16>) outs(%9 : tensor<2x14xf16>) {
  ^bb0(%in: f16, %out: f16):
    %23 = arith.maximumf %out, %in : f16
    linalg.yield %23 : f16
  } -> tensor<2x14xf16>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%7, %10 : tensor<2x14x7xf16>, tensor<2x14xf16>) outs(%6 : tensor<2x14x7xf16>) {
  ^bb0(%in: f16, %in_9: f16, %out: f16):
    %23 = arith.subf %in, %in_9 : f16
    %24 = math.exp %23 : f16
    linalg.yield %24 : f16
  } -> tensor<2x14x7xf16>
  %expanded_5 = tensor.expand_shape %11 [[0, 1], [2, 3], [4]] output_shape [1, 2, 2, 7, 7] : tensor<2x14x7xf16> into tensor<1x2x2x7x7xf16>
  %12 = tensor.empty() : tensor<1x4x7xf32>
  %expanded_6 = tensor.expand_shape %12 [[0], [1, 2], [3]] output_shape [1, 2, 2, 7] : tensor<1x4x7xf32> into tensor<1x2x2x7xf32>
  %13 = linalg.fill ins(%cst_1 : f32) outs(%expanded_6 : tensor<1x2x2x7xf32>) -> tensor<1x2x2x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%expanded_5 : tensor<1x2x2x7x7xf16>) outs(%13 : tensor<1x2x2x7xf32>) {
  ^bb0(%in: f16, %out: f32):
    %23 = arith.extf %in : f16 to f32
    %24 = arith.addf %out, %23 : f32
    linalg.yield %24 : f32
  } -> tensor<1x2x2x7xf32>
  %expanded_7 = tensor.expand_shape %0 [[0, 1, 2], [3], [4]] output_shape [1, 2, 2, 7, 4] : tensor<4x7x4xf32> into tensor<1x2x2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%expanded_7 : tensor<1x2x2x7x4xf32>) -> tensor<1x2x2x7x4xf32>
  %16 = tensor.empty() : tensor<1x2x2x7x7xf32>
  %17 = tensor.empty() : tensor<1x2x2x7xf16>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%14 : tensor<1x2x2x7xf32>) outs(%17 : tensor<1x2x2x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %23 = arith.truncf %in : f32 to f16
    linalg.yield %23 : f16
  } -> tensor<1x2x2x7xf16>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%expanded_5, %18 : tensor<1x2x2x7x7xf16>, tensor<1x2x2x7xf16>) outs(%16 : tensor<1x2x2x7x7xf32>) {
  ^bb0(%in: f16, %in_9: f16, %out: f32):
    %23 = arith.divf %in, %in_9 : f16
    %24 = arith.extf %23 : f16 to f32
    linalg.yield %24 : f32
  } -> tensor<1x2x2x7x7xf32>
  %20 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%19, %arg2 : tensor<1x2x2x7x7xf32>, tensor<1x2x7x4xf16>) outs(%15 : tensor<1x2x2x7x4xf32>) {
  ^bb0(%in: f32, %in_9: f16, %out: f32):
    %23 = arith.extf %in_9 : f16 to f32
    %24 = arith.mulf %in, %23 : f32
    %25 = arith.addf %out, %24 : f32
    linalg.yield %25 : f32
  } -> tensor<1x2x2x7x4xf32>
  %21 = tensor.empty() : tensor<1x1x2x2x7x4xf16>
  %22 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d3, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%20 : tensor<1x2x2x7x4xf32>) outs(%21 : tensor<1x1x2x2x7x4xf16>) {
  ^bb0(%in: f32, %out: f16):
    %23 = arith.truncf %in : f32 to f16
    linalg.yield %23 : f16
  } -> tensor<1x1x2x2x7x4xf16>
  %collapsed_8 = tensor.collapse_shape %22 [[0], [1, 2, 3], [4], [5]] : tensor<1x1x2x2x7x4xf16> into tensor<1x4x7x4xf16>
  return %collapsed_8 : tensor<1x4x7x4xf16>
}

// Causal f16 at batch 1 x 1 head (`jnp.where(tril, s, -inf)`): the select
// runs on the [7, 7] scores, the softmax on [1, 1, 7, 7], P on
// [1, 1, 7, 1, 1, 7] with unit key dims that P.V contracts along with the
// keys (reading V's unit batch dims): those stay out of the domain, V's
// unit dims are collapsed.
// CHECK-LABEL: func.func public @causal_f16_batch1(
// CHECK-NOT:     math.exp
// CHECK:         %[[V:.*]] = tensor.collapse_shape %arg2 {{\[\[}}0, 1, 2], [3]] : tensor<1x1x7x4xf16> into tensor<7x4xf16>
// CHECK:         tw.attention causal scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>]
// CHECK-SAME:      ins(%arg0, %{{.*}}, %[[V]] : tensor<1x1x7x4xf16>, tensor<4x7xf16>, tensor<7x4xf16>)
// CHECK-NOT:     math.exp
func.func public @causal_f16_batch1(%arg0: tensor<1x1x7x4xf16>, %arg1: tensor<1x1x7x4xf16>, %arg2: tensor<1x1x7x4xf16>) -> (tensor<1x1x7x4xf16>) {
  %cst = arith.constant 2.000000e+00 : f16
  %cst_0 = arith.constant 0xFC00 : f16
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<7x4xf32>
  %collapsed = tensor.collapse_shape %arg0 [[0, 1, 2], [3]] : tensor<1x1x7x4xf16> into tensor<7x4xf16>
  %1 = tensor.empty() : tensor<1x1x4x7xf16>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x1x7x4xf16>) outs(%1 : tensor<1x1x4x7xf16>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1, 2], [3]] : tensor<1x1x4x7xf16> into tensor<4x7xf16>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %4 = linalg.matmul ins(%collapsed, %collapsed_2 : tensor<7x4xf16>, tensor<4x7xf16>) outs(%3 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %5 = tensor.empty() : tensor<1x1x7x7xf16>
  %6 = tensor.empty() : tensor<7x7xf16>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%4 : tensor<7x7xf32>) outs(%6 : tensor<7x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    %23 = arith.divf %22, %cst : f16
    %24 = linalg.index 0 : index
    %25 = linalg.index 1 : index
    %26 = arith.index_cast %25 : index to i32
    %27 = arith.index_cast %24 : index to i32
    %28 = arith.cmpi sge, %27, %26 : i32
    %29 = arith.select %28, %23, %cst_0 : f16
    linalg.yield %29 : f16
  } -> tensor<7x7xf16>
  %expanded = tensor.expand_shape %7 [[0, 1, 2], [3]] output_shape [1, 1, 7, 7] : tensor<7x7xf16> into tensor<1x1x7x7xf16>
  %8 = tensor.empty() : tensor<1x1x7xf16>
  %9 = linalg.fill ins(%cst_0 : f16) outs(%8 : tensor<1x1x7xf16>) -> tensor<1x1x7xf16>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x1x7x7xf16>) outs(%9 : tensor<1x1x7xf16>) {
  ^bb0(%in: f16, %out: f16):
    %22 = arith.maximumf %out, %in : f16
    linalg.yield %22 : f16
  } -> tensor<1x1x7xf16>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded, %10 : tensor<1x1x7x7xf16>, tensor<1x1x7xf16>) outs(%5 : tensor<1x1x7x7xf16>) {
  ^bb0(%in: f16, %in_6: f16, %out: f16):
    %22 = arith.subf %in, %in_6 : f16
    %23 = math.exp %22 : f16
    linalg.yield %23 : f16
  } -> tensor<1x1x7x7xf16>
  %12 = tensor.empty() : tensor<1x1x7xf32>
  %13 = linalg.fill ins(%cst_1 : f32) outs(%12 : tensor<1x1x7xf32>) -> tensor<1x1x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%11 : tensor<1x1x7x7xf16>) outs(%13 : tensor<1x1x7xf32>) {
  ^bb0(%in: f16, %out: f32):
    %22 = arith.extf %in : f16 to f32
    %23 = arith.addf %out, %22 : f32
    linalg.yield %23 : f32
  } -> tensor<1x1x7xf32>
  %expanded_3 = tensor.expand_shape %0 [[0, 1, 2], [3]] output_shape [1, 1, 7, 4] : tensor<7x4xf32> into tensor<1x1x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%expanded_3 : tensor<1x1x7x4xf32>) -> tensor<1x1x7x4xf32>
  %expanded_4 = tensor.expand_shape %11 [[0], [1], [2], [3, 4, 5]] output_shape [1, 1, 7, 1, 1, 7] : tensor<1x1x7x7xf16> into tensor<1x1x7x1x1x7xf16>
  %16 = tensor.empty() : tensor<1x1x7x1x1x7xf32>
  %17 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%14 : tensor<1x1x7xf32>) outs(%8 : tensor<1x1x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x1x7xf16>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%expanded_4, %17 : tensor<1x1x7x1x1x7xf16>, tensor<1x1x7xf16>) outs(%16 : tensor<1x1x7x1x1x7xf32>) {
  ^bb0(%in: f16, %in_6: f16, %out: f32):
    %22 = arith.divf %in, %in_6 : f16
    %23 = arith.extf %22 : f16 to f32
    linalg.yield %23 : f32
  } -> tensor<1x1x7x1x1x7xf32>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d4, d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%18, %arg2 : tensor<1x1x7x1x1x7xf32>, tensor<1x1x7x4xf16>) outs(%15 : tensor<1x1x7x4xf32>) {
  ^bb0(%in: f32, %in_6: f16, %out: f32):
    %22 = arith.extf %in_6 : f16 to f32
    %23 = arith.mulf %in, %22 : f32
    %24 = arith.addf %out, %23 : f32
    linalg.yield %24 : f32
  } -> tensor<1x1x7x4xf32>
  %20 = tensor.empty() : tensor<1x1x1x1x7x4xf16>
  %21 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%19 : tensor<1x1x7x4xf32>) outs(%20 : tensor<1x1x1x1x7x4xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x1x1x1x7x4xf16>
  %collapsed_5 = tensor.collapse_shape %21 [[0], [1], [2, 3, 4], [5]] : tensor<1x1x1x1x7x4xf16> into tensor<1x1x7x4xf16>
  return %collapsed_5 : tensor<1x1x7x4xf16>
}

// Near miss: the division reads the row sum by the key index (d5), not the
// row: not a softmax.
// CHECK-LABEL: func.func public @causal_f16_sum_by_key(
// CHECK-NOT:     tw.attention
// CHECK:         math.exp
func.func public @causal_f16_sum_by_key(%arg0: tensor<1x1x7x4xf16>, %arg1: tensor<1x1x7x4xf16>, %arg2: tensor<1x1x7x4xf16>) -> (tensor<1x1x7x4xf16>) {
  %cst = arith.constant 2.000000e+00 : f16
  %cst_0 = arith.constant 0xFC00 : f16
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<7x4xf32>
  %collapsed = tensor.collapse_shape %arg0 [[0, 1, 2], [3]] : tensor<1x1x7x4xf16> into tensor<7x4xf16>
  %1 = tensor.empty() : tensor<1x1x4x7xf16>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x1x7x4xf16>) outs(%1 : tensor<1x1x4x7xf16>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1, 2], [3]] : tensor<1x1x4x7xf16> into tensor<4x7xf16>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %4 = linalg.matmul ins(%collapsed, %collapsed_2 : tensor<7x4xf16>, tensor<4x7xf16>) outs(%3 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %5 = tensor.empty() : tensor<1x1x7x7xf16>
  %6 = tensor.empty() : tensor<7x7xf16>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%4 : tensor<7x7xf32>) outs(%6 : tensor<7x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    %23 = arith.divf %22, %cst : f16
    %24 = linalg.index 0 : index
    %25 = linalg.index 1 : index
    %26 = arith.index_cast %25 : index to i32
    %27 = arith.index_cast %24 : index to i32
    %28 = arith.cmpi sge, %27, %26 : i32
    %29 = arith.select %28, %23, %cst_0 : f16
    linalg.yield %29 : f16
  } -> tensor<7x7xf16>
  %expanded = tensor.expand_shape %7 [[0, 1, 2], [3]] output_shape [1, 1, 7, 7] : tensor<7x7xf16> into tensor<1x1x7x7xf16>
  %8 = tensor.empty() : tensor<1x1x7xf16>
  %9 = linalg.fill ins(%cst_0 : f16) outs(%8 : tensor<1x1x7xf16>) -> tensor<1x1x7xf16>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x1x7x7xf16>) outs(%9 : tensor<1x1x7xf16>) {
  ^bb0(%in: f16, %out: f16):
    %22 = arith.maximumf %out, %in : f16
    linalg.yield %22 : f16
  } -> tensor<1x1x7xf16>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded, %10 : tensor<1x1x7x7xf16>, tensor<1x1x7xf16>) outs(%5 : tensor<1x1x7x7xf16>) {
  ^bb0(%in: f16, %in_6: f16, %out: f16):
    %22 = arith.subf %in, %in_6 : f16
    %23 = math.exp %22 : f16
    linalg.yield %23 : f16
  } -> tensor<1x1x7x7xf16>
  %12 = tensor.empty() : tensor<1x1x7xf32>
  %13 = linalg.fill ins(%cst_1 : f32) outs(%12 : tensor<1x1x7xf32>) -> tensor<1x1x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%11 : tensor<1x1x7x7xf16>) outs(%13 : tensor<1x1x7xf32>) {
  ^bb0(%in: f16, %out: f32):
    %22 = arith.extf %in : f16 to f32
    %23 = arith.addf %out, %22 : f32
    linalg.yield %23 : f32
  } -> tensor<1x1x7xf32>
  %expanded_3 = tensor.expand_shape %0 [[0, 1, 2], [3]] output_shape [1, 1, 7, 4] : tensor<7x4xf32> into tensor<1x1x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%expanded_3 : tensor<1x1x7x4xf32>) -> tensor<1x1x7x4xf32>
  %expanded_4 = tensor.expand_shape %11 [[0], [1], [2], [3, 4, 5]] output_shape [1, 1, 7, 1, 1, 7] : tensor<1x1x7x7xf16> into tensor<1x1x7x1x1x7xf16>
  %16 = tensor.empty() : tensor<1x1x7x1x1x7xf32>
  %17 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%14 : tensor<1x1x7xf32>) outs(%8 : tensor<1x1x7xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x1x7xf16>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%expanded_4, %17 : tensor<1x1x7x1x1x7xf16>, tensor<1x1x7xf16>) outs(%16 : tensor<1x1x7x1x1x7xf32>) {
  ^bb0(%in: f16, %in_6: f16, %out: f32):
    %22 = arith.divf %in, %in_6 : f16
    %23 = arith.extf %22 : f16 to f32
    linalg.yield %23 : f32
  } -> tensor<1x1x7x1x1x7xf32>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d4, d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%18, %arg2 : tensor<1x1x7x1x1x7xf32>, tensor<1x1x7x4xf16>) outs(%15 : tensor<1x1x7x4xf32>) {
  ^bb0(%in: f32, %in_6: f16, %out: f32):
    %22 = arith.extf %in_6 : f16 to f32
    %23 = arith.mulf %in, %22 : f32
    %24 = arith.addf %out, %23 : f32
    linalg.yield %24 : f32
  } -> tensor<1x1x7x4xf32>
  %20 = tensor.empty() : tensor<1x1x1x1x7x4xf16>
  %21 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%19 : tensor<1x1x7x4xf32>) outs(%20 : tensor<1x1x1x1x7x4xf16>) {
  ^bb0(%in: f32, %out: f16):
    %22 = arith.truncf %in : f32 to f16
    linalg.yield %22 : f16
  } -> tensor<1x1x1x1x7x4xf16>
  %collapsed_5 = tensor.collapse_shape %21 [[0], [1], [2, 3, 4], [5]] : tensor<1x1x1x1x7x4xf16> into tensor<1x1x7x4xf16>
  return %collapsed_5 : tensor<1x1x7x4xf16>
}
