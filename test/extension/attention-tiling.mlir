// TilingInterface of tw.attention: batch and query blocks on a forall; each
// tile slices Q and the output by rows, takes K/V whole, and its causal
// diagonal moves by the block's first row. Tiling the keys is refused.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter --canonicalize --split-input-file --verify-diagnostics %s | FileCheck %s

// CHECK-LABEL: func.func @rows
// CHECK: scf.forall (%[[B:.*]], %[[I:.*]]) in (2, 2) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:   %[[M0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK:   %[[QS:.*]] = tensor.extract_slice %{{.*}}[%[[B]], %[[M0]], 0] [1, %{{.*}}, 32] [1, 1, 1] : tensor<2x7x32xf32> to tensor<1x?x32xf32>
// CHECK:   %[[KS:.*]] = tensor.extract_slice %{{.*}}[%[[B]], 0, 0] [1, 9, 32] [1, 1, 1]
// CHECK:   %[[VS:.*]] = tensor.extract_slice %{{.*}}[%[[B]], 0, 0] [1, 9, 16] [1, 1, 1]
// CHECK:   %[[OS:.*]] = tensor.extract_slice %[[OUT]][%[[B]], %[[M0]], 0] [1, %{{.*}}, 16]
// CHECK:   tw.attention causal scale = 1.250000e-01 {{.*}} ins(%[[QS]], %[[KS]], %[[VS]] : {{.*}}) diagonal(%[[M0]]) outs(%[[OS]] : tensor<1x?x16xf32>)
#q = affine_map<(b, m, n, d, e) -> (b, m, d)>
#k = affine_map<(b, m, n, d, e) -> (b, n, d)>
#v = affine_map<(b, m, n, d, e) -> (b, n, e)>
#o = affine_map<(b, m, n, d, e) -> (b, m, e)>
func.func @rows(%q: tensor<2x7x32xf32>, %k: tensor<2x9x32xf32>, %v: tensor<2x9x16xf32>, %o: tensor<2x7x16xf32>) -> tensor<2x7x16xf32> {
  %r = tw.attention causal scale = 0.125 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<2x7x32xf32>, tensor<2x9x32xf32>, tensor<2x9x16xf32>)
     outs(%o : tensor<2x7x16xf32>) -> tensor<2x7x16xf32>
  return %r : tensor<2x7x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["tw.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %a tile_sizes [1, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @keys(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{cannot tile the key dim n: its softmax needs every key (convert it to tw.online_attention)}}
  // expected-error @below {{to tile operation}}
  // expected-error @below {{failed to generate tiling loops}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["tw.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %a tile_sizes [0, 2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
