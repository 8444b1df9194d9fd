// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// Two operands sorted along dimension 1 of a 2x5 tensor by the first one: a
// loop over the rows, then ceil(log2 5) = 3 unrolled merge passes of widths
// 1, 2, 4 (run pairs step 2, 4, and one merge of [0,4) with [4,5)), each with
// the comparator inlined; ties take the left run (stable). An odd number of
// passes copies the row back. (64-bit keys: not for the vectorized sort, see
// sort-network.mlir.)
// CHECK-LABEL: func.func @sort_pairs
// CHECK-SAME: (%[[K:[^ :]+]]: tensor<2x5xi64>, %[[V:[^ :]+]]: tensor<2x5xf32>)
// CHECK-DAG: %[[C2:[^ ]+]] = arith.constant 2 : index
// CHECK-DAG: %[[C4:[^ ]+]] = arith.constant 4 : index
// CHECK-DAG: %[[C0:[^ ]+]] = arith.constant 0 : index
// CHECK: scf.for %[[ROW:[^ ]+]] = {{.*}} iter_args({{.*}}) -> (tensor<2x5xi64>, tensor<2x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>)
// CHECK:   scf.for %{{[^ ]+}} = %{{[^ ]+}} to %{{[^ ]+}} step %[[C2]]
// CHECK:     scf.for %[[POS:[^ ]+]] = {{.*}} -> (index, index, tensor<2x5xi64>, tensor<2x5xf32>)
// CHECK:       arith.cmpi slt, %{{.*}} : i64
// CHECK:       %[[TAKE:[^ ]+]] = arith.andi
// CHECK:       arith.select %[[TAKE]], %{{.*}} : i64
// CHECK:       tensor.insert %{{.*}}[%[[ROW]], %[[POS]]] : tensor<2x5xi64>
// CHECK:       arith.select %[[TAKE]], %{{.*}} : f32
// CHECK:   scf.for %{{[^ ]+}} = %{{[^ ]+}} to %{{[^ ]+}} step %[[C4]]
// CHECK:       arith.cmpi slt, %{{.*}} : i64
// CHECK:   scf.for {{.*}} iter_args(%{{[^ ]+}} = %[[C0]], %{{[^ ]+}} = %[[C4]], {{.*}}) -> (index, index, tensor<2x5xi64>, tensor<2x5xf32>)
// CHECK:       arith.cmpi slt, %{{.*}} : i64
// CHECK:   scf.for %{{.*}} -> (tensor<2x5xi64>, tensor<2x5xf32>)
// CHECK-NOT: stablehlo.sort
func.func @sort_pairs(%k: tensor<2x5xi64>, %v: tensor<2x5xf32>) -> (tensor<2x5xi64>, tensor<2x5xf32>) {
  %0:2 = "stablehlo.sort"(%k, %v) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<i64>, %b: tensor<i64>, %c: tensor<f32>, %d: tensor<f32>):
    %lt = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>
    stablehlo.return %lt : tensor<i1>
  }) : (tensor<2x5xi64>, tensor<2x5xf32>) -> (tensor<2x5xi64>, tensor<2x5xf32>)
  return %0#0, %0#1 : tensor<2x5xi64>, tensor<2x5xf32>
}
