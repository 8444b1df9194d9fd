// RUN: %tilewright-opt %s --transform-script %inputs/tile-matmul.transform.mlir | FileCheck %s
// RUN: not %tilewright-opt %s --transform-script %inputs/bad-tile.transform.mlir 2>&1 | FileCheck %s --check-prefix=BAD

// The script tiles the matmul 8x16 (the 97-row edge becomes a partial tile).
// CHECK-LABEL: func.func @main
// CHECK:         scf.for %{{.*}} = %c0 to %c97 step %c8
// CHECK:           scf.for %{{.*}} = %c0{{.*}} to %c33 step %c16
// CHECK:             affine.min
// CHECK:             tensor.extract_slice
// CHECK:             linalg.matmul {{.*}} -> tensor<?x?xf32>
// CHECK:             tensor.insert_slice

// A failing transform names the transform op, located in the script, and the payload op.
// BAD: bad-tile.transform.mlir:4:24: error:
// BAD-SAME: too many tiles provided, expected at most 3 found 4
// BAD: transform-script.mlir:{{[0-9]+}}:8: note: when applied to this payload op
func.func @main(%a: tensor<97x7xf32>, %b: tensor<7x33xf32>, %c: tensor<97x33xf32>) -> tensor<97x33xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<97x7xf32>, tensor<7x33xf32>) outs(%c : tensor<97x33xf32>) -> tensor<97x33xf32>
  return %r : tensor<97x33xf32>
}
