// The verifiers of tw.attention and tw.online_attention: located errors.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --split-input-file --verify-diagnostics %s

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @too_few_maps(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{'tw.attention' op expects 4 indexing maps (one per shaped operand), got 3}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d) -> (m, d)>
func.func @small_domain(%q: tensor<4x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{expects an iteration domain of at least 4 dims (batch..., m, n, d, e), got 3}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #q, #q, #q]
     ins(%q, %q, %q : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @key_sizes(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<7x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{domain dim 1 (n) has size 6 in 'key' but 7 in 'value'}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<7x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @rank(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8x1xf32>) -> tensor<4x8x1xf32> {
  // expected-error @below {{'output' has rank 3 but its indexing map has 2 results}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  return %r : tensor<4x8x1xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (m, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @key_role(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{indexing map of 'key' must index exactly the dims n d of (m, n, d, e) besides batch dims}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<4x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (d, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @not_permutation(%q: tensor<8x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{indexing map of 'query' must be a projected permutation}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<8x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
#q5 = affine_map<(m, n, d, e, x) -> (m, d)>
func.func @dims_differ(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{indexing map of 'key' must have 4 dims and no symbols, like the query's}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #q5, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(b, m, n, d, e) -> (b, m, d)>
#k = affine_map<(b, m, n, d, e) -> (n, d)>
#v = affine_map<(b, m, n, d, e) -> (n, e)>
#o = affine_map<(b, m, n, d, e) -> (m, e)>
func.func @output_batch(%q: tensor<2x4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{indexing map of 'output' must index every batch dim}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<2x4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @int_query(%q: tensor<4x8xi32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{'query' must hold floats, got 'i32'}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xi32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#mk = affine_map<(m, n, d, e) -> (m, n)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @int_mask(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %mask: tensor<4x6xi8>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{'mask' must hold i1 (keep where true) or floats (an additive bias), got 'i8'}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #mk, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) mask(%mask : tensor<4x6xi8>)
     outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @diagonal_without_causal(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>, %d: index) -> tensor<4x8xf32> {
  // expected-error @below {{a diagonal offset needs 'causal'}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) diagonal(%d) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @result_type(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf16> {
  // expected-error @below {{result type 'tensor<4x8xf16>' differs from its destination's 'tensor<4x8xf32>'}}
  %r = tw.attention scale = 1.0 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf16>
  return %r : tensor<4x8xf16>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#a = affine_map<(m, n, d, e) -> (m, e)>
#r = affine_map<(m, n, d, e) -> (m)>
func.func @online_state_types(%q: tensor<4x8xf16>, %k: tensor<6x8xf16>, %v: tensor<6x8xf16>,
                              %acc: tensor<4x8xf32>, %max: tensor<4xf16>, %sum: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{'acc', 'max' and 'sum' must share an element type}}
  %a, %m, %s = tw.online_attention scale = 1.0 indexing_maps = [#q, #k, #v, #a, #r, #r]
     ins(%q, %k, %v : tensor<4x8xf16>, tensor<6x8xf16>, tensor<6x8xf16>)
     outs(%acc, %max, %sum : tensor<4x8xf32>, tensor<4xf16>, tensor<4xf32>) -> tensor<4x8xf32>, tensor<4xf16>, tensor<4xf32>
  return %a : tensor<4x8xf32>
}

// -----

#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#a = affine_map<(m, n, d, e) -> (m, e)>
#r = affine_map<(m, n, d, e) -> (m, e)>
func.func @online_max_map(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>,
                          %acc: tensor<4x8xf32>, %max: tensor<4x8xf32>, %sum: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{indexing map of 'max' must index exactly the dims m of (m, n, d, e) besides batch dims}}
  %a, %m, %s = tw.online_attention scale = 1.0 indexing_maps = [#q, #k, #v, #a, #r, #r]
     ins(%q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>)
     outs(%acc, %max, %sum : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xf32>
  return %a : tensor<4x8xf32>
}
