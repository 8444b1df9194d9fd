// transform.tw.fuse_consumer: a relu epilogue moves into a tiled matmul nest.
// The same script runs in stock mlir-opt with the plugin and in tilewright-opt.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --load-pass-plugin=%tw-plugin \
// RUN:   --transform-interpreter --canonicalize %s | FileCheck %s
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(transform-interpreter,canonicalize)' | FileCheck %s

// CHECK-LABEL: func.func @mm_relu
// CHECK:       scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c16 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}})
// CHECK:         scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %c16 iter_args(
// CHECK:           %[[MM:.*]] = linalg.matmul {{.*}} -> tensor<16x16xf32>
// CHECK:           %[[RELU:.*]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<16x16xf32>)
// CHECK:             arith.maximumf
// CHECK:           tensor.insert_slice %[[RELU]] into %{{.*}}[%[[I]], %[[J]]] [16, 16] [1, 1]
// CHECK-NOT:   linalg.generic
// CHECK:       return
func.func @mm_relu(%a: tensor<64x32xf32>, %b: tensor<32x48xf32>) -> tensor<64x48xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x48xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x48xf32>) -> tensor<64x48xf32>
  %mm = linalg.matmul ins(%a, %b : tensor<64x32xf32>, tensor<32x48xf32>) outs(%f : tensor<64x48xf32>) -> tensor<64x48xf32>
  %e2 = tensor.empty() : tensor<64x48xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<64x48xf32>) outs(%e2 : tensor<64x48xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<64x48xf32>
  return %r : tensor<64x48xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %relu = transform.structured.match ops{["linalg.generic"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %l0, %l1 = transform.structured.tile_using_for %mm tile_sizes [16, 16]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %fused, %n0, %n1 = transform.tw.fuse_consumer %relu into (%l0, %l1)
        : (!transform.any_op, !transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
