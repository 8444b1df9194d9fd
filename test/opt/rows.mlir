// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-hoist-row-invariants,canonicalize)' | FileCheck %s --check-prefix=HOIST
// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-distinct-destinations)' | FileCheck %s --check-prefix=DEST
// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-duplicate-cheap-producers,linalg-fuse-elementwise-ops,canonicalize,cse)' | FileCheck %s --check-prefix=DUP
// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-duplicate-cheap-producers,linalg-fuse-elementwise-ops,canonicalize,cse,tw-hoist-row-invariants,canonicalize,cse)' | FileCheck %s --check-prefix=CHAIN

// A layernorm's tail as elementwise fusion leaves it: sqrt(var / n + eps) is computed from the
// row's variance only, but inside the per-element body. It moves into a generic over the rows
// (once per row, not once per element), and the division by it becomes a product with its
// reciprocal square root (XLA's a / sqrt(b) -> a * rsqrt(b)).
// HOIST-DAG:   #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// HOIST-DAG:   #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// HOIST-DAG:   #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// HOIST-DAG:   #[[R1:.+]] = affine_map<(d0) -> (d0)>
// HOIST-LABEL: func.func @layernorm_tail
// HOIST-SAME:    (%[[X:.*]]: tensor<7x97xf32>, %[[VAR:.*]]: tensor<7xf32>, %[[G:.*]]: tensor<97xf32>)
// HOIST:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[R1]], #[[R1]]], iterator_types = ["parallel"]} ins(%[[VAR]] : tensor<7xf32>)
// HOIST:           arith.divf
// HOIST:           arith.addf
// HOIST:           math.rsqrt
// HOIST:         linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[G]], %[[S]] : tensor<7x97xf32>, tensor<97xf32>, tensor<7xf32>)
// HOIST-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[GAMMA:.*]]: f32, %[[SIGMA:.*]]: f32, %{{.*}}: f32):
// HOIST-NEXT:      %[[Q:.*]] = arith.mulf %[[IN]], %[[SIGMA]] : f32
// HOIST-NEXT:      %[[P:.*]] = arith.mulf %[[Q]], %[[GAMMA]] : f32
// HOIST-NEXT:      linalg.yield %[[P]] : f32
// DEST-LABEL: func.func @layernorm_tail
// CHAIN-LABEL: func.func @layernorm_tail
// DUP-LABEL: func.func @layernorm_tail
// DEST-COUNT-1: tensor.empty() : tensor<7x97xf32>
// DEST-NOT: tensor.empty
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @layernorm_tail(%x: tensor<7x97xf32>, %var: tensor<7xf32>, %g: tensor<97xf32>) -> tensor<7x97xf32> {
  %n = arith.constant 97.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<7x97xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %var, %g : tensor<7x97xf32>, tensor<7xf32>, tensor<97xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%in: f32, %v: f32, %gamma: f32, %o: f32):
    %m = arith.divf %v, %n : f32
    %a = arith.addf %m, %eps : f32
    %s = math.sqrt %a : f32
    %q = arith.divf %in, %s : f32
    %p = arith.mulf %q, %gamma : f32
    linalg.yield %p : f32
  } -> tensor<7x97xf32>
  return %y : tensor<7x97xf32>
}

// -----

// Values that vary along the innermost loop, or that come from outside, stay where they are:
// x * s[d1] (a column value), x * c (a constant), and a body with an index (mask) are left alone.
// HOIST-LABEL: func.func @nothing_to_hoist
// DUP-LABEL: func.func @nothing_to_hoist
// HOIST-COUNT-2: linalg.generic
// HOIST-NOT:     linalg.generic
// DEST-LABEL: func.func @nothing_to_hoist
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @nothing_to_hoist(%x: tensor<7x97xf32>, %s: tensor<97xf32>, %c: f32) -> (tensor<7x97xf32>, tensor<7x97xf32>) {
  %e = tensor.empty() : tensor<7x97xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<7x97xf32>, tensor<97xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%in: f32, %sc: f32, %o: f32):
    %t = math.exp %sc : f32
    %u = arith.mulf %c, %c : f32
    %a = arith.mulf %in, %t : f32
    %b = arith.mulf %a, %u : f32
    linalg.yield %b : f32
  } -> tensor<7x97xf32>
  %z = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<7x97xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%in: f32, %o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %lt = arith.cmpi ult, %j, %i : index
    %zero = arith.constant 0.0 : f32
    %r = arith.select %lt, %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<7x97xf32>
  return %y, %z : tensor<7x97xf32>, tensor<7x97xf32>
}

