// The flash steps in stock mlir-opt with the plugin: query blocks on a forall,
// tw.attention -> online form, key blocks on an scf.for whose bound stops at
// the causal diagonal, the online op decomposed into linalg with the -inf guard.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter --canonicalize %s | FileCheck %s

// CHECK-LABEL: func.func @causal
// CHECK:       scf.forall (%[[I:.*]]) in (8)
// CHECK:         %[[M0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:         linalg.fill ins(%[[NEGINF:.*]] : f32) outs(%{{.*}} : tensor<16xf32>)
// CHECK:         %[[ROW:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK:         %[[LIMIT:.*]] = arith.addi %[[ROW]], %c16
// CHECK:         %[[UB:.*]] = arith.minsi %[[LIMIT]], %c128
// CHECK:         scf.for %[[J:.*]] = %c0 to %[[UB]] step %c32 iter_args(%[[ACC:.*]] = %{{.*}}, %[[MAX:.*]] = %{{.*}}, %[[SUM:.*]] = %{{.*}})
// The scores, f32 products of f16 operands:
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<16x64xf16>, tensor<32x64xf16>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:             arith.extf
// CHECK:             arith.extf
// CHECK:             arith.mulf
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
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x32xf16>) outs(%{{.*}} : tensor<16x32xf32>)
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
    %scores, %pv, %others = transform.tw.decompose_attention %blocks
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
