// RUN: not %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' 2>&1 | FileCheck %s

// Forms the lowerings cannot handle are user errors at the op, naming the op
// and the reason; never a crash.

// CHECK: unsupported.mlir:[[@LINE+2]]:8: error: 'stablehlo.scatter' is not supported by tilewright (an operand has a dynamic shape: tensor<?xf32>)
func.func @dynamic_scatter(%x: tensor<?xf32>, %i: tensor<1x1xi32>, %u: tensor<1xf32>) -> tensor<?xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) : (tensor<?xf32>, tensor<1x1xi32>, tensor<1xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// CHECK: unsupported.mlir:[[@LINE+2]]:8: error: 'stablehlo.triangular_solve' is not supported by tilewright (element type complex<f32> (real floating-point types only))
func.func @complex_solve(%a: tensor<3x3xcomplex<f32>>, %b: tensor<3x1xcomplex<f32>>) -> tensor<3x1xcomplex<f32>> {
  %0 = "stablehlo.triangular_solve"(%a, %b) <{left_side = true, lower = true, transpose_a = #stablehlo<transpose ADJOINT>, unit_diagonal = false}> : (tensor<3x3xcomplex<f32>>, tensor<3x1xcomplex<f32>>) -> tensor<3x1xcomplex<f32>>
  return %0 : tensor<3x1xcomplex<f32>>
}

// -----

// CHECK: unsupported.mlir:[[@LINE+2]]:8: error: 'stablehlo.while' is not supported by tilewright (a loop-carried value of type !stablehlo.token)
func.func @token_loop(%t: !stablehlo.token) -> !stablehlo.token {
  %0 = stablehlo.while(%a = %t) : !stablehlo.token
   cond {
    %c = stablehlo.constant dense<false> : tensor<i1>
    stablehlo.return %c : tensor<i1>
  } do {
    stablehlo.return %a : !stablehlo.token
  }
  return %0 : !stablehlo.token
}
