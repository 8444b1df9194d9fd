// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// x.at[idx].add(u) on a vector: one loop over the indices, a bounds check, the element sliced
// out as a 1-element tensor and combined by one elementwise op (no rank-0 temporaries, which
// bufferization would allocate per element).
// CHECK-LABEL: func.func @scatter_add_1d
// CHECK-SAME: (%[[X:[^ ,]+]]: tensor<7xf32>, %[[I:[^ ,]+]]: tensor<3x1xi32>, %[[U:[^ ,]+]]: tensor<3xf32>)
// CHECK: %[[R:[^ ,]+]] = scf.for %[[K:[^ ,]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:[^ ,]+]] = %[[X]]) -> (tensor<7xf32>)
// CHECK:   %[[IDX:[^ ,]+]] = tensor.extract %{{.*}}[%[[K]], %{{.*}}] : tensor<3x1xi64>
// CHECK:   %[[POS:[^ ,]+]] = arith.index_cast %[[IDX]] : i64 to index
// CHECK:   arith.cmpi sge, %[[POS]]
// CHECK:   arith.cmpi sle, %[[POS]]
// CHECK:   scf.if
// CHECK:     %[[OLD:[^ ,]+]] = tensor.extract_slice %[[ACC]][%[[POS]]] [1] [1] : tensor<7xf32> to tensor<1xf32>
// CHECK:     %[[NEW:[^ ,]+]] = tensor.extract_slice %[[U]][%[[K]]] [1] [1] : tensor<3xf32> to tensor<1xf32>
// CHECK:     %[[SUM:[^ ,]+]] = linalg.generic {{.*}} ins(%[[OLD]], %[[NEW]] : tensor<1xf32>, tensor<1xf32>)
// CHECK:       arith.addf
// CHECK:     tensor.insert_slice %[[SUM]] into %[[ACC]][%[[POS]]] [1] [1] : tensor<1xf32> into tensor<7xf32>
// CHECK:   } else {
// CHECK:     scf.yield %[[ACC]] : tensor<7xf32>
// CHECK: return %[[R]] : tensor<7xf32>
func.func @scatter_add_1d(%x: tensor<7xf32>, %i: tensor<3x1xi32>, %u: tensor<3xf32>) -> tensor<7xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<7xf32>, tensor<3x1xi32>, tensor<3xf32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

// Row updates x.at[idx].set(rows): the window (a row) is sliced out whole, no loop over its
// elements; the bounds check covers the whole window; set inserts the update row itself.
// CHECK-LABEL: func.func @scatter_set_rows
// CHECK: scf.for %[[K:[^ ,]+]] = {{.*}} iter_args(%[[ACC:[^ ,]+]] = {{.*}}) -> (tensor<5x4xf32>)
// CHECK:   arith.cmpi sle, %{{.*}}, %[[C4:[^ ,]+]] : index
// CHECK:   scf.if
// CHECK-NOT: scf.for
// CHECK:     %[[ROW:[^ ,]+]] = tensor.extract_slice %{{.*}}[%[[K]], 0] [1, 4] [1, 1] : tensor<2x4xf32> to tensor<1x4xf32>
// CHECK:     tensor.insert_slice %[[ROW]] into %[[ACC]][%{{.*}}, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<5x4xf32>
func.func @scatter_set_rows(%x: tensor<5x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<5x4xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) : (tensor<5x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<5x4xf32>
  return %0 : tensor<5x4xf32>
}

// -----

