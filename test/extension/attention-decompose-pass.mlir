// tw-decompose-attention: tw.attention that no schedule handled (--schedule none) becomes linalg,
// the online form over all keys at once, so bufferization never sees a tw op.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --load-pass-plugin=%tw-plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(tw-decompose-attention),canonicalize)' %s | FileCheck %s

// CHECK-LABEL: func.func @whole
// CHECK-NOT:   tw.
// CHECK:       linalg.fill
// CHECK:       %[[KT:.*]] = linalg.transpose ins(%{{.*}} : tensor<9x32xf32>)
// CHECK:       linalg.matmul ins(%{{.*}}, %[[KT]] : tensor<7x32xf32>, tensor<32x9xf32>) outs(%{{.*}} : tensor<7x9xf32>)
// CHECK:       math.exp
// CHECK:       linalg.matmul
// CHECK:       arith.divf
// CHECK-NOT:   tw.
// CHECK:       return
#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @whole(%q: tensor<7x32xf32>, %k: tensor<9x32xf32>, %v: tensor<9x16xf32>) -> tensor<7x16xf32> {
  %e = tensor.empty() : tensor<7x16xf32>
  %r = tw.attention causal scale = 0.125 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<7x32xf32>, tensor<9x32xf32>, tensor<9x16xf32>)
     outs(%e : tensor<7x16xf32>) -> tensor<7x16xf32>
  return %r : tensor<7x16xf32>
}

// Kᵀ as the linalg stage materializes it for q @ k.T: (d, n), no transpose.
// CHECK-LABEL: func.func @key_transposed
// CHECK-NOT:   linalg.transpose
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<7x32xf32>, tensor<32x9xf32>) outs(%{{.*}} : tensor<7x9xf32>)
// CHECK:       return
#kt = affine_map<(m, n, d, e) -> (d, n)>
func.func @key_transposed(%q: tensor<7x32xf32>, %k: tensor<32x9xf32>, %v: tensor<9x16xf32>) -> tensor<7x16xf32> {
  %e = tensor.empty() : tensor<7x16xf32>
  %r = tw.attention scale = 0.125 indexing_maps = [#q, #kt, #v, #o]
     ins(%q, %k, %v : tensor<7x32xf32>, tensor<32x9xf32>, tensor<9x16xf32>)
     outs(%e : tensor<7x16xf32>) -> tensor<7x16xf32>
  return %r : tensor<7x16xf32>
}
