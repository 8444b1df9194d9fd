// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-select-branches,canonicalize)' | FileCheck %s

// rotate_half (jnp.concatenate([-x2, x1], -1)) fused into the rotary product, as the StableHLO
// legalization and elementwise fusion leave it: an scf.if on the column picks which half to
// read. Both extractions run (indices clamped to the halves' extents, the slice of the input
// read through its offset) and an arith.select picks one: no branch in the body.
// CHECK-LABEL: func.func @rope
// CHECK-SAME:    (%[[Q:.*]]: tensor<7x3x16xf32>
// CHECK-NOT:     scf.if
// CHECK:         linalg.generic
// CHECK:           %[[J:.*]] = linalg.index 2 : index
// CHECK:           %[[LO:.*]] = arith.cmpi ult, %[[J]]
// CHECK-DAG:       %[[A:.*]] = tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<7x3x8xf32>
// CHECK-DAG:       %[[B:.*]] = tensor.extract %[[Q]][%{{.*}}, %{{.*}}, %{{.*}}] : tensor<7x3x16xf32>
// CHECK:           arith.select %[[LO]], %[[A]], %[[B]] : f32
// CHECK-NOT:     scf.if
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#b = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
func.func @rope(%q: tensor<7x3x16xf32>, %cos: tensor<7x1x16xf32>, %sin: tensor<7x1x16xf32>) -> tensor<7x3x16xf32> {
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<7x3x16xf32>
  %x1 = tensor.extract_slice %q[0, 0, 0] [7, 3, 8] [1, 1, 1] : tensor<7x3x16xf32> to tensor<7x3x8xf32>
  %x2 = tensor.extract_slice %q[0, 0, 8] [7, 3, 8] [1, 1, 1] : tensor<7x3x16xf32> to tensor<7x3x8xf32>
  %eh = tensor.empty() : tensor<7x3x8xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x2 : tensor<7x3x8xf32>) outs(%eh : tensor<7x3x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<7x3x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #b, #b, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%q, %cos, %sin : tensor<7x3x16xf32>, tensor<7x1x16xf32>, tensor<7x1x16xf32>) outs(%e : tensor<7x3x16xf32>) {
  ^bb0(%in: f32, %c: f32, %s: f32, %o: f32):
    %i = linalg.index 0 : index
    %h = linalg.index 1 : index
    %j = linalg.index 2 : index
    %lo = arith.cmpi ult, %j, %c8 : index
    %rot = scf.if %lo -> (f32) {
      %a = tensor.extract %neg[%i, %h, %j] : tensor<7x3x8xf32>
      scf.yield %a : f32
    } else {
      %k = arith.subi %j, %c8 : index
      %b = tensor.extract %x1[%i, %h, %k] : tensor<7x3x8xf32>
      scf.yield %b : f32
    }
    %qc = arith.mulf %in, %c : f32
    %rs = arith.mulf %rot, %s : f32
    %sum = arith.addf %qc, %rs : f32
    linalg.yield %sum : f32
  } -> tensor<7x3x16xf32>
  return %r : tensor<7x3x16xf32>
}

// -----

// A branch with other work than reading elements (a division) is left as it is, and so is one
// reading a tensor the generic computes itself.
// CHECK-LABEL: func.func @kept
// CHECK:         scf.if
#id = affine_map<(d0) -> (d0)>
func.func @kept(%x: tensor<16xf32>, %y: tensor<8xf32>) -> tensor<16xf32> {
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %j = linalg.index 0 : index
    %lo = arith.cmpi ult, %j, %c8 : index
    %v = scf.if %lo -> (f32) {
      %a = tensor.extract %y[%j] : tensor<8xf32>
      %d = arith.divf %a, %in : f32
      scf.yield %d : f32
    } else {
      scf.yield %in : f32
    }
    linalg.yield %v : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}
