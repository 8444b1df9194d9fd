// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// Left side, lower, no transpose: forward substitution. Row p of x is
// b[p] - sum_{k<p} a[p,k] x[k], divided by a[p,p]; x starts as b.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[A:[^ :]+]]: tensor<4x4xf32>, %[[B:[^ :]+]]: tensor<4x3xf32>)
// CHECK: scf.for %[[P:[^ ]+]] = %{{.*}} iter_args(%[[X:[^ ]+]] = %[[B]]) -> (tensor<4x3xf32>)
// CHECK:   %[[D:[^ ]+]] = tensor.extract %[[A]][%[[P]], %[[P]]] : tensor<4x4xf32>
// CHECK:   scf.for %[[C:[^ ]+]] = {{.*}} iter_args(%[[XC:[^ ]+]] = %[[X]]) -> (tensor<4x3xf32>)
// CHECK:     %[[BPC:[^ ]+]] = tensor.extract %[[XC]][%[[P]], %[[C]]]
// CHECK:     %[[S:[^ ]+]] = scf.for %[[K:[^ ]+]] = %c0 to %[[P]] step %{{.*}} iter_args(%[[ACC:[^ ]+]] = %[[BPC]]) -> (f32)
// CHECK:       %[[APK:[^ ]+]] = tensor.extract %[[A]][%[[P]], %[[K]]]
// CHECK:       %[[XK:[^ ]+]] = tensor.extract %[[XC]][%[[K]], %[[C]]]
// CHECK:       %[[T:[^ ]+]] = arith.mulf %[[APK]], %[[XK]] : f32
// CHECK:       arith.subf %[[ACC]], %[[T]] : f32
// CHECK:     %[[V:[^ ]+]] = arith.divf %[[S]], %[[D]] : f32
// CHECK:     tensor.insert %[[V]] into %[[XC]][%[[P]], %[[C]]]
func.func @forward(%a: tensor<4x4xf32>, %b: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = "stablehlo.triangular_solve"(%a, %b) <{left_side = true, lower = true, transpose_a = #stablehlo<transpose NO_TRANSPOSE>, unit_diagonal = false}> : (tensor<4x4xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Right side, upper, transposed, unit diagonal (JAX's LAPACK custom call):
// A = a^T is lower, so on the right the solve runs backward (p = 3 - step),
// sums over k in [p + 1, 4) = [4 - step, 4) and reads a[p, k] (= A[k, p]); no division.
// CHECK-LABEL: func.func @backward_lapack
// CHECK: scf.for %[[S:[^ ]+]] = {{.*}} -> (tensor<2x4xf64>)
// CHECK:   %[[P:[^ ]+]] = arith.subi %c3, %[[S]] : index
// CHECK:   %[[LO:[^ ]+]] = arith.subi %c4, %[[S]] : index
// CHECK:   scf.for %[[K:[^ ]+]] = %[[LO]] to %c4
// CHECK:     tensor.extract %{{.*}}[%[[P]], %[[K]]] : tensor<4x4xf64>
// CHECK-NOT: arith.divf
// CHECK-NOT: custom_call
func.func @backward_lapack(%a: tensor<4x4xf64>, %b: tensor<2x4xf64>) -> tensor<2x4xf64> {
  %0 = stablehlo.custom_call @lapack_dtrsm_ffi(%a, %b) {mhlo.backend_config = {diag = 85 : ui8, side = 82 : ui8, trans_x = 84 : ui8, uplo = 85 : ui8}} : (tensor<4x4xf64>, tensor<2x4xf64>) -> tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}
