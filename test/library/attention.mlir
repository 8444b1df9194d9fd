// Attention as JAX exports it (softmax(Q·Kᵀ·scale)·V, one head, seq 96, head 64): the default schedule
// runs one parallel loop over blocks of query rows holding both contractions and the softmax, so the
// 96x96 scores exist one 32-row block at a time (96 x 4 bytes per row: 32 rows fit the block budget).
// On AVX2, 32 rows take a 4 x 16 kernel (8 accumulators, no padded 6-row remainder).
// RUN: %tilewright compile %s --threads 1 --emit scheduled | FileCheck %s
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s --check-prefix=BUF
// RUN: %tilewright run %s --threads 1 --random-inputs | FileCheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func public @main
// CHECK:         scf.forall (%{{.+}}) in (3)
// Q·Kᵀ on the block: the register-tiled kernel over k = 64.
// CHECK:           scf.for %{{.+}} = %c0 to %c64 step %c1 {{.*}} -> (vector<{{4x16|8x32}}xf32>)
// CHECK:             vector.fma
// The softmax on 96-wide rows of the block, exp as a vector op.
// CHECK:           math.exp %{{.+}} : vector<96xf32>
// ·V on the same block: the kernel over k = 96 keys.
// CHECK:           scf.for %{{.+}} = %c0 to %c96 step %c1 {{.*}} -> (vector<{{4x16|8x32}}xf32>)
// CHECK:             vector.fma
// CHECK:         scf.forall.in_parallel
// CHECK-NOT:     linalg.matmul
// CHECK:         return

// The only buffers of scores are per-task blocks; no 96 x 96 buffer is ever allocated.
// BUF-LABEL: func.func public @main
// BUF-NOT:     memref.alloc() {{.*}} : memref<96x96xf32>
// BUF:         scf.forall
// BUF:           memref.alloc() {{.*}} : memref<32x96xf32>
// BUF-NOT:     memref.alloc() {{.*}} : memref<96x96xf32>

// EXEC: result0: float32[96, 64]

module @jit_attention attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<96x64xf32>, %arg1: tensor<96x64xf32>, %arg2: tensor<96x64xf32>) -> (tensor<96x64xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.transpose %arg1, dims = [1, 0] : (tensor<96x64xf32>) -> tensor<64x96xf32>
    %1 = stablehlo.dot_general %arg0, %0, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<96x64xf32>, tensor<64x96xf32>) -> tensor<96x96xf32>
    %cst = stablehlo.constant dense<1.250000e-01> : tensor<f32>
    %2 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<96x96xf32>
    %3 = stablehlo.multiply %1, %2 : tensor<96x96xf32>
    %cst_0 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %4 = stablehlo.reduce(%3 init: %cst_0) applies stablehlo.maximum across dimensions = [1] : (tensor<96x96xf32>, tensor<f32>) -> tensor<96xf32>
    %cst_1 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %5 = stablehlo.broadcast_in_dim %cst_1, dims = [] : (tensor<f32>) -> tensor<96xf32>
    %6 = stablehlo.maximum %5, %4 : tensor<96xf32>
    %7 = stablehlo.broadcast_in_dim %6, dims = [0] : (tensor<96xf32>) -> tensor<96x1xf32>
    %8 = stablehlo.broadcast_in_dim %7, dims = [0, 1] : (tensor<96x1xf32>) -> tensor<96x96xf32>
    %9 = stablehlo.subtract %3, %8 : tensor<96x96xf32>
    %10 = stablehlo.exponential %9 : tensor<96x96xf32>
    %cst_2 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %11 = stablehlo.reduce(%10 init: %cst_2) applies stablehlo.add across dimensions = [1] : (tensor<96x96xf32>, tensor<f32>) -> tensor<96xf32>
    %12 = stablehlo.broadcast_in_dim %11, dims = [0] : (tensor<96xf32>) -> tensor<96x1xf32>
    %13 = stablehlo.broadcast_in_dim %12, dims = [0, 1] : (tensor<96x1xf32>) -> tensor<96x96xf32>
    %14 = stablehlo.divide %10, %13 : tensor<96x96xf32>
    %15 = stablehlo.dot_general %14, %arg2, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<96x96xf32>, tensor<96x64xf32>) -> tensor<96x64xf32>
    return %15 : tensor<96x64xf32>
  }
}

