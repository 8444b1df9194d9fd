// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-bufferize)' | FileCheck %s
// RUN: %tilewright run %s --random-inputs | FileCheck %s --check-prefix=EXEC

// A value returned twice gets a second buffer: both out-parameters are
// written (buffer-results-to-out-params crashes on a shared allocation).
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%{{.*}}: memref<3xf32>, %[[OUT0:.*]]: memref<3xf32>, %[[OUT1:.*]]: memref<3xf32>)
// CHECK:         linalg.generic {{.*}} outs(%[[OUT0]] : memref<3xf32>)
// CHECK:         memref.copy %[[OUT0]], %[[OUT1]]
// EXEC:        result0: float32[3]
// EXEC-NEXT:   [[VALUES:\[.*\]]]
// EXEC:        result1: float32[3]
// EXEC-NEXT:   [[VALUES]]
#map = affine_map<(d0) -> (d0)>
func.func @main(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %e = tensor.empty() : tensor<3xf32>
  %0 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%x : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = math.absf %in : f32
    linalg.yield %a : f32
  } -> tensor<3xf32>
  return %0, %0 : tensor<3xf32>, tensor<3xf32>
}
