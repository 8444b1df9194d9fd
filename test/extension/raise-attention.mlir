// tw-raise-attention on attention as `tilewright compile --emit linalg` prints
// it for JAX programs (seq 7, head dim 4; trimmed of module attributes). Each
// form becomes one tw.attention; the non-matches at the end stay as they are.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --load-pass-plugin=%tw-plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(tw-raise-attention))' --mlir-print-local-scope %s | FileCheck %s
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(func.func(tw-raise-attention))' \
// RUN:   | %mlir-opt --load-dialect-plugin=%tw-plugin --mlir-print-local-scope | FileCheck %s

// Q.K^T with K transposed by a copy generic, a divide by sqrt(d): the copy is
// folded into K's map, the divide becomes the scale, the chain is gone.
// CHECK-LABEL: func.func public @simple(
// CHECK-SAME:    %[[Q:.*]]: tensor<7x4xf32>, %[[K:.*]]: tensor<7x4xf32>, %[[V:.*]]: tensor<7x4xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         %[[INIT:.*]] = linalg.fill
// CHECK-NEXT:    %[[O:.*]] = tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3)>]
// CHECK-SAME:      ins(%[[Q]], %[[K]], %[[V]] : tensor<7x4xf32>, tensor<7x4xf32>, tensor<7x4xf32>) outs(%[[INIT]] : tensor<7x4xf32>)
// CHECK-NEXT:    return %[[O]]
func.func public @simple(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 2.000000e+00 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = tensor.empty() : tensor<7x7xf32>
  %5 = linalg.fill ins(%cst_1 : f32) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%5 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6 : tensor<7x7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.divf %in, %cst : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %8 = tensor.empty() : tensor<7xf32>
  %9 = linalg.fill ins(%cst_0 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%7 : tensor<7x7xf32>) outs(%9 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.maximumf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%7, %10 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.subf %in, %in_2 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %12 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%11 : tensor<7x7xf32>) outs(%12 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.addf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%11, %13 : tensor<7x7xf32>, tensor<7xf32>) outs(%4 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.divf %in, %in_2 : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %15 = tensor.empty() : tensor<7x4xf32>
  %16 = linalg.fill ins(%cst_1 : f32) outs(%15 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %17 = linalg.matmul ins(%14, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%16 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %17 : tensor<7x4xf32>
}

// einsum over [batch, heads, seq, dim]: batch_matmuls over merged (batch, head)
// pairs. K's transpose moves before its collapse (the merged heads stay a block)
// and folds into K's map: the attention reads every operand as JAX passed it.
// CHECK-LABEL: func.func public @einsum_heads(
// CHECK-DAG:     %[[Q:.*]] = tensor.collapse_shape %arg0
// CHECK-DAG:     %[[K:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
// CHECK:         %[[V:.*]] = tensor.collapse_shape %arg2
// CHECK-NOT:     linalg.
// CHECK:         %[[INIT:.*]] = linalg.fill
// CHECK-NEXT:    %[[O:.*]] = tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      ins(%[[Q]], %[[K]], %[[V]] : tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) outs(%[[INIT]] : tensor<2x7x4xf32>)
// CHECK-NEXT:    tensor.expand_shape %[[O]]
func.func public @einsum_heads(%arg0: tensor<1x2x7x4xf32>, %arg1: tensor<1x2x7x4xf32>, %arg2: tensor<1x2x7x4xf32>) -> (tensor<1x2x7x4xf32>) {
  %cst = arith.constant 2.000000e+00 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %0 = tensor.empty() : tensor<1x2x4x7xf32>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf32>) outs(%0 : tensor<1x2x4x7xf32>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf32> into tensor<2x4x7xf32>
  %1 = tensor.empty() : tensor<2x7x7xf32>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = tensor.empty() : tensor<2x7x7xf32>
  %4 = linalg.fill ins(%cst_1 : f32) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x7x4xf32>, tensor<2x4x7xf32>) outs(%4 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%5 : tensor<2x7x7xf32>) outs(%1 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.divf %in, %cst : f32
    linalg.yield %17 : f32
  } -> tensor<2x7x7xf32>
  %7 = tensor.empty() : tensor<2x7xf32>
  %8 = linalg.fill ins(%cst_0 : f32) outs(%7 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%6 : tensor<2x7x7xf32>) outs(%8 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.maximumf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6, %9 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%2 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %17 = arith.subf %in, %in_4 : f32
    %18 = math.exp %17 : f32
    linalg.yield %18 : f32
  } -> tensor<2x7x7xf32>
  %11 = linalg.fill ins(%cst_1 : f32) outs(%7 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%10 : tensor<2x7x7xf32>) outs(%11 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.addf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%10, %12 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%3 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %17 = arith.divf %in, %in_4 : f32
    linalg.yield %17 : f32
  } -> tensor<2x7x7xf32>
  %collapsed_3 = tensor.collapse_shape %arg2 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %14 = tensor.empty() : tensor<2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%14 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.batch_matmul ins(%13, %collapsed_3 : tensor<2x7x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %expanded = tensor.expand_shape %16 [[0, 1], [2], [3]] output_shape [1, 2, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x7x4xf32>
  return %expanded : tensor<1x2x7x4xf32>
}

// jnp.where(tril, s, -inf): the iota compare (key <= query) is `causal`.
// CHECK-LABEL: func.func public @causal(
// CHECK-NOT:     linalg.generic
// CHECK:         tw.attention causal scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3)>]
// CHECK-SAME:      ins(%arg0, %arg1, %arg2
func.func public @causal(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 2.000000e+00 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = tensor.empty() : tensor<7x7xf32>
  %5 = linalg.fill ins(%cst_1 : f32) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%5 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6 : tensor<7x7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.divf %in, %cst : f32
    %19 = linalg.index 0 : index
    %20 = linalg.index 1 : index
    %21 = arith.index_cast %20 : index to i32
    %22 = arith.index_cast %19 : index to i32
    %23 = arith.cmpi sge, %22, %21 : i32
    %24 = arith.select %23, %18, %cst_0 : f32
    linalg.yield %24 : f32
  } -> tensor<7x7xf32>
  %8 = tensor.empty() : tensor<7xf32>
  %9 = linalg.fill ins(%cst_0 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%7 : tensor<7x7xf32>) outs(%9 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.maximumf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%7, %10 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.subf %in, %in_2 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %12 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%11 : tensor<7x7xf32>) outs(%12 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.addf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%11, %13 : tensor<7x7xf32>, tensor<7xf32>) outs(%4 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.divf %in, %in_2 : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %15 = tensor.empty() : tensor<7x4xf32>
  %16 = linalg.fill ins(%cst_1 : f32) outs(%15 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %17 = linalg.matmul ins(%14, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%16 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %17 : tensor<7x4xf32>
}

// GPT-2's [seq, heads, dim] with einsum("qhd,khd->hqk"): the transposes of
// Q, K and V fold into their maps; heads are the batch dim; finfo.min mask.
// CHECK-LABEL: func.func public @heads_mid_causal(
// CHECK-NOT:     linalg.generic
// CHECK:         %[[O:.*]] = tw.attention causal scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d1, d0, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      ins(%arg0, %arg1, %arg2 : tensor<7x2x4xf32>, tensor<7x2x4xf32>, tensor<7x2x4xf32>) outs(%{{.*}} : tensor<2x7x4xf32>)
// CHECK-NEXT:    linalg.transpose ins(%[[O]]
func.func public @heads_mid_causal(%arg0: tensor<7x2x4xf32>, %arg1: tensor<7x2x4xf32>, %arg2: tensor<7x2x4xf32>) -> (tensor<7x2x4xf32>) {
  %cst = arith.constant -3.40282347E+38 : f32
  %cst_0 = arith.constant 2.000000e+00 : f32
  %cst_1 = arith.constant 0xFF800000 : f32
  %cst_2 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x7x7xf32>
  %1 = tensor.empty() : tensor<2x7x7xf32>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = tensor.empty() : tensor<2x7x4xf32>
  %transposed = linalg.transpose ins(%arg0 : tensor<7x2x4xf32>) outs(%3 : tensor<2x7x4xf32>) permutation = [1, 0, 2] 
  %4 = tensor.empty() : tensor<2x4x7xf32>
  %transposed_3 = linalg.transpose ins(%arg1 : tensor<7x2x4xf32>) outs(%4 : tensor<2x4x7xf32>) permutation = [1, 2, 0] 
  %5 = linalg.fill ins(%cst_2 : f32) outs(%2 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %6 = linalg.batch_matmul ins(%transposed, %transposed_3 : tensor<2x7x4xf32>, tensor<2x4x7xf32>) outs(%5 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6 : tensor<2x7x7xf32>) outs(%0 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.divf %in, %cst_0 : f32
    %20 = linalg.index 1 : index
    %21 = linalg.index 2 : index
    %22 = arith.index_cast %21 : index to i32
    %23 = arith.index_cast %20 : index to i32
    %24 = arith.cmpi sge, %23, %22 : i32
    %25 = arith.select %24, %19, %cst : f32
    linalg.yield %25 : f32
  } -> tensor<2x7x7xf32>
  %8 = tensor.empty() : tensor<2x7xf32>
  %9 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%7 : tensor<2x7x7xf32>) outs(%9 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.maximumf %out, %in : f32
    linalg.yield %19 : f32
  } -> tensor<2x7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%7, %10 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%1 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %19 = arith.subf %in, %in_6 : f32
    %20 = math.exp %19 : f32
    linalg.yield %20 : f32
  } -> tensor<2x7x7xf32>
  %12 = linalg.fill ins(%cst_2 : f32) outs(%8 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%11 : tensor<2x7x7xf32>) outs(%12 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.addf %out, %in : f32
    linalg.yield %19 : f32
  } -> tensor<2x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%11, %13 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%2 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %19 = arith.divf %in, %in_6 : f32
    linalg.yield %19 : f32
  } -> tensor<2x7x7xf32>
  %transposed_4 = linalg.transpose ins(%arg2 : tensor<7x2x4xf32>) outs(%3 : tensor<2x7x4xf32>) permutation = [1, 0, 2] 
  %15 = linalg.fill ins(%cst_2 : f32) outs(%3 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.batch_matmul ins(%14, %transposed_4 : tensor<2x7x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %transposed_5 = linalg.transpose ins(%16 : tensor<2x7x4xf32>) outs(%4 : tensor<2x4x7xf32>) permutation = [0, 2, 1] 
  %17 = tensor.empty() : tensor<7x2x4xf32>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2, d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%transposed_5 : tensor<2x4x7xf32>) outs(%17 : tensor<7x2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<7x2x4xf32>
  return %18 : tensor<7x2x4xf32>
}

// (q * 0.125) @ k.T: the scaling of Q folds into the scale.
// CHECK-LABEL: func.func public @scale_first(
// CHECK-NOT:     linalg.generic
// CHECK:         tw.attention scale = 1.250000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3)>]
// CHECK-SAME:      ins(%arg0, %arg1, %arg2
func.func public @scale_first(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 1.250000e-01 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<7x4xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<7x4xf32>) outs(%0 : tensor<7x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.mulf %in, %cst : f32
    linalg.yield %17 : f32
  } -> tensor<7x4xf32>
  %2 = tensor.empty() : tensor<4x7xf32>
  %3 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%2 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %4 = tensor.empty() : tensor<7x7xf32>
  %5 = tensor.empty() : tensor<7x7xf32>
  %6 = linalg.fill ins(%cst_1 : f32) outs(%5 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %7 = linalg.matmul ins(%1, %3 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%6 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %8 = tensor.empty() : tensor<7xf32>
  %9 = linalg.fill ins(%cst_0 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%7 : tensor<7x7xf32>) outs(%9 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.maximumf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%7, %10 : tensor<7x7xf32>, tensor<7xf32>) outs(%4 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %17 = arith.subf %in, %in_2 : f32
    %18 = math.exp %17 : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %12 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%11 : tensor<7x7xf32>) outs(%12 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.addf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%11, %13 : tensor<7x7xf32>, tensor<7xf32>) outs(%5 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %17 = arith.divf %in, %in_2 : f32
    linalg.yield %17 : f32
  } -> tensor<7x7xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%0 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %16 = linalg.matmul ins(%14, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%15 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %16 : tensor<7x4xf32>
}

// The softmax written by hand: exp(s - max) * (1 / sum).
// CHECK-LABEL: func.func public @recip(
// CHECK-NOT:     linalg.generic
// CHECK:         tw.attention scale = 1.700000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3)>]
// CHECK-SAME:      ins(%arg0, %arg1, %arg2
func.func public @recip(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 1.000000e+00 : f32
  %cst_0 = arith.constant 1.700000e-01 : f32
  %cst_1 = arith.constant 0xFF800000 : f32
  %cst_2 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = linalg.fill ins(%cst_2 : f32) outs(%3 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %5 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = tensor.empty() : tensor<7xf32>
  %7 = linalg.fill ins(%cst_1 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %8 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%5 : tensor<7x7xf32>) outs(%7 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.mulf %in, %cst_0 : f32
    %18 = arith.maximumf %out, %17 : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%5, %8 : tensor<7x7xf32>, tensor<7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_3: f32, %out: f32):
    %17 = arith.mulf %in, %cst_0 : f32
    %18 = arith.subf %17, %in_3 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %10 = linalg.fill ins(%cst_2 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%9 : tensor<7x7xf32>) outs(%10 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.addf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%11 : tensor<7xf32>) outs(%6 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.divf %cst, %in : f32
    linalg.yield %17 : f32
  } -> tensor<7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%9, %12 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_3: f32, %out: f32):
    %17 = arith.mulf %in, %in_3 : f32
    linalg.yield %17 : f32
  } -> tensor<7x7xf32>
  %14 = tensor.empty() : tensor<7x4xf32>
  %15 = linalg.fill ins(%cst_2 : f32) outs(%14 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %16 = linalg.matmul ins(%13, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%15 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %16 : tensor<7x4xf32>
}

// jnp.where(mask, s, -inf) with an i1 mask: the mask itself, keep where true.
// CHECK-LABEL: func.func public @ninf_mask(
// CHECK-NOT:     linalg.generic
// CHECK:         tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d3)>]
// CHECK-SAME:      ins(%arg0, %arg1, %arg2 : {{.*}}) mask(%arg3 : tensor<7x7xi1>)
func.func public @ninf_mask(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>, %arg3: tensor<7x7xi1>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 5.000000e-01 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = linalg.fill ins(%cst_1 : f32) outs(%3 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %5 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = tensor.empty() : tensor<7xf32>
  %7 = linalg.fill ins(%cst_0 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %8 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%arg3, %5 : tensor<7x7xi1>, tensor<7x7xf32>) outs(%7 : tensor<7xf32>) {
  ^bb0(%in: i1, %in_2: f32, %out: f32):
    %16 = arith.mulf %in_2, %cst : f32
    %17 = arith.select %in, %16, %cst_0 : f32
    %18 = arith.maximumf %out, %17 : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg3, %5, %8 : tensor<7x7xi1>, tensor<7x7xf32>, tensor<7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: i1, %in_2: f32, %in_3: f32, %out: f32):
    %16 = arith.mulf %in_2, %cst : f32
    %17 = arith.select %in, %16, %cst_0 : f32
    %18 = arith.subf %17, %in_3 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %10 = linalg.fill ins(%cst_1 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%9 : tensor<7x7xf32>) outs(%10 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.addf %out, %in : f32
    linalg.yield %16 : f32
  } -> tensor<7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%9, %11 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %16 = arith.divf %in, %in_2 : f32
    linalg.yield %16 : f32
  } -> tensor<7x7xf32>
  %13 = tensor.empty() : tensor<7x4xf32>
  %14 = linalg.fill ins(%cst_1 : f32) outs(%13 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %15 = linalg.matmul ins(%12, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%14 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %15 : tensor<7x4xf32>
}

// jax.nn.dot_product_attention(mask=...) over [batch, seq, heads, dim] (K stays
// transposed: batch and heads are not adjacent). The select fills 0.7 * finfo.min, so
// the mask becomes additive (0 or that value): a row that sees no key still
// averages V as XLA does.
// CHECK-LABEL: func.func public @dpa_mask(
// CHECK:         %[[KEEP:.*]] = tensor.collapse_shape %expanded_0
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         %[[MASK:.*]] = linalg.generic {{.*}} ins(%[[KEEP]] : tensor<2x7x7xi1>) outs(%{{.*}} : tensor<2x7x7xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: i1, %{{.*}}: f32):
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:       %[[BIG:.*]] = arith.constant -2.38197633E+38 : f32
// CHECK:           %[[SEL:.*]] = arith.select %[[IN]], %[[ZERO]], %[[BIG]] : f32
// CHECK-NEXT:      linalg.yield %[[SEL]]
// CHECK:         tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      mask(%[[MASK]] : tensor<2x7x7xf32>)
func.func public @dpa_mask(%arg0: tensor<1x7x2x4xf32>, %arg1: tensor<1x7x2x4xf32>, %arg2: tensor<1x7x2x4xf32>, %arg3: tensor<1x2x7x7xi1>) -> (tensor<1x7x2x4xf32>) {
  %cst = arith.constant -2.38197633E+38 : f32
  %cst_0 = arith.constant 5.000000e-01 : f32
  %cst_1 = arith.constant 0xFF800000 : f32
  %cst_2 = arith.constant 0.000000e+00 : f32
  %expanded = tensor.expand_shape %arg0 [[0], [1], [2], [3, 4]] output_shape [1, 7, 2, 1, 4] : tensor<1x7x2x4xf32> into tensor<1x7x2x1x4xf32>
  %expanded_3 = tensor.expand_shape %arg3 [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 7, 7] : tensor<1x2x7x7xi1> into tensor<1x2x1x7x7xi1>
  %0 = tensor.empty() : tensor<1x2x7x1x4xf32>
  %transposed = linalg.transpose ins(%expanded : tensor<1x7x2x1x4xf32>) outs(%0 : tensor<1x2x7x1x4xf32>) permutation = [0, 2, 1, 3, 4] 
  %collapsed = tensor.collapse_shape %transposed [[0, 1], [2, 3], [4]] : tensor<1x2x7x1x4xf32> into tensor<2x7x4xf32>
  %1 = tensor.empty() : tensor<1x2x4x7xf32>
  %transposed_4 = linalg.transpose ins(%arg1 : tensor<1x7x2x4xf32>) outs(%1 : tensor<1x2x4x7xf32>) permutation = [0, 2, 3, 1] 
  %collapsed_5 = tensor.collapse_shape %transposed_4 [[0, 1], [2], [3]] : tensor<1x2x4x7xf32> into tensor<2x4x7xf32>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = tensor.empty() : tensor<2x7x7xf32>
  %4 = linalg.fill ins(%cst_2 : f32) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = linalg.batch_matmul ins(%collapsed, %collapsed_5 : tensor<2x7x4xf32>, tensor<2x4x7xf32>) outs(%4 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %collapsed_6 = tensor.collapse_shape %expanded_3 [[0, 1, 2], [3], [4]] : tensor<1x2x1x7x7xi1> into tensor<2x7x7xi1>
  %6 = tensor.empty() : tensor<2x7xf32>
  %7 = linalg.fill ins(%cst_1 : f32) outs(%6 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %8 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%collapsed_6, %5 : tensor<2x7x7xi1>, tensor<2x7x7xf32>) outs(%7 : tensor<2x7xf32>) {
  ^bb0(%in: i1, %in_12: f32, %out: f32):
    %20 = arith.mulf %in_12, %cst_0 : f32
    %21 = arith.select %in, %20, %cst : f32
    %22 = arith.maximumf %out, %21 : f32
    linalg.yield %22 : f32
  } -> tensor<2x7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%collapsed_6, %5, %8 : tensor<2x7x7xi1>, tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%2 : tensor<2x7x7xf32>) {
  ^bb0(%in: i1, %in_12: f32, %in_13: f32, %out: f32):
    %20 = arith.mulf %in_12, %cst_0 : f32
    %21 = arith.select %in, %20, %cst : f32
    %22 = arith.subf %21, %in_13 : f32
    %23 = math.exp %22 : f32
    linalg.yield %23 : f32
  } -> tensor<2x7x7xf32>
  %10 = linalg.fill ins(%cst_2 : f32) outs(%6 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%9 : tensor<2x7x7xf32>) outs(%10 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %20 = arith.addf %out, %in : f32
    linalg.yield %20 : f32
  } -> tensor<2x7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%9, %11 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%3 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_12: f32, %out: f32):
    %20 = arith.divf %in, %in_12 : f32
    linalg.yield %20 : f32
  } -> tensor<2x7x7xf32>
  %13 = tensor.empty() : tensor<1x2x7x4xf32>
  %transposed_7 = linalg.transpose ins(%arg2 : tensor<1x7x2x4xf32>) outs(%13 : tensor<1x2x7x4xf32>) permutation = [0, 2, 1, 3] 
  %collapsed_8 = tensor.collapse_shape %transposed_7 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %14 = tensor.empty() : tensor<2x7x4xf32>
  %15 = linalg.fill ins(%cst_2 : f32) outs(%14 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.batch_matmul ins(%12, %collapsed_8 : tensor<2x7x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %expanded_9 = tensor.expand_shape %16 [[0, 1], [2, 3], [4]] output_shape [1, 2, 1, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x1x7x4xf32>
  %17 = tensor.empty() : tensor<1x2x4x1x7xf32>
  %transposed_10 = linalg.transpose ins(%expanded_9 : tensor<1x2x1x7x4xf32>) outs(%17 : tensor<1x2x4x1x7xf32>) permutation = [0, 1, 4, 2, 3] 
  %18 = tensor.empty() : tensor<1x7x2x1x4xf32>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4, d3, d1)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%transposed_10 : tensor<1x2x4x1x7xf32>) outs(%18 : tensor<1x7x2x1x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x2x1x4xf32>
  %collapsed_11 = tensor.collapse_shape %19 [[0], [1], [2], [3, 4]] : tensor<1x7x2x1x4xf32> into tensor<1x7x2x4xf32>
  return %collapsed_11 : tensor<1x7x2x4xf32>
}

// A padding mask over the keys ([batch, keys] > 0, -1e9): the comparison is
// computed once into an additive mask over (m, n), broadcast over the heads.
// CHECK-LABEL: func.func public @padmask(
// CHECK:         %[[MASK:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>]{{.*}} ins(%{{.*}} : tensor<7xf32>) outs(%{{.*}} : tensor<7x7xf32>)
// CHECK:           arith.cmpf ogt
// CHECK:           arith.select
// CHECK:         tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d1, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      mask(%[[MASK]] : tensor<7x7xf32>)
func.func public @padmask(%arg0: tensor<1x2x7x4xf32>, %arg1: tensor<1x2x7x4xf32>, %arg2: tensor<1x2x7x4xf32>, %arg3: tensor<1x7xf32>) -> (tensor<1x2x7x4xf32>) {
  %cst = arith.constant -1.000000e+09 : f32
  %cst_0 = arith.constant 2.000000e+00 : f32
  %cst_1 = arith.constant 0xFF800000 : f32
  %cst_2 = arith.constant 0.000000e+00 : f32
  %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %0 = tensor.empty() : tensor<1x2x4x7xf32>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf32>) outs(%0 : tensor<1x2x4x7xf32>) permutation = [0, 1, 3, 2] 
  %collapsed_3 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf32> into tensor<2x4x7xf32>
  %1 = tensor.empty() : tensor<2x7x7xf32>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = tensor.empty() : tensor<2x7x7xf32>
  %4 = linalg.fill ins(%cst_2 : f32) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = linalg.batch_matmul ins(%collapsed, %collapsed_3 : tensor<2x7x4xf32>, tensor<2x4x7xf32>) outs(%4 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %collapsed_4 = tensor.collapse_shape %arg3 [[0, 1]] : tensor<1x7xf32> into tensor<7xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%collapsed_4, %5 : tensor<7xf32>, tensor<2x7x7xf32>) outs(%1 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %17 = arith.divf %in_6, %cst_0 : f32
    %18 = arith.cmpf ogt, %in, %cst_2 : f32
    %19 = arith.select %18, %17, %cst : f32
    linalg.yield %19 : f32
  } -> tensor<2x7x7xf32>
  %7 = tensor.empty() : tensor<2x7xf32>
  %8 = linalg.fill ins(%cst_1 : f32) outs(%7 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%6 : tensor<2x7x7xf32>) outs(%8 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.maximumf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6, %9 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%2 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %17 = arith.subf %in, %in_6 : f32
    %18 = math.exp %17 : f32
    linalg.yield %18 : f32
  } -> tensor<2x7x7xf32>
  %11 = linalg.fill ins(%cst_2 : f32) outs(%7 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%10 : tensor<2x7x7xf32>) outs(%11 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.addf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%10, %12 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%3 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %17 = arith.divf %in, %in_6 : f32
    linalg.yield %17 : f32
  } -> tensor<2x7x7xf32>
  %collapsed_5 = tensor.collapse_shape %arg2 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %14 = tensor.empty() : tensor<2x7x4xf32>
  %15 = linalg.fill ins(%cst_2 : f32) outs(%14 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.batch_matmul ins(%13, %collapsed_5 : tensor<2x7x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %expanded = tensor.expand_shape %16 [[0, 1], [2], [3]] output_shape [1, 2, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x7x4xf32>
  return %expanded : tensor<1x2x7x4xf32>
}

// dot_product_attention(bias=...) per head: the bias is the float mask.
// CHECK-LABEL: func.func public @bias(
// CHECK-NOT:     linalg.generic
// CHECK:         tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      mask(%arg3 : tensor<2x7x7xf32>)
func.func public @bias(%arg0: tensor<1x7x2x4xf32>, %arg1: tensor<1x7x2x4xf32>, %arg2: tensor<1x7x2x4xf32>, %arg3: tensor<2x7x7xf32>) -> (tensor<1x7x2x4xf32>) {
  %cst = arith.constant 5.000000e-01 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %expanded = tensor.expand_shape %arg0 [[0], [1], [2], [3, 4]] output_shape [1, 7, 2, 1, 4] : tensor<1x7x2x4xf32> into tensor<1x7x2x1x4xf32>
  %0 = tensor.empty() : tensor<1x2x7x1x4xf32>
  %transposed = linalg.transpose ins(%expanded : tensor<1x7x2x1x4xf32>) outs(%0 : tensor<1x2x7x1x4xf32>) permutation = [0, 2, 1, 3, 4] 
  %collapsed = tensor.collapse_shape %transposed [[0, 1], [2, 3], [4]] : tensor<1x2x7x1x4xf32> into tensor<2x7x4xf32>
  %1 = tensor.empty() : tensor<1x2x4x7xf32>
  %transposed_2 = linalg.transpose ins(%arg1 : tensor<1x7x2x4xf32>) outs(%1 : tensor<1x2x4x7xf32>) permutation = [0, 2, 3, 1] 
  %collapsed_3 = tensor.collapse_shape %transposed_2 [[0, 1], [2], [3]] : tensor<1x2x4x7xf32> into tensor<2x4x7xf32>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = tensor.empty() : tensor<2x7x7xf32>
  %4 = linalg.fill ins(%cst_1 : f32) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = linalg.batch_matmul ins(%collapsed, %collapsed_3 : tensor<2x7x4xf32>, tensor<2x4x7xf32>) outs(%4 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %6 = tensor.empty() : tensor<2x7xf32>
  %7 = linalg.fill ins(%cst_0 : f32) outs(%6 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %8 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%5, %arg3 : tensor<2x7x7xf32>, tensor<2x7x7xf32>) outs(%7 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %in_9: f32, %out: f32):
    %20 = arith.mulf %in, %cst : f32
    %21 = arith.addf %20, %in_9 : f32
    %22 = arith.maximumf %out, %21 : f32
    linalg.yield %22 : f32
  } -> tensor<2x7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%5, %arg3, %8 : tensor<2x7x7xf32>, tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%2 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_9: f32, %in_10: f32, %out: f32):
    %20 = arith.mulf %in, %cst : f32
    %21 = arith.addf %20, %in_9 : f32
    %22 = arith.subf %21, %in_10 : f32
    %23 = math.exp %22 : f32
    linalg.yield %23 : f32
  } -> tensor<2x7x7xf32>
  %10 = linalg.fill ins(%cst_1 : f32) outs(%6 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%9 : tensor<2x7x7xf32>) outs(%10 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %20 = arith.addf %out, %in : f32
    linalg.yield %20 : f32
  } -> tensor<2x7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%9, %11 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%3 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_9: f32, %out: f32):
    %20 = arith.divf %in, %in_9 : f32
    linalg.yield %20 : f32
  } -> tensor<2x7x7xf32>
  %13 = tensor.empty() : tensor<1x2x7x4xf32>
  %transposed_4 = linalg.transpose ins(%arg2 : tensor<1x7x2x4xf32>) outs(%13 : tensor<1x2x7x4xf32>) permutation = [0, 2, 1, 3] 
  %collapsed_5 = tensor.collapse_shape %transposed_4 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %14 = tensor.empty() : tensor<2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%14 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.batch_matmul ins(%12, %collapsed_5 : tensor<2x7x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %expanded_6 = tensor.expand_shape %16 [[0, 1], [2, 3], [4]] output_shape [1, 2, 1, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x1x7x4xf32>
  %17 = tensor.empty() : tensor<1x2x4x1x7xf32>
  %transposed_7 = linalg.transpose ins(%expanded_6 : tensor<1x2x1x7x4xf32>) outs(%17 : tensor<1x2x4x1x7xf32>) permutation = [0, 1, 4, 2, 3] 
  %18 = tensor.empty() : tensor<1x7x2x1x4xf32>
  %19 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4, d3, d1)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%transposed_7 : tensor<1x2x4x1x7xf32>) outs(%18 : tensor<1x7x2x1x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x2x1x4xf32>
  %collapsed_8 = tensor.collapse_shape %19 [[0], [1], [2], [3, 4]] : tensor<1x7x2x1x4xf32> into tensor<1x7x2x4xf32>
  return %collapsed_8 : tensor<1x7x2x4xf32>
}

// bf16 with f32 accumulation: P.V is a contraction generic extending V, P is
// rounded to bf16 and back; the attention takes bf16 operands, an f32 result.
// CHECK-LABEL: func.func public @einsum_bf16(
// CHECK-NOT:     linalg.generic
// CHECK:         tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      : tensor<2x7x4xbf16>, tensor<2x7x4xbf16>, tensor<2x7x4xbf16>) outs(%{{.*}} : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
func.func public @einsum_bf16(%arg0: tensor<1x2x7x4xbf16>, %arg1: tensor<1x2x7x4xbf16>, %arg2: tensor<1x2x7x4xbf16>) -> (tensor<1x2x7x4xf32>) {
  %cst = arith.constant 2.000000e+00 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x7x4xbf16> into tensor<2x7x4xbf16>
  %0 = tensor.empty() : tensor<1x2x4x7xbf16>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xbf16>) outs(%0 : tensor<1x2x4x7xbf16>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xbf16> into tensor<2x4x7xbf16>
  %1 = tensor.empty() : tensor<2x7x7xf32>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = tensor.empty() : tensor<2x7x7xf32>
  %4 = linalg.fill ins(%cst_1 : f32) outs(%3 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %5 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x7x4xbf16>, tensor<2x4x7xbf16>) outs(%4 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%5 : tensor<2x7x7xf32>) outs(%1 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.divf %in, %cst : f32
    linalg.yield %17 : f32
  } -> tensor<2x7x7xf32>
  %7 = tensor.empty() : tensor<2x7xf32>
  %8 = linalg.fill ins(%cst_0 : f32) outs(%7 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%6 : tensor<2x7x7xf32>) outs(%8 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.maximumf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6, %9 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%2 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %17 = arith.subf %in, %in_4 : f32
    %18 = math.exp %17 : f32
    linalg.yield %18 : f32
  } -> tensor<2x7x7xf32>
  %11 = linalg.fill ins(%cst_1 : f32) outs(%7 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%10 : tensor<2x7x7xf32>) outs(%11 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.addf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%10, %12 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%3 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %17 = arith.divf %in, %in_4 : f32
    %18 = arith.truncf %17 : f32 to bf16
    %19 = arith.extf %18 : bf16 to f32
    linalg.yield %19 : f32
  } -> tensor<2x7x7xf32>
  %collapsed_3 = tensor.collapse_shape %arg2 [[0, 1], [2], [3]] : tensor<1x2x7x4xbf16> into tensor<2x7x4xbf16>
  %14 = tensor.empty() : tensor<2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%14 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%13, %collapsed_3 : tensor<2x7x7xf32>, tensor<2x7x4xbf16>) outs(%15 : tensor<2x7x4xf32>) {
  ^bb0(%in: f32, %in_4: bf16, %out: f32):
    %17 = arith.extf %in_4 : bf16 to f32
    %18 = arith.mulf %in, %17 : f32
    %19 = arith.addf %out, %18 : f32
    linalg.yield %19 : f32
  } -> tensor<2x7x4xf32>
  %expanded = tensor.expand_shape %16 [[0, 1], [2], [3]] output_shape [1, 2, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x7x4xf32>
  return %expanded : tensor<1x2x7x4xf32>
}

// GQA by jnp.repeat of K/V heads: the query heads of a group are merged into
// the query dim (14 = 2 heads x 7), K/V read once per group.
// CHECK-LABEL: func.func public @gqa_repeat(
// CHECK-NOT:     linalg.generic
// CHECK:         tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      : tensor<2x14x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) outs(%{{.*}} : tensor<2x14x4xf32>)
func.func public @gqa_repeat(%arg0: tensor<1x4x7x4xf32>, %arg1: tensor<1x2x7x4xf32>, %arg2: tensor<1x2x7x4xf32>) -> (tensor<1x4x7x4xf32>) {
  %cst = arith.constant 2.000000e+00 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %expanded = tensor.expand_shape %arg0 [[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 7, 4] : tensor<1x4x7x4xf32> into tensor<1x2x2x7x4xf32>
  %collapsed = tensor.collapse_shape %expanded [[0, 1], [2, 3], [4]] : tensor<1x2x2x7x4xf32> into tensor<2x14x4xf32>
  %0 = tensor.empty() : tensor<1x2x4x7xf32>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf32>) outs(%0 : tensor<1x2x4x7xf32>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf32> into tensor<2x4x7xf32>
  %1 = tensor.empty() : tensor<2x14x7xf32>
  %2 = tensor.empty() : tensor<2x14x7xf32>
  %3 = tensor.empty() : tensor<2x14x7xf32>
  %4 = linalg.fill ins(%cst_1 : f32) outs(%3 : tensor<2x14x7xf32>) -> tensor<2x14x7xf32>
  %5 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x14x4xf32>, tensor<2x4x7xf32>) outs(%4 : tensor<2x14x7xf32>) -> tensor<2x14x7xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%5 : tensor<2x14x7xf32>) outs(%1 : tensor<2x14x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.divf %in, %cst : f32
    linalg.yield %17 : f32
  } -> tensor<2x14x7xf32>
  %7 = tensor.empty() : tensor<1x4x7xf32>
  %expanded_3 = tensor.expand_shape %7 [[0], [1, 2], [3]] output_shape [1, 2, 2, 7] : tensor<1x4x7xf32> into tensor<1x2x2x7xf32>
  %collapsed_4 = tensor.collapse_shape %expanded_3 [[0, 1], [2, 3]] : tensor<1x2x2x7xf32> into tensor<2x14xf32>
  %8 = linalg.fill ins(%cst_0 : f32) outs(%collapsed_4 : tensor<2x14xf32>) -> tensor<2x14xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%6 : tensor<2x14x7xf32>) outs(%8 : tensor<2x14xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.maximumf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x14xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6, %9 : tensor<2x14x7xf32>, tensor<2x14xf32>) outs(%2 : tensor<2x14x7xf32>) {
  ^bb0(%in: f32, %in_8: f32, %out: f32):
    %17 = arith.subf %in, %in_8 : f32
    %18 = math.exp %17 : f32
    linalg.yield %18 : f32
  } -> tensor<2x14x7xf32>
  %11 = linalg.fill ins(%cst_1 : f32) outs(%collapsed_4 : tensor<2x14xf32>) -> tensor<2x14xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%10 : tensor<2x14x7xf32>) outs(%11 : tensor<2x14xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.addf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<2x14xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%10, %12 : tensor<2x14x7xf32>, tensor<2x14xf32>) outs(%3 : tensor<2x14x7xf32>) {
  ^bb0(%in: f32, %in_8: f32, %out: f32):
    %17 = arith.divf %in, %in_8 : f32
    linalg.yield %17 : f32
  } -> tensor<2x14x7xf32>
  %collapsed_5 = tensor.collapse_shape %arg2 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %14 = tensor.empty() : tensor<2x14x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%14 : tensor<2x14x4xf32>) -> tensor<2x14x4xf32>
  %16 = linalg.batch_matmul ins(%13, %collapsed_5 : tensor<2x14x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x14x4xf32>) -> tensor<2x14x4xf32>
  %expanded_6 = tensor.expand_shape %16 [[0, 1], [2, 3], [4]] output_shape [1, 2, 2, 7, 4] : tensor<2x14x4xf32> into tensor<1x2x2x7x4xf32>
  %collapsed_7 = tensor.collapse_shape %expanded_6 [[0], [1, 2], [3], [4]] : tensor<1x2x2x7x4xf32> into tensor<1x4x7x4xf32>
  return %collapsed_7 : tensor<1x4x7x4xf32>
}

// Heads in the middle at seq 5 < head dim 8: JAX computes P.V as (V^T.P^T)^T, so
// P reaches the second batch_matmul transposed (input 1); the output is (h, e, m).
// CHECK-LABEL: func.func public @p_transposed(
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         %[[O:.*]] = tw.attention scale = 0.353553385 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d1, d0, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d2, d0, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d4, d1)>]
// CHECK-SAME:      ins(%arg0, %arg1, %arg2 : tensor<5x2x8xf32>, tensor<5x2x8xf32>, tensor<5x2x8xf32>) outs(%{{.*}} : tensor<2x8x5xf32>)
// CHECK-NOT:     linalg.batch_matmul
func.func public @p_transposed(%arg0: tensor<5x2x8xf32>, %arg1: tensor<5x2x8xf32>, %arg2: tensor<5x2x8xf32>) -> (tensor<5x2x8xf32>) {
  %cst = arith.constant 2.82842708 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x5x5xf32>
  %1 = tensor.empty() : tensor<2x5x5xf32>
  %2 = tensor.empty() : tensor<2x5x5xf32>
  %3 = tensor.empty() : tensor<2x5x8xf32>
  %transposed = linalg.transpose ins(%arg0 : tensor<5x2x8xf32>) outs(%3 : tensor<2x5x8xf32>) permutation = [1, 0, 2] 
  %4 = tensor.empty() : tensor<2x8x5xf32>
  %transposed_2 = linalg.transpose ins(%arg1 : tensor<5x2x8xf32>) outs(%4 : tensor<2x8x5xf32>) permutation = [1, 2, 0] 
  %5 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %6 = linalg.batch_matmul ins(%transposed, %transposed_2 : tensor<2x5x8xf32>, tensor<2x8x5xf32>) outs(%5 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6 : tensor<2x5x5xf32>) outs(%0 : tensor<2x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.divf %in, %cst : f32
    linalg.yield %19 : f32
  } -> tensor<2x5x5xf32>
  %8 = tensor.empty() : tensor<2x5xf32>
  %9 = linalg.fill ins(%cst_0 : f32) outs(%8 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%7 : tensor<2x5x5xf32>) outs(%9 : tensor<2x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.maximumf %out, %in : f32
    linalg.yield %19 : f32
  } -> tensor<2x5xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%7, %10 : tensor<2x5x5xf32>, tensor<2x5xf32>) outs(%1 : tensor<2x5x5xf32>) {
  ^bb0(%in: f32, %in_5: f32, %out: f32):
    %19 = arith.subf %in, %in_5 : f32
    %20 = math.exp %19 : f32
    linalg.yield %20 : f32
  } -> tensor<2x5x5xf32>
  %12 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%11 : tensor<2x5x5xf32>) outs(%12 : tensor<2x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.addf %out, %in : f32
    linalg.yield %19 : f32
  } -> tensor<2x5xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%11, %13 : tensor<2x5x5xf32>, tensor<2x5xf32>) outs(%2 : tensor<2x5x5xf32>) {
  ^bb0(%in: f32, %in_5: f32, %out: f32):
    %19 = arith.divf %in, %in_5 : f32
    linalg.yield %19 : f32
  } -> tensor<2x5x5xf32>
  %transposed_3 = linalg.transpose ins(%arg2 : tensor<5x2x8xf32>) outs(%4 : tensor<2x8x5xf32>) permutation = [1, 2, 0] 
  %transposed_4 = linalg.transpose ins(%14 : tensor<2x5x5xf32>) outs(%2 : tensor<2x5x5xf32>) permutation = [0, 2, 1] 
  %15 = linalg.fill ins(%cst_1 : f32) outs(%4 : tensor<2x8x5xf32>) -> tensor<2x8x5xf32>
  %16 = linalg.batch_matmul ins(%transposed_3, %transposed_4 : tensor<2x8x5xf32>, tensor<2x5x5xf32>) outs(%15 : tensor<2x8x5xf32>) -> tensor<2x8x5xf32>
  %17 = tensor.empty() : tensor<5x2x8xf32>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2, d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%16 : tensor<2x8x5xf32>) outs(%17 : tensor<5x2x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<5x2x8xf32>
  return %18 : tensor<5x2x8xf32>
}

// `q @ swapaxes(k, -1, -2)` at batch 1: the batch_matmuls run on 2 merged heads,
// the softmax between them on [1, 2, 7, 7] (an expand_shape after Q.K^T, the
// inverse collapse_shape before P.V); the attention takes the contractions' dims.
// CHECK-LABEL: func.func public @swapaxes_batch1(
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         %[[O:.*]] = tw.attention scale = 5.000000e-01 indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4)>]
// CHECK-SAME:      : tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) outs(%{{.*}} : tensor<2x7x4xf32>)
// CHECK-NEXT:    tensor.expand_shape %[[O]]
func.func public @swapaxes_batch1(%arg0: tensor<1x2x7x4xf32>, %arg1: tensor<1x2x7x4xf32>, %arg2: tensor<1x2x7x4xf32>) -> (tensor<1x2x7x4xf32>) {
  %cst = arith.constant 5.000000e-01 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %0 = tensor.empty() : tensor<1x2x4x7xf32>
  %transposed = linalg.transpose ins(%arg1 : tensor<1x2x7x4xf32>) outs(%0 : tensor<1x2x4x7xf32>) permutation = [0, 1, 3, 2] 
  %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x4x7xf32> into tensor<2x4x7xf32>
  %1 = tensor.empty() : tensor<2x7x7xf32>
  %2 = linalg.fill ins(%cst_1 : f32) outs(%1 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %3 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x7x4xf32>, tensor<2x4x7xf32>) outs(%2 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %4 = tensor.empty() : tensor<1x2x7x7xf32>
  %5 = tensor.empty() : tensor<1x2x7x7xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%3 : tensor<2x7x7xf32>) outs(%1 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.mulf %in, %cst : f32
    linalg.yield %17 : f32
  } -> tensor<2x7x7xf32>
  %expanded = tensor.expand_shape %6 [[0, 1], [2], [3]] output_shape [1, 2, 7, 7] : tensor<2x7x7xf32> into tensor<1x2x7x7xf32>
  %7 = tensor.empty() : tensor<1x2x7xf32>
  %8 = linalg.fill ins(%cst_0 : f32) outs(%7 : tensor<1x2x7xf32>) -> tensor<1x2x7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x2x7x7xf32>) outs(%8 : tensor<1x2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.maximumf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<1x2x7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded, %9 : tensor<1x2x7x7xf32>, tensor<1x2x7xf32>) outs(%4 : tensor<1x2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %17 = arith.subf %in, %in_6 : f32
    %18 = math.exp %17 : f32
    linalg.yield %18 : f32
  } -> tensor<1x2x7x7xf32>
  %11 = linalg.fill ins(%cst_1 : f32) outs(%7 : tensor<1x2x7xf32>) -> tensor<1x2x7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%10 : tensor<1x2x7x7xf32>) outs(%11 : tensor<1x2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %17 = arith.addf %out, %in : f32
    linalg.yield %17 : f32
  } -> tensor<1x2x7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%10, %12 : tensor<1x2x7x7xf32>, tensor<1x2x7xf32>) outs(%5 : tensor<1x2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %17 = arith.divf %in, %in_6 : f32
    linalg.yield %17 : f32
  } -> tensor<1x2x7x7xf32>
  %collapsed_3 = tensor.collapse_shape %13 [[0, 1], [2], [3]] : tensor<1x2x7x7xf32> into tensor<2x7x7xf32>
  %collapsed_4 = tensor.collapse_shape %arg2 [[0, 1], [2], [3]] : tensor<1x2x7x4xf32> into tensor<2x7x4xf32>
  %14 = tensor.empty() : tensor<2x7x4xf32>
  %15 = linalg.fill ins(%cst_1 : f32) outs(%14 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.batch_matmul ins(%collapsed_3, %collapsed_4 : tensor<2x7x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %expanded_5 = tensor.expand_shape %16 [[0, 1], [2], [3]] output_shape [1, 2, 7, 4] : tensor<2x7x4xf32> into tensor<1x2x7x4xf32>
  return %expanded_5 : tensor<1x2x7x4xf32>
}

// Non-matches, left alone: softmax over the queries (axis 0),
// CHECK-LABEL: func.func public @wrong_axis(
// CHECK-NOT:     tw.attention
// CHECK:         linalg.matmul
// CHECK:         linalg.matmul
// CHECK-NEXT:    return
func.func public @wrong_axis(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 2.000000e+00 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = tensor.empty() : tensor<7x7xf32>
  %5 = linalg.fill ins(%cst_1 : f32) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%5 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6 : tensor<7x7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.divf %in, %cst : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %8 = tensor.empty() : tensor<7xf32>
  %9 = linalg.fill ins(%cst_0 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%7 : tensor<7x7xf32>) outs(%9 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.maximumf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%7, %10 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.subf %in, %in_2 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %12 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%11 : tensor<7x7xf32>) outs(%12 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.addf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%11, %13 : tensor<7x7xf32>, tensor<7xf32>) outs(%4 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.divf %in, %in_2 : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %15 = tensor.empty() : tensor<7x4xf32>
  %16 = linalg.fill ins(%cst_1 : f32) outs(%15 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %17 = linalg.matmul ins(%14, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%16 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %17 : tensor<7x4xf32>
}

// a softmax without its max subtraction,
// CHECK-LABEL: func.func public @no_max(
// CHECK-NOT:     tw.attention
// CHECK:         linalg.matmul
// CHECK:         linalg.matmul
// CHECK-NEXT:    return
func.func public @no_max(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 5.000000e-01 : f32
  %cst_0 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = linalg.fill ins(%cst_0 : f32) outs(%3 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %5 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%5 : tensor<7x7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %14 = arith.mulf %in, %cst : f32
    %15 = math.exp %14 : f32
    linalg.yield %15 : f32
  } -> tensor<7x7xf32>
  %7 = tensor.empty() : tensor<7xf32>
  %8 = linalg.fill ins(%cst_0 : f32) outs(%7 : tensor<7xf32>) -> tensor<7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%6 : tensor<7x7xf32>) outs(%8 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %14 = arith.addf %out, %in : f32
    linalg.yield %14 : f32
  } -> tensor<7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6, %9 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %14 = arith.divf %in, %in_1 : f32
    linalg.yield %14 : f32
  } -> tensor<7x7xf32>
  %11 = tensor.empty() : tensor<7x4xf32>
  %12 = linalg.fill ins(%cst_0 : f32) outs(%11 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %13 = linalg.matmul ins(%10, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%12 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %13 : tensor<7x4xf32>
}

// and a scale applied after the bias ((s + b) * c: not tw.attention's order).
// CHECK-LABEL: func.func public @bias_after(
// CHECK-NOT:     tw.attention
// CHECK:         linalg.matmul
// CHECK:         linalg.matmul
// CHECK-NEXT:    return
func.func public @bias_after(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>, %arg3: tensor<7x7xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 5.000000e-01 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = linalg.fill ins(%cst_1 : f32) outs(%3 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %5 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = tensor.empty() : tensor<7xf32>
  %7 = linalg.fill ins(%cst_0 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %8 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%5, %arg3 : tensor<7x7xf32>, tensor<7x7xf32>) outs(%7 : tensor<7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %16 = arith.addf %in, %in_2 : f32
    %17 = arith.mulf %16, %cst : f32
    %18 = arith.maximumf %out, %17 : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%5, %arg3, %8 : tensor<7x7xf32>, tensor<7x7xf32>, tensor<7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %in_3: f32, %out: f32):
    %16 = arith.addf %in, %in_2 : f32
    %17 = arith.mulf %16, %cst : f32
    %18 = arith.subf %17, %in_3 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %10 = linalg.fill ins(%cst_1 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%9 : tensor<7x7xf32>) outs(%10 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.addf %out, %in : f32
    linalg.yield %16 : f32
  } -> tensor<7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%9, %11 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %16 = arith.divf %in, %in_2 : f32
    linalg.yield %16 : f32
  } -> tensor<7x7xf32>
  %13 = tensor.empty() : tensor<7x4xf32>
  %14 = linalg.fill ins(%cst_1 : f32) outs(%13 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %15 = linalg.matmul ins(%12, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%14 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %15 : tensor<7x4xf32>
}
