// transform.tw.convert_to_online_attention, decompose_attention and
// skip_invisible_keys on the wrong payload: silenceable failures naming the
// transform op, with a note at the payload op; never an assertion.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter \
// RUN:   --split-input-file --verify-diagnostics %s

func.func @not_attention(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-note @below {{payload op: arith.addf}}
  %s = arith.addf %a, %a : tensor<8xf32>
  return %s : tensor<8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %add = transform.structured.match ops{["arith.addf"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects tw.attention ops}}
    %o, %n, %f = transform.tw.convert_to_online_attention %add
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @not_online(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-note @below {{payload op: tw.attention}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["tw.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects tw.online_attention ops (convert tw.attention with transform.tw.convert_to_online_attention first)}}
    %s, %pv, %kt, %rows, %state = transform.tw.decompose_attention %a
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

func.func @not_a_loop(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-note @below {{payload op: arith.addf}}
  %s = arith.addf %a, %a : tensor<8xf32>
  return %s : tensor<8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %add = transform.structured.match ops{["arith.addf"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects scf.for loops over key blocks}}
    transform.tw.skip_invisible_keys %add : !transform.any_op
    transform.yield
  }
}

// -----

// A key loop of a non-causal online op: nothing to skip, so it is misuse.
#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @not_causal(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-note @below {{payload op: scf.for}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["tw.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %online, %norm, %fills = transform.tw.convert_to_online_attention %a
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %blocks, %keys = transform.structured.tile_using_for %online tile_sizes [0, 2, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    // expected-error @below {{expects a causal tw.online_attention in the loop body whose keys are sliced at the induction variable}}
    transform.tw.skip_invisible_keys %keys : !transform.any_op
    transform.yield
  }
}