// -----

// Two ops writing into one tensor.empty (as CSE leaves a softmax's exp and divide): the second
// gets a tensor.empty of its own, tagged so that a later CSE keeps it apart.
// HOIST-LABEL: func.func @shared_init
// DUP-LABEL: func.func @shared_init
// DEST-LABEL: func.func @shared_init
// DEST-DAG:     tensor.empty() {tw.destination = {{[0-9]+}} : i64} : tensor<7x97xf32>
// DEST-DAG:     tensor.empty() : tensor<7x97xf32>
// DEST:         linalg.generic {{.*}} outs(%[[EA:[0-9]+]] : tensor<7x97xf32>)
// DEST-NOT:     outs(%[[EA]] :
// DEST:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @shared_init(%x: tensor<7x97xf32>) -> tensor<7x97xf32> {
  %e = tensor.empty() : tensor<7x97xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<7x97xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<7x97xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<7x97xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.addf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<7x97xf32>
  return %b : tensor<7x97xf32>
}

// -----

// A variance as jnp.var exports it: x - sum / n feeds both the sum of squares (a reduction) and
// the normalization. The producer is copied per consumer and fused into each (no 7x97 tensor of
// differences); in the reduction, the per-row mean moves out into a generic over the rows.
// DUP-LABEL: func.func @variance
// DUP-SAME:    (%[[X:.*]]: tensor<7x97xf32>, %[[SUM:.*]]: tensor<7xf32>)
// DUP:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[SUM]] : tensor<7x97xf32>, tensor<7xf32>)
// DUP:           arith.subf
// DUP:           arith.mulf
// DUP:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[SUM]], %{{.*}} : tensor<7x97xf32>, tensor<7xf32>, tensor<7xf32>)
// DUP:           arith.subf
// DUP-NOT:     linalg.generic
// HOIST-LABEL: func.func @variance
// HOIST:         %[[MEAN:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.*}} : tensor<7xf32>)
// HOIST-NEXT:    ^bb0
// HOIST-NEXT:      arith.divf
// HOIST:         linalg.generic {{.*}} ins(%{{.*}}, %[[MEAN]] : tensor<7x97xf32>, tensor<7xf32>)
// CHAIN-LABEL: func.func @variance
// CHAIN:         %[[MEAN:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.*}} : tensor<7xf32>)
// CHAIN-NEXT:    ^bb0
// CHAIN-NEXT:      arith.divf
// CHAIN:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %[[MEAN]] : tensor<7x97xf32>, tensor<7xf32>)
// CHAIN-NOT:       arith.divf
// CHAIN:           linalg.yield
// CHAIN:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}}, %[[MEAN]] : tensor<7x97xf32>, tensor<7xf32>, tensor<7xf32>)
// CHAIN-NOT:       arith.divf
// CHAIN:           linalg.yield
// DEST-LABEL: func.func @variance
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @variance(%x: tensor<7x97xf32>, %sum: tensor<7xf32>) -> tensor<7x97xf32> {
  %n = arith.constant 97.0 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<7x97xf32>
  %d = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<7x97xf32>, tensor<7xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %r = arith.subf %in, %m : f32
    linalg.yield %r : f32
  } -> tensor<7x97xf32>
  %e1 = tensor.empty() : tensor<7xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<7xf32>) -> tensor<7xf32>
  %v = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%d : tensor<7x97xf32>) outs(%f : tensor<7xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %a = arith.addf %acc, %sq : f32
    linalg.yield %a : f32
  } -> tensor<7xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d, %v : tensor<7x97xf32>, tensor<7xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%in: f32, %var: f32, %o: f32):
    %q = arith.mulf %in, %var : f32
    linalg.yield %q : f32
  } -> tensor<7x97xf32>
  return %y : tensor<7x97xf32>
}
