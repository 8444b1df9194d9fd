// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-canonicalize-contractions)' | FileCheck %s

// A softmax-like chain on the result of a batch matmul over merged (batch, head) dims: the
// expand_shape moves past both generics, which now run on the contraction's 6x4x5 layout; only
// the function's results are expanded back.
// CHECK-LABEL: func.func @chain_on_merged_heads
// CHECK:         %[[S:.*]] = linalg.batch_matmul
// CHECK-NOT:     tensor.expand_shape
// CHECK:         %[[E:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[S]] : tensor<6x4x5xf32>) outs(%{{.*}} : tensor<6x4x5xf32>)
// CHECK:           math.exp
// CHECK:         tensor.expand_shape %[[E]] {{\[}}[0, 1], [2], [3]] {{.*}} into tensor<2x3x4x5xf32>
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[E]] : tensor<6x4x5xf32>) outs(%{{.*}} : tensor<6x4xf32>)
// CHECK:         tensor.expand_shape %[[R]] {{\[}}[0, 1], [2]] {{.*}} into tensor<2x3x4xf32>
#id = affine_map<(b, h, q, k) -> (b, h, q, k)>
#row = affine_map<(b, h, q, k) -> (b, h, q)>
func.func @chain_on_merged_heads(%a: tensor<6x4x8xf32>, %b: tensor<6x8x5xf32>) -> (tensor<2x3x4x5xf32>, tensor<2x3x4xf32>) {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<6x4x5xf32>
  %f0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %s = linalg.batch_matmul ins(%a, %b : tensor<6x4x8xf32>, tensor<6x8x5xf32>) outs(%f0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %x = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 5] : tensor<6x4x5xf32> into tensor<2x3x4x5xf32>
  %e1 = tensor.empty() : tensor<2x3x4x5xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x3x4x5xf32>) outs(%e1 : tensor<2x3x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = math.exp %in : f32
    linalg.yield %v : f32
  } -> tensor<2x3x4x5xf32>
  %e2 = tensor.empty() : tensor<2x3x4xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x3x4x5xf32>) outs(%f2 : tensor<2x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %out, %in : f32
    linalg.yield %v : f32
  } -> tensor<2x3x4xf32>
  return %exp, %sum : tensor<2x3x4x5xf32>, tensor<2x3x4xf32>
}

// -----

// jax.nn.dot_product_attention's group dim of 1 moves between the softmax's tensors: unit loops
// are dropped, so the generic reads the contraction's result as it is and writes 6x4x5, and its
// mask's linalg.index of the key loop (3 of 5) becomes index 2 of 3.
// CHECK-LABEL: func.func @unit_group_dim_moves
// CHECK:         %[[S:.*]] = linalg.batch_matmul
// CHECK:         %[[G:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<6x4x5xf32>) outs(%{{.*}} : tensor<6x4x5xf32>)
// CHECK:           linalg.index 2 : index
// CHECK:         tensor.expand_shape %[[G]] {{\[}}[0, 1, 2], [3], [4]] {{.*}} into tensor<1x2x3x4x5xf32>
#in = affine_map<(g, b, h, q, k) -> (b, h, q, g, k)>
#out = affine_map<(g, b, h, q, k) -> (g, b, h, q, k)>
func.func @unit_group_dim_moves(%a: tensor<6x4x8xf32>, %b: tensor<6x8x5xf32>) -> tensor<1x2x3x4x5xf32> {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<6x4x5xf32>
  %f0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %s = linalg.batch_matmul ins(%a, %b : tensor<6x4x8xf32>, tensor<6x8x5xf32>) outs(%f0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %x = tensor.expand_shape %s [[0, 1], [2, 3], [4]] output_shape [2, 3, 4, 1, 5] : tensor<6x4x5xf32> into tensor<2x3x4x1x5xf32>
  %e1 = tensor.empty() : tensor<1x2x3x4x5xf32>
  %m = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x3x4x1x5xf32>) outs(%e1 : tensor<1x2x3x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %k = linalg.index 4 : index
    %k32 = arith.index_cast %k : index to i32
    %kf = arith.sitofp %k32 : i32 to f32
    %v = arith.addf %in, %kf : f32
    linalg.yield %v : f32
  } -> tensor<1x2x3x4x5xf32>
  return %m : tensor<1x2x3x4x5xf32>
}

