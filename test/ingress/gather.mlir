// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// An embedding lookup (table[tokens]): one loop per token dim, the token's start clamped into
// the table, its row sliced out whole (rank-reduced) and inserted into the result; no
// linalg.generic reading one element at a time.
// CHECK-LABEL: func.func @embedding_rows
// CHECK-NOT: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x2x5xf32>)
// CHECK: %[[INIT:[^ ,]+]] = tensor.empty() : tensor<3x2x5xf32>
// CHECK: scf.for %[[B:[^ ,]+]] = {{.*}} iter_args({{.*}} = %[[INIT]]) -> (tensor<3x2x5xf32>)
// CHECK:   scf.for %[[S:[^ ,]+]] = {{.*}} iter_args(%[[ACC:[^ ,]+]] = {{.*}}) -> (tensor<3x2x5xf32>)
// CHECK:     %[[T:[^ ,]+]] = arith.index_cast %{{.*}} : i64 to index
// CHECK:     %[[LO:[^ ,]+]] = arith.maxsi %[[T]], %[[C0:[^ ,]+]] : index
// CHECK:     %[[ROW:[^ ,]+]] = arith.minsi %[[LO]], %[[C6:[^ ,]+]] : index
// CHECK:     %[[V:[^ ,]+]] = tensor.extract_slice %{{.*}}[%[[ROW]], 0] [1, 5] [1, 1] : tensor<7x5xf32> to tensor<5xf32>
// CHECK:     tensor.insert_slice %[[V]] into %[[ACC]][%[[B]], %[[S]], 0] [1, 1, 5] [1, 1, 1] : tensor<5xf32> into tensor<3x2x5xf32>
func.func @embedding_rows(%table: tensor<7x5xf32>, %tokens: tensor<3x2x1xi32>) -> tensor<3x2x5xf32> {
  %0 = "stablehlo.gather"(%table, %tokens) <{dimension_numbers = #stablehlo.gather<offset_dims = [2], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 2>, indices_are_sorted = false, slice_sizes = array<i64: 1, 5>}> : (tensor<7x5xf32>, tensor<3x2x1xi32>) -> tensor<3x2x5xf32>
  return %0 : tensor<3x2x5xf32>
}

// -----

// Blocks of three whole rows of unsigned bytes, two start indices per block (the second can only
// be 0: its slice is the whole dim): each start clamped so that the block fits.
// CHECK-LABEL: func.func @row_blocks_ui8
// CHECK: scf.for %[[K:[^ ,]+]] = {{.*}} -> (tensor<3x3x4x6xi8>)
// CHECK:   arith.minsi %{{.*}}, %[[C6:[^ ,]+]] : index
// CHECK:   tensor.extract_slice %{{.*}} [3, 4, 6] [1, 1, 1] : tensor<9x4x6xi8> to tensor<3x4x6xi8>
// CHECK:   tensor.insert_slice %{{.*}}[%[[K]], 0, 0, 0] [1, 3, 4, 6] [1, 1, 1, 1] : tensor<3x4x6xi8> into tensor<3x3x4x6xi8>
func.func @row_blocks_ui8(%x: tensor<9x4x6xui8>, %i: tensor<3x2xi64>) -> tensor<3x3x4x6xui8> {
  %0 = "stablehlo.gather"(%x, %i) <{dimension_numbers = #stablehlo.gather<offset_dims = [1, 2, 3], start_index_map = [0, 1], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 3, 4, 6>}> : (tensor<9x4x6xui8>, tensor<3x2xi64>) -> tensor<3x3x4x6xui8>
  return %0 : tensor<3x3x4x6xui8>
}

// -----

// Columns (x[:, idx]) are strided slices, not contiguous rows: left to upstream's legalization.
// CHECK-LABEL: func.func @columns
// CHECK-NOT: scf.for
// CHECK: linalg.generic
// CHECK:   tensor.extract
func.func @columns(%x: tensor<7x5xf32>, %i: tensor<3x1xi32>) -> tensor<7x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 7, 1>}> : (tensor<7x5xf32>, tensor<3x1xi32>) -> tensor<7x3xf32>
  return %0 : tensor<7x3xf32>
}

// -----

// An embedding bag (table[tokens].sum(1)): the gather's only use sums over a token dim, so each
// row is added into its row of the sum (1x5, started from the reduce's init) as it is gathered;
// the 3x2x5 gathered rows are never built.
// CHECK-LABEL: func.func @embedding_bag
// CHECK-SAME: (%[[TABLE:[^ ,]+]]: tensor<7x5xf32>
// CHECK-NOT: tensor<3x2x5xf32>
// CHECK: %[[INIT:[^ ]+]] = linalg.generic {{.*}} outs(%{{[^ ]+}} : tensor<3x5xf32>)
// CHECK: scf.for %[[B:[^ ,]+]] = {{.*}} iter_args({{.*}} = %[[INIT]]) -> (tensor<3x5xf32>)
// CHECK:   scf.for %{{[^ ,]+}} = {{.*}} iter_args(%[[ACC:[^ ,]+]] = {{.*}}) -> (tensor<3x5xf32>)
// CHECK:     %[[SUM:[^ ,]+]] = tensor.extract_slice %[[ACC]][%[[B]], 0] [1, 5] [1, 1] : tensor<3x5xf32> to tensor<1x5xf32>
// CHECK:     %[[ROW:[^ ,]+]] = tensor.extract_slice %[[TABLE]][%{{[^ ,]+}}, 0] [1, 5] [1, 1] : tensor<7x5xf32> to tensor<1x5xf32>
// CHECK:     %[[NEW:[^ ,]+]] = linalg.generic {{.*}} ins(%[[SUM]], %[[ROW]] : tensor<1x5xf32>, tensor<1x5xf32>)
// CHECK:       arith.addf
// CHECK:     tensor.insert_slice %[[NEW]] into %[[ACC]][%[[B]], 0] [1, 5] [1, 1] : tensor<1x5xf32> into tensor<3x5xf32>
// CHECK-NOT: tensor<3x2x5xf32>
func.func @embedding_bag(%table: tensor<7x5xf32>, %tokens: tensor<3x2x1xi32>) -> tensor<3x5xf32> {
  %0 = "stablehlo.gather"(%table, %tokens) <{dimension_numbers = #stablehlo.gather<offset_dims = [2], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 2>, indices_are_sorted = false, slice_sizes = array<i64: 1, 5>}> : (tensor<7x5xf32>, tensor<3x2x1xi32>) -> tensor<3x2x5xf32>
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %1 = stablehlo.reduce(%0 init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<3x2x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  return %1 : tensor<3x5xf32>
}
