// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-bufferize)' | FileCheck %s

// An in-place update of an argument must not write into the caller's buffer:
// bufferization copies the argument first (tw-readonly-arguments).
// CHECK-LABEL: func.func @update(
// CHECK-SAME: %[[X:[^ :]+]]: memref<7xf32>, %{{[^ :]+}}: f32, %[[OUT:[^ :]+]]: memref<7xf32>)
// CHECK-NOT: memref.store %{{.*}}, %[[X]]
// CHECK: memref.copy %[[X]], %[[OUT]]
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT: bufferization.writable
func.func @update(%x: tensor<7xf32>, %v: f32) -> tensor<7xf32> {
  %c3 = arith.constant 3 : index
  %0 = tensor.insert %v into %x[%c3] : tensor<7xf32>
  return %0 : tensor<7xf32>
}
