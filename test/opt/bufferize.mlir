// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-bufferize)' | FileCheck %s

// Results become out-parameters written in place: no allocation escapes.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[A:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<8x3xf32>, %[[OUT:.*]]: memref<4x3xf32>)
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.fill {{.*}} outs(%[[OUT]] : memref<4x3xf32>)
// CHECK:         linalg.matmul ins(%[[A]], %[[B]] : memref<4x8xf32>, memref<8x3xf32>) outs(%[[OUT]] : memref<4x3xf32>)
// CHECK-NEXT:    return
func.func @main(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}
