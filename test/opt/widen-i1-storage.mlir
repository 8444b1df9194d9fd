// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-widen-i1-storage)' | FileCheck %s

// Boolean buffers are stored as bytes; values stay i1 in registers.
// CHECK-LABEL: func.func @f
// CHECK-SAME:    (%[[M:.*]]: memref<4xi8>, %[[V:.*]]: i1, %[[I:.*]]: index) -> i1
// CHECK:         %[[EXT:.*]] = arith.extui %[[V]] : i1 to i8
// CHECK:         memref.store %[[EXT]], %[[M]][%[[I]]] : memref<4xi8>
// CHECK:         %[[LOAD:.*]] = memref.load %[[M]][%[[I]]] : memref<4xi8>
// CHECK:         %[[TRUNC:.*]] = arith.trunci %[[LOAD]] : i8 to i1
// CHECK:         %[[ALLOC:.*]] = memref.alloc() : memref<2x3xi8>
// CHECK:         memref.dealloc %[[ALLOC]] : memref<2x3xi8>
// CHECK:         return %[[TRUNC]] : i1
func.func @f(%m: memref<4xi1>, %v: i1, %i: index) -> i1 {
  memref.store %v, %m[%i] : memref<4xi1>
  %l = memref.load %m[%i] : memref<4xi1>
  %a = memref.alloc() : memref<2x3xi1>
  memref.dealloc %a : memref<2x3xi1>
  return %l : i1
}

// CHECK: memref.global "private" constant @bools : memref<3xi8> = dense<[1, 0, 1]>
memref.global "private" constant @bools : memref<3xi1> = dense<[true, false, true]>
