// The outer scf.forall of a schedule runs on the async runtime's thread pool with
// --threads > 1, and as a sequential loop nest with --threads 1.
// RUN: %tilewright compile %s --schedule %S/Inputs/forall-matmul.transform.mlir --threads 2 --emit llvm-dialect | FileCheck %s --check-prefix=TWO
// RUN: %tilewright compile %s --schedule %S/Inputs/forall-matmul.transform.mlir --threads 1 --emit llvm-dialect | FileCheck %s --check-prefix=ONE
// RUN: %tilewright run %s --schedule %S/Inputs/forall-matmul.transform.mlir --threads 2 --random-inputs | FileCheck %s --check-prefix=EXEC
// RUN: not %tilewright run %s --threads 0 --random-inputs 2>&1 | FileCheck %s --check-prefix=ZERO

// TWO-DAG: llvm.call @mlirAsyncRuntimeCreateGroup
// TWO-DAG: llvm.call @mlirAsyncRuntimeExecute
// TWO-DAG: llvm.call @mlirAsyncRuntimeAwaitAllInGroup
// ONE-NOT: mlirAsyncRuntime
// EXEC: result0: float32[33, 40]
// ZERO: error: --threads must be at least 1, got 0

func.func @main(%a: tensor<33x17xf32>, %b: tensor<17x40xf32>) -> tensor<33x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<33x40xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<33x40xf32>) -> tensor<33x40xf32>
  %r = linalg.matmul ins(%a, %b : tensor<33x17xf32>, tensor<17x40xf32>) outs(%c : tensor<33x40xf32>) -> tensor<33x40xf32>
  return %r : tensor<33x40xf32>
}