// Unsigned elements: the loop carries signless tensors (legalization only
// converts StableHLO ops' types); batching dims index the operand directly;
// one element is a 1x1 row.
// CHECK-LABEL: func.func @scatter_max_batched_ui8
// CHECK: scf.for %[[B:[^ ,]+]] = {{.*}} -> (tensor<3x6xi8>)
// CHECK:   scf.for %[[K:[^ ,]+]] = {{.*}} -> (tensor<3x6xi8>)
// CHECK:     tensor.extract %{{.*}}[%[[B]], %[[K]], %{{.*}}] : tensor<3x2x1xi64>
// CHECK:     scf.if
// CHECK:       tensor.extract_slice %{{.*}}[%[[B]], %{{.*}}] [1, 1] [1, 1] : tensor<3x6xi8> to tensor<1x1xi8>
// CHECK:       arith.maxui
func.func @scatter_max_batched_ui8(%x: tensor<3x6xui8>, %i: tensor<3x2x1xi32>, %u: tensor<3x2xui8>) -> tensor<3x6xui8> {
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [1], input_batching_dims = [0], scatter_indices_batching_dims = [0], scatter_dims_to_operand_dims = [1], index_vector_dim = 2>}> ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %m = stablehlo.maximum %a, %b : tensor<ui8>
    stablehlo.return %m : tensor<ui8>
  }) : (tensor<3x6xui8>, tensor<3x2x1xi32>, tensor<3x2xui8>) -> tensor<3x6xui8>
  return %0 : tensor<3x6xui8>
}

// -----

// Two operands combined pairwise by one computation (a variadic scatter).
// CHECK-LABEL: func.func @scatter_variadic
// CHECK: scf.for {{.*}} -> (tensor<4xf32>, tensor<4xi32>)
// CHECK:   arith.addf
// CHECK:   arith.addi
func.func @scatter_variadic(%x: tensor<4xf32>, %y: tensor<4xi32>, %i: tensor<2x1xi32>, %u: tensor<2xf32>, %v: tensor<2xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0:2 = "stablehlo.scatter"(%x, %y, %i, %u, %v) <{scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<i32>, %c: tensor<f32>, %d: tensor<i32>):
    %s = stablehlo.add %a, %c : tensor<f32>
    %t = stablehlo.add %b, %d : tensor<i32>
    stablehlo.return %s, %t : tensor<f32>, tensor<i32>
  }) : (tensor<4xf32>, tensor<4xi32>, tensor<2x1xi32>, tensor<2xf32>, tensor<2xi32>) -> (tensor<4xf32>, tensor<4xi32>)
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xi32>
}

// -----

// The gradient of an embedding lookup (jax.grad of table[tokens]): a 2-D grid of tokens, each
// adding one row of width 5 into the table. Per token: the table's row and the update row
// sliced out whole as 1x5 (leading unit dims dropped, no reshape), one elementwise add over the
// row, the row inserted back into the loop-carried table; no loop over the row's elements.
// CHECK-LABEL: func.func @scatter_add_embedding_rows
// CHECK: scf.for %[[B:[^ ,]+]] = {{.*}} -> (tensor<7x5xf32>)
// CHECK:   scf.for %[[S:[^ ,]+]] = {{.*}} iter_args(%[[ACC:[^ ,]+]] = {{.*}}) -> (tensor<7x5xf32>)
// CHECK:     %[[T:[^ ,]+]] = arith.index_cast %{{.*}} : i64 to index
// CHECK:     scf.if
// CHECK-NOT:   scf.for
// CHECK:       %[[OLD:[^ ,]+]] = tensor.extract_slice %[[ACC]][%[[T]], 0] [1, 5] [1, 1] : tensor<7x5xf32> to tensor<1x5xf32>
// CHECK:       %[[NEW:[^ ,]+]] = tensor.extract_slice %{{.*}}[%[[B]], %[[S]], 0] [1, 1, 5] [1, 1, 1] : tensor<3x2x5xf32> to tensor<1x5xf32>
// CHECK:       %[[SUM:[^ ,]+]] = linalg.generic {{.*}} ins(%[[OLD]], %[[NEW]] : tensor<1x5xf32>, tensor<1x5xf32>)
// CHECK:         arith.addf
// CHECK:       tensor.insert_slice %[[SUM]] into %[[ACC]][%[[T]], 0] [1, 5] [1, 1] : tensor<1x5xf32> into tensor<7x5xf32>
func.func @scatter_add_embedding_rows(%x: tensor<7x5xf32>, %i: tensor<3x2x1xi32>, %u: tensor<3x2x5xf32>) -> tensor<7x5xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [2], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<7x5xf32>, tensor<3x2x1xi32>, tensor<3x2x5xf32>) -> tensor<7x5xf32>
  return %0 : tensor<7x5xf32>
}

