// A dense layer with bias and GELU (jax.nn.gelu(x @ w + b), 97x300 @ 300x1000) under the default
// schedule on one thread: the matmul takes the packed path and its epilogue (bias + GELU, one
// elementwise op) consumes the unpack tile by tile, 8 x 32 at a time with the edges (97 = 12 * 8 + 1,
// 1000 = 31 * 32 + 8) peeled: no unpacked C, no memset of it, no separate pass of the epilogue.
// With two threads the epilogue stays a fusion group of its own (its forall), C unpacked first.
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s
// RUN: %tilewright compile %s --threads 2 --emit bufferized | FileCheck %s --check-prefix=THREADS
// RUN: %tilewright run %s --threads 1 --random-inputs | FileCheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func public @main
// CHECK-SAME:    %[[OUT:[a-z0-9]+]]: memref<97x1000xf32>
// No buffer of C's shape: the result is written by the epilogue alone.
// CHECK-NOT:     memref.alloc() {{.*}} : memref<97x1000xf32>
// C is one cache block here (the model's blocks exceed 97 x 1000): its forall has one task.
// CHECK:         %[[C:.+]] = memref.alloc() {{.*}} : memref<13x32x8x32xf32>
// CHECK:           vector.fma
// CHECK-NOT:     memref.alloc() {{.*}} : memref<97x1000xf32>
// The whole tiles: packed C tile -> bias -> GELU (tanh) -> the output, in registers.
// CHECK:         scf.for %[[I:.+]] = %c0 to %c96 step %c8
// CHECK-NEXT:      scf.for %[[J:.+]] = %c0 to %c992 step %c32
// CHECK-NEXT:        %[[TILE:.+]] = memref.subview %[[OUT]][%[[I]], %[[J]]] [8, 32]
// CHECK:             vector.transfer_read %[[C]]{{.+}} : memref<13x32x8x32xf32>, vector<8x32xf32>
// CHECK:             math.tanh {{.*}} : vector<8x32xf32>
// CHECK:             vector.transfer_write {{.+}}, %[[TILE]]
// The edge tiles (N, M, then the corner), masked.
// CHECK:           vector.transfer_read %[[C]]
// CHECK:           math.tanh
// CHECK:         scf.for %{{.+}} = %c0 to %c992 step %c32
// CHECK:           vector.transfer_read %[[C]]
// CHECK:           math.tanh
// CHECK:         vector.transfer_read %[[C]]
// CHECK:         math.tanh
// CHECK-NOT:     math.tanh
// CHECK:         return

// THREADS-LABEL: func.func public @main
// THREADS:         memref.alloc() {{.*}} : memref<97x1000xf32>
// THREADS:         scf.forall
// THREADS:           math.tanh

// EXEC: result0: float32[97, 1000]

module @jit__lambda attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<97x300xf32>, %arg1: tensor<300x1000xf32>, %arg2: tensor<1000xf32>) -> (tensor<97x1000xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<97x300xf32>, tensor<300x1000xf32>) -> tensor<97x1000xf32>
    %1 = stablehlo.broadcast_in_dim %arg2, dims = [1] : (tensor<1000xf32>) -> tensor<1x1000xf32>
    %2 = stablehlo.broadcast_in_dim %1, dims = [0, 1] : (tensor<1x1000xf32>) -> tensor<97x1000xf32>
    %3 = stablehlo.add %0, %2 : tensor<97x1000xf32>
    %4 = stablehlo.multiply %3, %3 : tensor<97x1000xf32>
    %5 = stablehlo.multiply %4, %3 : tensor<97x1000xf32>
    %cst = stablehlo.constant dense<4.471500e-02> : tensor<f32>
    %6 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<97x1000xf32>
    %7 = stablehlo.multiply %6, %5 : tensor<97x1000xf32>
    %8 = stablehlo.add %3, %7 : tensor<97x1000xf32>
    %cst_0 = stablehlo.constant dense<0.797884583> : tensor<f32>
    %9 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<97x1000xf32>
    %10 = stablehlo.multiply %9, %8 : tensor<97x1000xf32>
    %11 = stablehlo.tanh %10 : tensor<97x1000xf32>
    %cst_1 = stablehlo.constant dense<1.000000e+00> : tensor<f32>
    %12 = stablehlo.broadcast_in_dim %cst_1, dims = [] : (tensor<f32>) -> tensor<97x1000xf32>
    %13 = stablehlo.add %12, %11 : tensor<97x1000xf32>
    %cst_2 = stablehlo.constant dense<5.000000e-01> : tensor<f32>
    %14 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<97x1000xf32>
    %15 = stablehlo.multiply %14, %13 : tensor<97x1000xf32>
    %16 = stablehlo.multiply %3, %15 : tensor<97x1000xf32>
    return %16 : tensor<97x1000xf32>
  }
}
