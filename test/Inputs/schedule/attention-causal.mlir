// One causal head, 100 queries and keys (no block size divides it), head dim 32.
#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @main(%q: tensor<100x32xf32>, %k: tensor<100x32xf32>, %v: tensor<100x32xf32>) -> tensor<100x32xf32> {
  %e = tensor.empty() : tensor<100x32xf32>
  %r = tw.attention causal scale = 0.125 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<100x32xf32>, tensor<100x32xf32>, tensor<100x32xf32>)
     outs(%e : tensor<100x32xf32>) -> tensor<100x32xf32>
  return %r : tensor<100x32xf32>
}
