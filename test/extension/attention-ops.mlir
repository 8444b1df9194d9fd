// tw.attention and tw.online_attention: they parse, print and round-trip in
// stock mlir-opt with the plugin (heads after seq, GQA broadcast, masks).
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin %s | %mlir-opt --load-dialect-plugin=%tw-plugin | FileCheck %s

// CHECK-LABEL: func.func @causal_multihead
// CHECK: tw.attention causal scale = 1.250000e-01 indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}] ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x7x32xf32>, tensor<2x9x32xf32>, tensor<2x9x16xf32>) outs(%{{.*}} : tensor<2x7x16xf32>) -> tensor<2x7x16xf32>
#q = affine_map<(b, m, n, d, e) -> (b, m, d)>
#k = affine_map<(b, m, n, d, e) -> (b, n, d)>
#v = affine_map<(b, m, n, d, e) -> (b, n, e)>
#o = affine_map<(b, m, n, d, e) -> (b, m, e)>
func.func @causal_multihead(%q: tensor<2x7x32xf32>, %k: tensor<2x9x32xf32>, %v: tensor<2x9x16xf32>, %o: tensor<2x7x16xf32>) -> tensor<2x7x16xf32> {
  %r = tw.attention causal scale = 0.125 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<2x7x32xf32>, tensor<2x9x32xf32>, tensor<2x9x16xf32>)
     outs(%o : tensor<2x7x16xf32>) -> tensor<2x7x16xf32>
  return %r : tensor<2x7x16xf32>
}

// GQA as JAX's dot_product_attention lays it out: [seq, kv heads, group, dim]
// queries over [seq, kv heads, dim] keys and values; the group dim g is a
// batch dim K and V omit. A bf16 additive mask broadcast over heads.
// CHECK-LABEL: func.func @gqa_heads_after_seq
// CHECK: tw.attention scale = 1.000000e+00 indexing_maps = {{.*}} mask(%{{.*}} : tensor<5x6xbf16>) outs(%{{.*}} : tensor<5x2x4x8xbf16>)
#gq = affine_map<(h, g, m, n, d, e) -> (m, h, g, d)>
#gk = affine_map<(h, g, m, n, d, e) -> (n, h, d)>
#gv = affine_map<(h, g, m, n, d, e) -> (n, h, e)>
#gm = affine_map<(h, g, m, n, d, e) -> (m, n)>
#go = affine_map<(h, g, m, n, d, e) -> (m, h, g, e)>
func.func @gqa_heads_after_seq(%q: tensor<5x2x4x8xbf16>, %k: tensor<6x2x8xbf16>, %v: tensor<6x2x8xbf16>,
                               %mask: tensor<5x6xbf16>, %o: tensor<5x2x4x8xbf16>) -> tensor<5x2x4x8xbf16> {
  %r = tw.attention scale = 1.0 indexing_maps = [#gq, #gk, #gv, #gm, #go]
     ins(%q, %k, %v : tensor<5x2x4x8xbf16>, tensor<6x2x8xbf16>, tensor<6x2x8xbf16>)
     mask(%mask : tensor<5x6xbf16>)
     outs(%o : tensor<5x2x4x8xbf16>) -> tensor<5x2x4x8xbf16>
  return %r : tensor<5x2x4x8xbf16>
}

// CHECK-LABEL: func.func @online_block
// CHECK: tw.online_attention causal scale = 5.000000e-01 indexing_maps = {{.*}} mask(%{{.*}} : tensor<4x8xi1>) diagonal(%{{.*}}) outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>
#q2 = affine_map<(m, n, d, e) -> (m, d)>
#k2 = affine_map<(m, n, d, e) -> (n, d)>
#v2 = affine_map<(m, n, d, e) -> (n, e)>
#m2 = affine_map<(m, n, d, e) -> (m, n)>
#a2 = affine_map<(m, n, d, e) -> (m, e)>
#r2 = affine_map<(m, n, d, e) -> (m)>
func.func @online_block(%q: tensor<4x32xf16>, %k: tensor<8x32xf16>, %v: tensor<8x16xf16>, %mask: tensor<4x8xi1>,
                        %diag: index, %acc: tensor<4x16xf32>, %max: tensor<4xf32>, %sum: tensor<4xf32>)
    -> (tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>) {
  %a, %m, %s = tw.online_attention causal scale = 0.5 indexing_maps = [#q2, #k2, #v2, #m2, #a2, #r2, #r2]
     ins(%q, %k, %v : tensor<4x32xf16>, tensor<8x32xf16>, tensor<8x16xf16>)
     mask(%mask : tensor<4x8xi1>) diagonal(%diag)
     outs(%acc, %max, %sum : tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>)
     -> tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>
  return %a, %m, %s : tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>
}
