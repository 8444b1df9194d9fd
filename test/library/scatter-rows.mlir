// The gradient of an embedding lookup under the default schedule: per token, the table's row and
// the update row are read as whole vectors, added, and written straight back into the table (no
// loop over the row's elements, no temporary allocated or copied per token).
// RUN: %tilewright compile %s --emit bufferized --threads 1 | FileCheck %s
// RUN: %tilewright run %s --threads 1 --random-inputs | FileCheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[TABLE:[^ ,]+]]: memref<97x64xf32>, %{{[^ ,]+}}: memref<5x7x1xi32>, %[[G:[^ ,]+]]: memref<5x7x64xf32>, %[[OUT:[^ ,]+]]: memref<97x64xf32>)
// CHECK:      memref.copy %{{[^ ,]+}}, %[[OUT]]
// CHECK-NEXT: scf.for %[[B:[^ ,]+]] =
// CHECK-NEXT:   scf.for %[[S:[^ ,]+]] =
// CHECK:          scf.if
// CHECK-NOT:        memref.alloc
// CHECK-NOT:        scf.for
// CHECK-NEXT:       %[[OLD:[^ ,]+]] = vector.transfer_read %[[OUT]][%[[ROW:[^ ,]+]], %{{[^ ,]+}}], {{.*}} : memref<97x64xf32>, vector<{{[0-9x]+}}xf32>
// CHECK-NEXT:       %[[NEW:[^ ,]+]] = vector.transfer_read %[[G]][%[[B]], %[[S]], %{{[^ ,]+}}], {{.*}} : memref<5x7x64xf32>, vector<{{[0-9x]+}}xf32>
// CHECK-NEXT:       %[[SUM:[^ ,]+]] = arith.addf %[[OLD]], %[[NEW]] : vector<
// CHECK-NEXT:       vector.transfer_write %[[SUM]], %[[OUT]][%[[ROW]], %{{[^ ,]+}}] {{.*}} : vector<{{[0-9x]+}}xf32>, memref<97x64xf32>
// CHECK-NEXT:     }
// EXEC: result0: float32[97, 64]
func.func @main(%table: tensor<97x64xf32>, %tokens: tensor<5x7x1xi32>, %grads: tensor<5x7x64xf32>) -> tensor<97x64xf32> {
  %0 = "stablehlo.scatter"(%table, %tokens, %grads) <{indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [2], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 2>, unique_indices = false}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<97x64xf32>, tensor<5x7x1xi32>, tensor<5x7x64xf32>) -> tensor<97x64xf32>
  return %0 : tensor<97x64xf32>
}
