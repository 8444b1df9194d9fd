// Multi-head attention over [batch, heads, seq, dim] = 2x3x40x16 as jnp.einsum writes it
// ("bhqd,bhkd->bhqk", softmax, "bhqk,bhkd->bhqd"). Both contractions have two batch dims: they are
// named batch_matmuls over the 6 merged (batch, head) pairs, and the softmax between them runs on
// the same 6x40x40 layout (the expand_shape after Q·Kᵀ is pushed through it), so the attention
// schedule sees one chain: one parallel loop over (head pair, query-row block) holding Q·Kᵀ, the
// softmax and ·V, and the 40x40 scores exist one 20-row block at a time.
// RUN: %tilewright compile %s --threads 1 --emit linalg | FileCheck %s --check-prefix=LIN
// RUN: %tilewright compile %s --threads 1 --emit scheduled | FileCheck %s
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s --check-prefix=BUF

// LIN-LABEL: func.func public @main
// LIN:         %[[S:.+]] = linalg.batch_matmul ins({{.+}} : tensor<6x40x16xf32>, tensor<6x16x40xf32>) {{.*}} -> tensor<6x40x40xf32>
// LIN-NOT:     tensor.expand_shape
// LIN:         linalg.generic {{.*}} ins(%[[S]] : tensor<6x40x40xf32>)
// LIN-NOT:     tensor.expand_shape
// LIN-NOT:     tensor.collapse_shape {{.*}}x40x40xf32>
// LIN:         linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<6x40x40xf32>, tensor<6x40x16xf32>)
// LIN:         tensor.expand_shape {{.*}} into tensor<2x3x40x16xf32>

// CHECK-LABEL: func.func public @main
// CHECK:         scf.forall (%{{.+}}, %{{.+}}) in (6, 2)
// Q·Kᵀ on the block: the register-tiled kernel over k = 16.
// CHECK:           scf.for %{{.+}} = %c0 to %c16 step %c1 {{.*}} -> (vector<{{[0-9]+}}x{{16|32}}xf32>)
// CHECK:             vector.fma
// The softmax's row reductions reduce each row's vector to one value (vector.reduction, which LLVM
// turns into a tree), not one scalar compare or add per lane: the row loops are tw.row_loop.
// CHECK:           vector.reduction <maximumf>, %{{.+}} : vector<40xf32> into f32
// CHECK:         } {tw.row_loop}
// CHECK:           math.exp %{{.+}} : vector<40xf32>
// CHECK:           vector.reduction <add>, %{{.+}} : vector<40xf32> into f32
// CHECK:         } {tw.row_loop}
// ·V on the same block: the kernel over k = 40 keys.
// CHECK:           scf.for %{{.+}} = %c0 to %c40 step %c1 {{.*}} -> (vector<{{[0-9]+}}x{{16|32}}xf32>)
// CHECK:             vector.fma
// CHECK:         scf.forall.in_parallel
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         return

// Scores only as per-task blocks of rows: no buffer of a whole head's (or all heads') scores.
// BUF-LABEL: func.func public @main
// BUF-NOT:     memref.alloc() {{.*}} : memref<{{.*}}40x40xf32>
// BUF:         scf.forall
// BUF:           memref.alloc() {{.*}} : memref<1x20x40xf32>
// BUF-NOT:     memref.alloc() {{.*}} : memref<{{.*}}40x40xf32>

module @jit_mha attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<2x3x40x16xf32>, %arg1: tensor<2x3x40x16xf32>, %arg2: tensor<2x3x40x16xf32>) -> (tensor<2x3x40x16xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.dot_general %arg0, %arg1, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [3], precision = [DEFAULT, DEFAULT] : (tensor<2x3x40x16xf32>, tensor<2x3x40x16xf32>) -> tensor<2x3x40x40xf32>
    %cst = stablehlo.constant dense<4.000000e+00> : tensor<f32>
    %1 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<2x3x40x40xf32>
    %2 = stablehlo.divide %0, %1 : tensor<2x3x40x40xf32>
    %cst_0 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %3 = stablehlo.reduce(%2 init: %cst_0) applies stablehlo.maximum across dimensions = [3] : (tensor<2x3x40x40xf32>, tensor<f32>) -> tensor<2x3x40xf32>
    %cst_1 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %4 = stablehlo.broadcast_in_dim %cst_1, dims = [] : (tensor<f32>) -> tensor<2x3x40xf32>
    %5 = stablehlo.maximum %4, %3 : tensor<2x3x40xf32>
    %6 = stablehlo.broadcast_in_dim %5, dims = [0, 1, 2] : (tensor<2x3x40xf32>) -> tensor<2x3x40x1xf32>
    %7 = stablehlo.broadcast_in_dim %6, dims = [0, 1, 2, 3] : (tensor<2x3x40x1xf32>) -> tensor<2x3x40x40xf32>
    %8 = stablehlo.subtract %2, %7 : tensor<2x3x40x40xf32>
    %9 = stablehlo.exponential %8 : tensor<2x3x40x40xf32>
    %cst_2 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %10 = stablehlo.reduce(%9 init: %cst_2) applies stablehlo.add across dimensions = [3] : (tensor<2x3x40x40xf32>, tensor<f32>) -> tensor<2x3x40xf32>
    %11 = stablehlo.broadcast_in_dim %10, dims = [0, 1, 2] : (tensor<2x3x40xf32>) -> tensor<2x3x40x1xf32>
    %12 = stablehlo.broadcast_in_dim %11, dims = [0, 1, 2, 3] : (tensor<2x3x40x1xf32>) -> tensor<2x3x40x40xf32>
    %13 = stablehlo.divide %9, %12 : tensor<2x3x40x40xf32>
    %14 = stablehlo.dot_general %13, %arg2, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [2], precision = [DEFAULT, DEFAULT] : (tensor<2x3x40x40xf32>, tensor<2x3x40x16xf32>) -> tensor<2x3x40x16xf32>
    return %14 : tensor<2x3x40x16xf32>
  }
}
