// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-canonicalize-contractions,canonicalize)' | FileCheck %s

// Attention scores as JAX's einsum("shd,thd->hst") exports them: the head dim in the middle.
// Both operands are transposed to [batch, m, k] x [batch, k, n]; the fill is rebuilt, not transposed.
// CHECK-LABEL: func.func @scores_heads_in_middle
// CHECK-SAME:    (%[[Q:.*]]: tensor<7x3x5xf32>, %[[K:.*]]: tensor<9x3x5xf32>)
// CHECK:         %[[QT:.*]] = linalg.transpose ins(%[[Q]] : tensor<7x3x5xf32>) outs(%{{.*}} : tensor<3x7x5xf32>) permutation = [1, 0, 2]
// CHECK:         %[[KT:.*]] = linalg.transpose ins(%[[K]] : tensor<9x3x5xf32>) outs(%{{.*}} : tensor<3x5x9xf32>) permutation = [1, 2, 0]
// CHECK:         %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x7x9xf32>)
// CHECK:         %[[R:.*]] = linalg.batch_matmul ins(%[[QT]], %[[KT]] : tensor<3x7x5xf32>, tensor<3x5x9xf32>) outs(%[[F]] : tensor<3x7x9xf32>)
// CHECK:         return %[[R]]
// CHECK-NOT:     linalg.generic
#q = affine_map<(h, s, t, d) -> (s, h, d)>
#k = affine_map<(h, s, t, d) -> (t, h, d)>
#o = affine_map<(h, s, t, d) -> (h, s, t)>
func.func @scores_heads_in_middle(%q: tensor<7x3x5xf32>, %k: tensor<9x3x5xf32>) -> tensor<3x7x9xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x7x9xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x7x9xf32>) -> tensor<3x7x9xf32>
  %r = linalg.generic {indexing_maps = [#q, #k, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<7x3x5xf32>, tensor<9x3x5xf32>) outs(%f : tensor<3x7x9xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x7x9xf32>
  return %r : tensor<3x7x9xf32>
}

// -----

// The output projection after merging heads: two K dims (heads, head size) collapse into one.
// CHECK-LABEL: func.func @two_k_dims
// CHECK-SAME:    (%[[O:.*]]: tensor<3x7x5xf32>, %[[W:.*]]: tensor<3x5x11xf32>, %[[INIT:.*]]: tensor<7x11xf32>)
// CHECK:         %[[OT:.*]] = linalg.transpose ins(%[[O]] : tensor<3x7x5xf32>) outs(%{{.*}} : tensor<7x3x5xf32>) permutation = [1, 0, 2]
// CHECK:         %[[A:.*]] = tensor.collapse_shape %[[OT]] {{\[}}[0], [1, 2]] : tensor<7x3x5xf32> into tensor<7x15xf32>
// CHECK:         %[[B:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0, 1], [2]] : tensor<3x5x11xf32> into tensor<15x11xf32>
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<7x15xf32>, tensor<15x11xf32>) outs(%[[INIT]] : tensor<7x11xf32>)
// CHECK:         return %[[R]]
#a = affine_map<(s, n, h, d) -> (h, s, d)>
#b = affine_map<(s, n, h, d) -> (h, d, n)>
#c = affine_map<(s, n, h, d) -> (s, n)>
func.func @two_k_dims(%o: tensor<3x7x5xf32>, %w: tensor<3x5x11xf32>, %init: tensor<7x11xf32>) -> tensor<7x11xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%o, %w : tensor<3x7x5xf32>, tensor<3x5x11xf32>) outs(%init : tensor<7x11xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<7x11xf32>
  return %r : tensor<7x11xf32>
}

// -----