// -----

// A 2-D window of unsigned bytes (x.at[i].max(block) on a 3-D array): the block is combined
// whole (the maximum on the unsigned view), the loop carries signless tensors.
// CHECK-LABEL: func.func @scatter_max_blocks_ui8
// CHECK: scf.for {{.*}} -> (tensor<4x3x6xi8>)
// CHECK:   scf.if
// CHECK-NOT: scf.for
// CHECK:     tensor.extract_slice %{{.*}} [1, 3, 6] [1, 1, 1] : tensor<4x3x6xi8> to tensor<3x6xi8>
// CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:       arith.maxui
// CHECK:     tensor.insert_slice %{{.*}} [1, 3, 6] [1, 1, 1] : tensor<3x6xi8> into tensor<4x3x6xi8>
func.func @scatter_max_blocks_ui8(%x: tensor<4x3x6xui8>, %i: tensor<2x1xi32>, %u: tensor<2x3x6xui8>) -> tensor<4x3x6xui8> {
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1, 2], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %m = stablehlo.maximum %a, %b : tensor<ui8>
    stablehlo.return %m : tensor<ui8>
  }) : (tensor<4x3x6xui8>, tensor<2x1xi32>, tensor<2x3x6xui8>) -> tensor<4x3x6xui8>
  return %0 : tensor<4x3x6xui8>
}

// -----

// Columns (x.at[:, i].add(cols)): the window is strided and the update's window dim comes
// before its scatter dim, so slicing would drop inner unit dims (upstream folds such a slice
// into a row write): the window stays an element loop.
// CHECK-LABEL: func.func @scatter_add_columns
// CHECK: scf.for
// CHECK:   scf.if
// CHECK-NOT: tensor.extract_slice
// CHECK:     scf.for
// CHECK:       tensor.extract
// CHECK:       tensor.insert
func.func @scatter_add_columns(%x: tensor<2x3xf32>, %i: tensor<1x3x1xi64>, %u: tensor<2x1x3xf32>) -> tensor<2x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0], inserted_window_dims = [1], scatter_dims_to_operand_dims = [1], index_vector_dim = 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<2x3xf32>, tensor<1x3x1xi64>, tensor<2x1x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// The gradient of table[tokens].mean(axis=1): the update rows are a broadcast along the tokens
// of each sequence; each row is sliced from the broadcast's operand (row b of the 3x5 matrix),
// so the 3x2x5 broadcast is never built.
// CHECK-LABEL: func.func @scatter_add_broadcast_rows
// CHECK-SAME: (%{{[^ ,]+}}: tensor<7x5xf32>, %{{[^ ,]+}}: tensor<3x2x1xi32>, %[[G:[^ ,]+]]: tensor<3x5xf32>)
// CHECK-NOT: tensor<3x2x5xf32>
// CHECK: scf.for %[[B:[^ ,]+]] =
// CHECK:   scf.for
// CHECK:     scf.if
// CHECK:       %[[NEW:[^ ,]+]] = tensor.extract_slice %[[G]][%[[B]], 0] [1, 5] [1, 1] : tensor<3x5xf32> to tensor<1x5xf32>
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %[[NEW]] : tensor<1x5xf32>, tensor<1x5xf32>)
// CHECK-NOT: tensor<3x2x5xf32>
func.func @scatter_add_broadcast_rows(%x: tensor<7x5xf32>, %i: tensor<3x2x1xi32>, %g: tensor<3x5xf32>) -> tensor<7x5xf32> {
  %u = stablehlo.broadcast_in_dim %g, dims = [0, 2] : (tensor<3x5xf32>) -> tensor<3x2x5xf32>
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [2], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<7x5xf32>, tensor<3x2x1xi32>, tensor<3x2x5xf32>) -> tensor<7x5xf32>
  return %0 : tensor<7x5xf32>
}
