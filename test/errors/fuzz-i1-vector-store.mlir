// Fuzz finding: vectorized boolean stores crashed tw-widen-i1-storage with a Python TypeError
// ("internal error" on a valid program: VectorType.get was given scalable flags as dim indices).
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-widen-i1-storage)' | FileCheck %s
// RUN: %tilewright run %S/Inputs/and-bool-20x3.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=EXEC
// EXEC-NOT: internal error
// EXEC: result0: bool[20, 3]

// CHECK-LABEL: func.func @store_bools
// CHECK-SAME:    (%[[M:.*]]: memref<8xi8>, %[[V:.*]]: vector<3xi1>, %[[S:.*]]: vector<[4]xi1>, %[[I:.*]]: index)
// CHECK:         %[[EXT:.*]] = arith.extui %[[V]] : vector<3xi1> to vector<3xi8>
// CHECK:         vector.store %[[EXT]], %[[M]][%[[I]]] : memref<8xi8>, vector<3xi8>
// CHECK:         %[[EXTS:.*]] = arith.extui %[[S]] : vector<[4]xi1> to vector<[4]xi8>
// CHECK:         vector.store %[[EXTS]], %[[M]][%[[I]]] : memref<8xi8>, vector<[4]xi8>
func.func @store_bools(%m: memref<8xi1>, %v: vector<3xi1>, %s: vector<[4]xi1>, %i: index) {
  vector.store %v, %m[%i] : memref<8xi1>, vector<3xi1>
  vector.store %s, %m[%i] : memref<8xi1>, vector<[4]xi1>
  return
}
