// The flash steps in stock mlir-opt with the plugin: query blocks on a forall,
// tw.attention -> online form, key blocks on an scf.for whose bound stops at
// the causal diagonal, the online op decomposed into linalg with the -inf guard.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter --canonicalize --split-input-file %s | FileCheck %s

// CHECK-LABEL: func.func @causal
// CHECK:       scf.forall (%[[I:.*]]) in (8)
// CHECK:         %[[M0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:         linalg.fill ins(%[[NEGINF:.*]] : f32) outs(%{{.*}} : tensor<16xf32>)
// CHECK:         %[[ROW:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK:         %[[LIMIT:.*]] = arith.addi %[[ROW]], %c16
// CHECK:         %[[UB:.*]] = arith.minsi %[[LIMIT]], %c128
// CHECK:         scf.for %[[J:.*]] = %c0 to %[[UB]] step %c32 iter_args(%[[ACC:.*]] = %{{.*}}, %[[MAX:.*]] = %{{.*}}, %[[SUM:.*]] = %{{.*}})
// The scores (2-D row-major: named ops the microkernel takes): the key block
// transposed, then an f32 matmul of the f16 operands.
// CHECK:           %[[KT:.*]] = linalg.transpose ins(%{{.*}} : tensor<32x64xf16>) outs(%{{.*}} : tensor<64x32xf16>) permutation = [1, 0]
// CHECK:           linalg.matmul ins(%{{.*}}, %[[KT]] : tensor<16x64xf16>, tensor<64x32xf16>) outs(%{{.*}} : tensor<16x32xf32>)
// Scale and the causal select on absolute positions (diagonal = row block - key block):
// CHECK:           linalg.generic {{.*}} outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:             arith.mulf
// CHECK:             linalg.index 0
// CHECK:             linalg.index 1
// CHECK:             arith.cmpi sle
// CHECK:             arith.select
// The running max, then p = exp(s - max) with max = -inf read as 0:
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<16x32xf32>) outs(%[[MAX]] : tensor<16xf32>)
// CHECK:             arith.maximumf
// CHECK:           linalg.generic
// CHECK:             arith.cmpf oeq
// CHECK:             arith.select
// CHECK:             arith.subf
// CHECK:             math.exp
// alpha = exp(old max - new max), sum and acc rescaled, p·V accumulated:
// CHECK:           linalg.generic {{.*}} ins(%[[MAX]], %{{.*}} : tensor<16xf32>, tensor<16xf32>)
// CHECK:             math.exp
// CHECK:           linalg.generic {{.*}} outs(%[[SUM]] : tensor<16xf32>)
// CHECK:             arith.mulf
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]}
// CHECK:             arith.addf
// CHECK:           linalg.generic {{.*}} outs(%[[ACC]] : tensor<16x32xf32>)
// CHECK:             arith.mulf
// CHECK:           linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x32xf16>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:           scf.yield
// The normalization: acc / sum, 0 where sum is 0, rounded to f16.
// CHECK:         linalg.generic
// CHECK:           arith.cmpf oeq
// CHECK:           arith.divf
// CHECK:           arith.select
// CHECK:           arith.truncf {{.*}} f32 to f16
// CHECK-NOT:   tw.
// CHECK:       return
#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @causal(%q: tensor<128x64xf16>, %k: tensor<128x64xf16>, %v: tensor<128x32xf16>) -> tensor<128x32xf16> {
  %e = tensor.empty() : tensor<128x32xf16>
  %r = tw.attention causal scale = 0.125 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x32xf16>)
     outs(%e : tensor<128x32xf16>) -> tensor<128x32xf16>
  return %r : tensor<128x32xf16>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["tw.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %forall = transform.structured.tile_using_forall %a tile_sizes [16, 0, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %online, %norm, %fills = transform.tw.convert_to_online_attention %t
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %blocks, %keys = transform.structured.tile_using_for %online tile_sizes [0, 32, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.tw.skip_invisible_keys %keys : !transform.any_op
    %scores, %pv, %kt, %rows, %state = transform.tw.decompose_attention %blocks
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// GQA over [kv heads, group, seq, dim] with a float padding mask per kv head:
// a tile holds one kv head and both query heads of its group, so the step stays
// batched: generic contractions over (g, m, n, d) and (g, m, n, e), f32.
// CHECK-LABEL: func.func @gqa
// CHECK:       scf.forall (%{{.*}}, %{{.*}}) in (2, 4)
// CHECK:         scf.for %{{.*}} = %c0 to %c64 step %c16
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x8x32xf32>, tensor<1x16x32xf32>) outs(%{{.*}} : tensor<1x2x8x16xf32>)
// CHECK:           linalg.generic {{.*}} ins(%{{.*}} : tensor<1x8x16xf32>) outs(%{{.*}} : tensor<1x2x8x16xf32>)
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK-NOT:         linalg.index
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x8x16xf32>, tensor<1x16x32xf32>) outs(%{{.*}} : tensor<1x2x8x32xf32>)
// CHECK-NOT:   tw.online_attention
// CHECK-NOT:   tw.attention
// CHECK:       return
#q = affine_map<(h, g, m, n, d, e) -> (h, g, m, d)>
#k = affine_map<(h, g, m, n, d, e) -> (h, n, d)>
#v = affine_map<(h, g, m, n, d, e) -> (h, n, e)>
#b = affine_map<(h, g, m, n, d, e) -> (h, m, n)>
#o = affine_map<(h, g, m, n, d, e) -> (h, g, m, e)>
func.func @gqa(%q: tensor<2x2x32x32xf32>, %k: tensor<2x64x32xf32>, %v: tensor<2x64x32xf32>, %bias: tensor<2x32x64xf32>) -> tensor<2x2x32x32xf32> {
  %e = tensor.empty() : tensor<2x2x32x32xf32>
  %r = tw.attention scale = 0.25 indexing_maps = [#q, #k, #v, #b, #o]
     ins(%q, %k, %v : tensor<2x2x32x32xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>)
     mask(%bias : tensor<2x32x64xf32>)
     outs(%e : tensor<2x2x32x32xf32>) -> tensor<2x2x32x32xf32>
  return %r : tensor<2x2x32x32xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["tw.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %forall = transform.structured.tile_using_forall %a tile_sizes [1, 0, 8, 0, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %online, %norm, %fills = transform.tw.convert_to_online_attention %t
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %blocks, %keys = transform.structured.tile_using_for %online tile_sizes [0, 0, 0, 16, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %scores, %pv, %kt, %rows, %state = transform.tw.decompose_attention %blocks
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
