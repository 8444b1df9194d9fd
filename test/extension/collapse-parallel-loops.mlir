// tw-collapse-parallel-loops: a 2-D scf.parallel becomes one loop over the product of its trip
// counts, the indices recovered by div/rem (upstream's async-parallel-for repeats iterations of
// multi-dimensional loops); reductions are left alone.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-pass-plugin=%tw-plugin --pass-pipeline='builtin.module(tw-collapse-parallel-loops)' %s \
// RUN:   | FileCheck %s

// CHECK-LABEL: func.func @two_dims
// CHECK:         scf.parallel (%[[IV:.+]]) = (%{{.+}}) to (%[[N:.+]]) step (%{{.+}}) {
// CHECK:           arith.remsi %[[IV]]
// CHECK:           arith.divsi %[[IV]]
// CHECK:           memref.store
// CHECK-NOT:     scf.parallel
func.func @two_dims(%m: memref<19x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c19 = arith.constant 19 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c19, %c2) step (%c1, %c1) {
    memref.store %v, %m[%i, %j] : memref<19x2xf32>
  }
  return
}

// CHECK-LABEL: func.func @reduction_kept
// CHECK:         scf.parallel (%{{.+}}, %{{.+}}) =
func.func @reduction_kept(%m: memref<4x4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) init (%zero) -> f32 {
    %x = memref.load %m[%i, %j] : memref<4x4xf32>
    scf.reduce(%x : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %r : f32
}