// A transposed result and f16 inputs accumulated in f32: the init is transposed in, the
// product expanded and transposed back; linalg.matmul extends the inputs itself.
// CHECK-LABEL: func.func @transposed_result_half_inputs
// CHECK-SAME:    (%[[A:.*]]: tensor<13x17xf16>, %[[B:.*]]: tensor<17x1xf16>, %[[C:.*]]: tensor<1x13xf32>)
// CHECK:         %[[CT:.*]] = linalg.transpose ins(%[[C]] : tensor<1x13xf32>) outs(%{{.*}} : tensor<13x1xf32>) permutation = [1, 0]
// CHECK:         %[[P:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<13x17xf16>, tensor<17x1xf16>) outs(%[[CT]] : tensor<13x1xf32>)
// CHECK:         %[[R:.*]] = linalg.transpose ins(%[[P]] : tensor<13x1xf32>) outs(%{{.*}} : tensor<1x13xf32>) permutation = [1, 0]
// CHECK:         return %[[R]]
#ma = affine_map<(m, n, k) -> (m, k)>
#mb = affine_map<(m, n, k) -> (k, n)>
#mc = affine_map<(m, n, k) -> (n, m)>
func.func @transposed_result_half_inputs(%a: tensor<13x17xf16>, %b: tensor<17x1xf16>, %c: tensor<1x13xf32>) -> tensor<1x13xf32> {
  %r = linalg.generic {indexing_maps = [#ma, #mb, #mc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<13x17xf16>, tensor<17x1xf16>) outs(%c : tensor<1x13xf32>) {
  ^bb0(%x: f16, %y: f16, %acc: f32):
    %xe = arith.extf %x : f16 to f32
    %ye = arith.extf %y : f16 to f32
    %m = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x13xf32>
  return %r : tensor<1x13xf32>
}

// -----

// Left alone: a matrix-vector product (no N dim) and a max-plus "contraction" (not a multiply-add).
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT:     linalg.matmul
#mv_a = affine_map<(m, k) -> (m, k)>
#mv_b = affine_map<(m, k) -> (k)>
#mv_c = affine_map<(m, k) -> (m)>
func.func @left_alone(%a: tensor<7x5xf32>, %v: tensor<5xf32>, %y: tensor<7xf32>, %b: tensor<5x3xf32>, %c: tensor<7x3xf32>) -> (tensor<7xf32>, tensor<7x3xf32>) {
  %mv = linalg.generic {indexing_maps = [#mv_a, #mv_b, #mv_c], iterator_types = ["parallel", "reduction"]}
      ins(%a, %v : tensor<7x5xf32>, tensor<5xf32>) outs(%y : tensor<7xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %m = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<7xf32>
  %mp = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<7x5xf32>, tensor<5x3xf32>) outs(%c : tensor<7x3xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %m = arith.addf %x, %w : f32
    %s = arith.maximumf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<7x3xf32>
  return %mv, %mp : tensor<7xf32>, tensor<7x3xf32>
}

// -----

// einsum("hqk,khd->qhd") as JAX exports it: V is the first operand. As A it would transpose V to
// [h, d, k] and the whole [h, k, q] probabilities; the operands are taken the other way round
// (P as A, only V and the small result transposed), which moves the fewest elements and keeps
// the softmax the row operand that the attention schedule tiles.
// CHECK-LABEL: func.func @probabilities_times_values
// CHECK-SAME:    (%[[V:.*]]: tensor<9x3x5xf32>, %[[P:.*]]: tensor<3x7x9xf32>)
// CHECK:         %[[VT:.*]] = linalg.transpose ins(%[[V]] : tensor<9x3x5xf32>) outs(%{{.*}} : tensor<3x9x5xf32>) permutation = [1, 0, 2]
// CHECK:         %[[R:.*]] = linalg.batch_matmul ins(%[[P]], %[[VT]] : tensor<3x7x9xf32>, tensor<3x9x5xf32>)
// CHECK:         linalg.transpose ins(%[[R]] : tensor<3x7x5xf32>) outs(%{{.*}} : tensor<7x3x5xf32>) permutation = [1, 0, 2]
#v = affine_map<(q, h, d, k) -> (k, h, d)>
#p = affine_map<(q, h, d, k) -> (h, q, k)>
#o = affine_map<(q, h, d, k) -> (q, h, d)>
func.func @probabilities_times_values(%v: tensor<9x3x5xf32>, %p: tensor<3x7x9xf32>) -> tensor<7x3x5xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<7x3x5xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<7x3x5xf32>) -> tensor<7x3x5xf32>
  %r = linalg.generic {indexing_maps = [#v, #p, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v, %p : tensor<9x3x5xf32>, tensor<3x7x9xf32>) outs(%f : tensor<7x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<7x3x5xf32>
  return %r : tensor<7x3x5xf32>
}
