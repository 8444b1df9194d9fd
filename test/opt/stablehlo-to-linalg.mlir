// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// A dot_general becomes a zero-filled linalg.matmul.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8x3xf32>) -> tensor<4x3xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32)
// CHECK:         linalg.matmul ins(%[[A]], %[[B]] : tensor<4x8xf32>, tensor<8x3xf32>) outs(%[[FILL]]
// CHECK-NOT:     stablehlo
func.func @main(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Private callees are inlined and removed; CHLO ops are legalized too.
// CHECK-LABEL: func.func @main
// CHECK-NOT:     call
// CHECK:         linalg.generic
// CHECK:           math.tanh
// CHECK-NOT:     func.func private @helper
// CHECK-NOT:     chlo.
func.func @main(%x: tensor<7xf32>) -> tensor<7xf32> {
  %0 = call @helper(%x) : (tensor<7xf32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}
func.func private @helper(%x: tensor<7xf32>) -> tensor<7xf32> {
  %0 = chlo.tan %x : tensor<7xf32> -> tensor<7xf32>
  %1 = stablehlo.tanh %0 : tensor<7xf32>
  return %1 : tensor<7xf32>
}

// -----

// Unsigned boundary types become signless (no unrealized casts left behind).
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%{{.*}}: tensor<5xi8>) -> tensor<5xi8>
// CHECK-NOT:     unrealized_conversion_cast
// CHECK:         arith.divui
func.func @main(%x: tensor<5xui8>) -> tensor<5xui8> {
  %0 = stablehlo.divide %x, %x : tensor<5xui8>
  return %0 : tensor<5xui8>
}

// -----

// A reduction becomes a linalg.generic with a reduction iterator over an init fill.
// CHECK-LABEL: func.func @main
// CHECK:         linalg.fill
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:           arith.maximumf
func.func @main(%x: tensor<3x97xf32>) -> tensor<3xf32> {
  %init = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = stablehlo.reduce(%x init: %init) applies stablehlo.maximum across dimensions = [1] : (tensor<3x97xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