// -----

// A consumer reading the merged dims apart (heads before batch) or a linalg.index of one of them
// stays as it is, on the expanded tensor.
// CHECK-LABEL: func.func @heads_read_apart
// CHECK:         %[[S:.*]] = linalg.batch_matmul
// CHECK:         %[[X:.*]] = tensor.expand_shape %[[S]]
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : tensor<2x3x4x5xf32>) outs(%{{.*}} : tensor<3x2x4x5xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : tensor<2x3x4x5xf32>) outs(%{{.*}} : tensor<2x3x4x5xf32>)
// CHECK:           linalg.index 1 : index
#id2 = affine_map<(b, h, q, k) -> (b, h, q, k)>
#swap = affine_map<(b, h, q, k) -> (h, b, q, k)>
func.func @heads_read_apart(%a: tensor<6x4x8xf32>, %b: tensor<6x8x5xf32>) -> (tensor<3x2x4x5xf32>, tensor<2x3x4x5xf32>) {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<6x4x5xf32>
  %f0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %s = linalg.batch_matmul ins(%a, %b : tensor<6x4x8xf32>, tensor<6x8x5xf32>) outs(%f0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %x = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 5] : tensor<6x4x5xf32> into tensor<2x3x4x5xf32>
  %e1 = tensor.empty() : tensor<3x2x4x5xf32>
  %t = linalg.generic {indexing_maps = [#id2, #swap], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x3x4x5xf32>) outs(%e1 : tensor<3x2x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<3x2x4x5xf32>
  %e2 = tensor.empty() : tensor<2x3x4x5xf32>
  %i = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x3x4x5xf32>) outs(%e2 : tensor<2x3x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %h = linalg.index 1 : index
    %h32 = arith.index_cast %h : index to i32
    %hf = arith.sitofp %h32 : i32 to f32
    %v = arith.mulf %in, %hf : f32
    linalg.yield %v : f32
  } -> tensor<2x3x4x5xf32>
  return %t, %i : tensor<3x2x4x5xf32>, tensor<2x3x4x5xf32>
}

// -----

// A padding mask [batch, keys] and a bias [heads, q, k] beside the merged (batch, head) dims: each
// is broadcast to the missing dim ([batch, heads, keys], [batch, heads, q, k]) and merged like the
// scores, so both ops run on 6x4x5 and no expand_shape is left between them.
// CHECK-LABEL: func.func @partial_reads
// CHECK:         %[[S:.*]] = linalg.batch_matmul
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x5xf32>) outs(%{{.*}} : tensor<2x3x5xf32>)
// CHECK:         %[[M:.*]] = tensor.collapse_shape %[[B]] {{\[}}[0, 1], [2]] : tensor<2x3x5xf32> into tensor<6x5xf32>
// CHECK:         %[[G:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[S]] : tensor<6x5xf32>, tensor<6x4x5xf32>) outs(%{{.*}} : tensor<6x4x5xf32>)
// CHECK-NOT:     tensor.expand_shape %[[G]]
// CHECK:         %[[BB:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<3x4x5xf32>) outs(%{{.*}} : tensor<2x3x4x5xf32>)
// CHECK:         %[[BM:.*]] = tensor.collapse_shape %[[BB]] {{\[}}[0, 1], [2], [3]] : tensor<2x3x4x5xf32> into tensor<6x4x5xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[G]], %[[BM]] : tensor<6x4x5xf32>, tensor<6x4x5xf32>) outs(%{{.*}} : tensor<6x4x5xf32>)
#m = affine_map<(b, h, q, k) -> (b, k)>
#hb = affine_map<(b, h, q, k) -> (h, q, k)>
#i4 = affine_map<(b, h, q, k) -> (b, h, q, k)>
func.func @partial_reads(%a: tensor<6x4x8xf32>, %b: tensor<6x8x5xf32>, %mask: tensor<2x5xf32>, %bias: tensor<3x4x5xf32>) -> tensor<2x3x4x5xf32> {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<6x4x5xf32>
  %f0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %s = linalg.batch_matmul ins(%a, %b : tensor<6x4x8xf32>, tensor<6x8x5xf32>) outs(%f0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %x = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 5] : tensor<6x4x5xf32> into tensor<2x3x4x5xf32>
  %e1 = tensor.empty() : tensor<2x3x4x5xf32>
  %masked = linalg.generic {indexing_maps = [#m, #i4, #i4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%mask, %x : tensor<2x5xf32>, tensor<2x3x4x5xf32>) outs(%e1 : tensor<2x3x4x5xf32>) {
  ^bb0(%w: f32, %in: f32, %out: f32):
    %v = arith.addf %in, %w : f32
    linalg.yield %v : f32
  } -> tensor<2x3x4x5xf32>
  %biased = linalg.generic {indexing_maps = [#i4, #hb, #i4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %bias : tensor<2x3x4x5xf32>, tensor<3x4x5xf32>) outs(%e1 : tensor<2x3x4x5xf32>) {
  ^bb0(%in: f32, %w: f32, %out: f32):
    %v = arith.addf %in, %w : f32
    linalg.yield %v : f32
  } -> tensor<2x3x4x5xf32>
  return %biased : tensor<2x3x4x5xf32>
}

// -----

// A [batch, 1, q, k] bias read at a constant 0 on its unit axis (as dot_product_attention's bias
// reaches linalg): the broadcast reads that axis at 0 and writes [batch, heads, q, k], merged.
// CHECK-LABEL: func.func @bias_read_at_zero
// CHECK:         %[[S:.*]] = linalg.batch_matmul
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x1x4x5xf32>) outs(%{{.*}} : tensor<2x3x4x5xf32>)
// CHECK:         %[[M:.*]] = tensor.collapse_shape %[[B]] {{\[}}[0, 1], [2], [3]] : tensor<2x3x4x5xf32> into tensor<6x4x5xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[S]], %[[M]] : tensor<6x4x5xf32>, tensor<6x4x5xf32>) outs(%{{.*}} : tensor<6x4x5xf32>)
#z0 = affine_map<(b, h, q, k) -> (b, 0, q, k)>
#z4 = affine_map<(b, h, q, k) -> (b, h, q, k)>
func.func @bias_read_at_zero(%a: tensor<6x4x8xf32>, %b: tensor<6x8x5xf32>, %bias: tensor<2x1x4x5xf32>) -> tensor<2x3x4x5xf32> {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<6x4x5xf32>
  %f0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %s = linalg.batch_matmul ins(%a, %b : tensor<6x4x8xf32>, tensor<6x8x5xf32>) outs(%f0 : tensor<6x4x5xf32>) -> tensor<6x4x5xf32>
  %x = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 5] : tensor<6x4x5xf32> into tensor<2x3x4x5xf32>
  %e1 = tensor.empty() : tensor<2x3x4x5xf32>
  %r = linalg.generic {indexing_maps = [#z4, #z0, #z4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %bias : tensor<2x3x4x5xf32>, tensor<2x1x4x5xf32>) outs(%e1 : tensor<2x3x4x5xf32>) {
  ^bb0(%in: f32, %w: f32, %out: f32):
    %v = arith.addf %in, %w : f32
    linalg.yield %v : f32
  } -> tensor<2x3x4x5xf32>
  return %r : tensor<2x3x4x5xf32>
}
