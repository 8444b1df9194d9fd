// tw.attention (the C++ extension's op), causal, seq 4096, head 64: the default schedule's flash
// attention. One parallel loop over 64-row query blocks; inside, the online state (acc 64x64, max and
// sum of 64) and a key loop of 128-key blocks that ends at the block's diagonal (arith.minsi), each
// block's Q·Kᵀ and P·V on the 8x32 (AVX-512) or 6x16 microkernel and its softmax in vector rows.
// No buffer of seq x seq (or seq x anything but the operands) exists.
// REQUIRES: tw-extension
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s --check-prefix=NOSEQ

// NOSEQ-NOT: 4096x4096
// NOSEQ-NOT: memref.alloc() {{.*}} memref<{{.*}}4096
// NOSEQ-NOT: tw.{{(online_)?}}attention

// CHECK-LABEL: func.func @main
// CHECK:       scf.forall (%{{.*}}) in (64)
// CHECK:         memref.alloc() {{.*}} : memref<64x64xf32>
// CHECK:         %[[UB:.*]] = arith.minsi %{{.*}}, %c4096
// CHECK:         scf.for %{{.*}} = %c0 to %[[UB]] step %c128
// CHECK:           memref.alloc() {{.*}} : memref<64x128xf32>
// CHECK:           vector.fma
// CHECK:           math.exp {{.*}} : vector<128xf32>
// CHECK:           vector.fma
// CHECK:         arith.divf
#q = affine_map<(m, n, d, e) -> (m, d)>
#k = affine_map<(m, n, d, e) -> (n, d)>
#v = affine_map<(m, n, d, e) -> (n, e)>
#o = affine_map<(m, n, d, e) -> (m, e)>
func.func @main(%q: tensor<4096x64xf32>, %k: tensor<4096x64xf32>, %v: tensor<4096x64xf32>) -> tensor<4096x64xf32> {
  %e = tensor.empty() : tensor<4096x64xf32>
  %r = tw.attention causal scale = 0.125 indexing_maps = [#q, #k, #v, #o]
     ins(%q, %k, %v : tensor<4096x64xf32>, tensor<4096x64xf32>, tensor<4096x64xf32>)
     outs(%e : tensor<4096x64xf32>) -> tensor<4096x64xf32>
  return %r : tensor<4096x64xf32>
}
