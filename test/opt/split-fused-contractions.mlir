// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-canonicalize-contractions)' | FileCheck %s

// A softmax's divide that elementwise fusion folded into P·V is split back out: an elementwise
// generic over [b, h, q, k] computes the probabilities, and the rest is a named batch_matmul.
// CHECK-LABEL: func.func @probabilities_times_values
// CHECK:         %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[SUM:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.divf %[[IN]], %[[SUM]] : f32
// CHECK-NEXT:      linalg.yield %[[D]] : f32
// CHECK:         %[[A:.*]] = tensor.collapse_shape %[[P]]
// CHECK:         linalg.batch_matmul ins(%[[A]],
// CHECK-NOT:     arith.divf
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#sum = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @probabilities_times_values(%p: tensor<2x3x7x5xf32>, %s: tensor<2x3x7xf32>, %v: tensor<2x3x5x4xf32>) -> tensor<2x3x7x4xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x7x4xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<2x3x7x4xf32>) -> tensor<2x3x7x4xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #sum, #rhs, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %s, %v : tensor<2x3x7x5xf32>, tensor<2x3x7xf32>, tensor<2x3x5x4xf32>) outs(%f : tensor<2x3x7x4xf32>) {
  ^bb0(%in: f32, %sum: f32, %val: f32, %acc: f32):
    %q = arith.divf %in, %sum : f32
    %m = arith.mulf %q, %val : f32
    %a = arith.addf %acc, %m : f32
    linalg.yield %a : f32
  } -> tensor<2x3x7x4xf32>
  return %r : tensor<2x3x7x4xf32>
}

// -----

// A rotary embedding's concatenate (linalg.index, scf.if, tensor.extract) fused into Q·Kᵀ:
// the gather becomes a generic of its own over [q, d], with the index dims renumbered.
// CHECK-LABEL: func.func @rotated_queries
// CHECK:         %[[ROT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:           %[[J:.*]] = linalg.index 1 : index
// CHECK:           scf.if
// CHECK:             tensor.extract
// CHECK:         linalg.matmul ins(%[[ROT]],
#q = affine_map<(d0, d1, d2) -> (d0, d2)>
#k = affine_map<(d0, d1, d2) -> (d2, d1)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @rotated_queries(%x: tensor<7x8xf32>, %half: tensor<7x4xf32>, %k: tensor<8x9xf32>) -> tensor<7x9xf32> {
  %cst = arith.constant 0.0 : f32
  %c4 = arith.constant 4 : index
  %e = tensor.empty() : tensor<7x9xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<7x9xf32>) -> tensor<7x9xf32>
  %r = linalg.generic {indexing_maps = [#q, #k, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %k : tensor<7x8xf32>, tensor<8x9xf32>) outs(%f : tensor<7x9xf32>) {
  ^bb0(%in: f32, %kin: f32, %acc: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 2 : index
    %lo = arith.cmpi ult, %j, %c4 : index
    %g = scf.if %lo -> (f32) {
      %t = tensor.extract %half[%i, %j] : tensor<7x4xf32>
      scf.yield %t : f32
    } else {
      scf.yield %in : f32
    }
    %m = arith.mulf %g, %kin : f32
    %a = arith.addf %acc, %m : f32
    linalg.yield %a : f32
  } -> tensor<7x9xf32>
  return %r : tensor<7x9xf32>
}

// -----

// A matrix-vector product (no N dim) with a fused producer stays as it is.
// CHECK-LABEL: func.func @scaled_matvec
// CHECK:         linalg.generic
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      arith.mulf
// CHECK-NOT:     linalg.matmul
#a = affine_map<(d0, d1) -> (d0, d1)>
#x = affine_map<(d0, d1) -> (d1)>
#y = affine_map<(d0, d1) -> (d0)>
func.func @scaled_matvec(%m: tensor<7x5xf32>, %v: tensor<5xf32>) -> tensor<7xf32> {
  %cst = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<7xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<7xf32>) -> tensor<7xf32>
  %r = linalg.generic {indexing_maps = [#a, #x, #y], iterator_types = ["parallel", "reduction"]}
      ins(%m, %v : tensor<7x5xf32>, tensor<5xf32>) outs(%f : tensor<7xf32>) {
  ^bb0(%in: f32, %vin: f32, %acc: f32):
    %s = arith.mulf %in, %two : f32
    %p = arith.mulf %s, %vin : f32
    %a = arith.addf %acc, %p : f32
    linalg.yield %a : f32
  } -> tensor<7xf32>
  return %r : tensor<7xf32>
}

// -----

// P.V with the softmax's divide fused in, where P has a unit key dim (d2) that V does not read (a
// jnp.repeat by 1 folded away): the divide is split out reading P at 0 in that dim, and the
// contraction loses the dim (3 loops, not 4), so it is named. It was no contraction before (a
// reduction dim in one factor only) and its all-unit vector.contract hit an upstream assertion.
// CHECK-LABEL: func.func @unit_key_dim_in_p_only
// CHECK:         %[[P:.+]] = linalg.generic {indexing_maps = [#[[PMAP:.+]], #{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%{{.*}}, %{{.*}} : tensor<7x1x5xf32>, tensor<7xf32>) outs(%{{.*}} : tensor<7x5xf32>)
// CHECK:           arith.divf
// CHECK:         linalg.matmul ins(%[[P]], %{{.*}} : tensor<7x5xf32>, tensor<5x3xf32>)
#p = affine_map<(m, n, u, k) -> (m, u, k)>
#v = affine_map<(m, n, u, k) -> (k, n)>
#s = affine_map<(m, n, u, k) -> (m)>
#o = affine_map<(m, n, u, k) -> (m, n)>
func.func @unit_key_dim_in_p_only(%p: tensor<7x1x5xf32>, %v: tensor<5x3xf32>, %sum: tensor<7xf32>) -> tensor<7x3xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<7x3xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<7x3xf32>) -> tensor<7x3xf32>
  %r = linalg.generic {indexing_maps = [#p, #v, #s, #o], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%p, %v, %sum : tensor<7x1x5xf32>, tensor<5x3xf32>, tensor<7xf32>) outs(%f : tensor<7x3xf32>) {
  ^bb0(%pin: f32, %vin: f32, %sin: f32, %acc: f32):
    %d = arith.divf %pin, %sin : f32
    %m = arith.mulf %d, %vin : f32
    %a = arith.addf %acc, %m : f32
    linalg.yield %a : f32
  } -> tensor<7x3xf32>
  return %r : tensor<7x3xf32>
}
