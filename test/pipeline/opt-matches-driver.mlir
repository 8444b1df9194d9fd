// tilewright-opt runs exactly the driver's pipelines: lowering the driver's bufferized stage
// with tw-lower-to-llvm-cpu{threads=N} prints, byte for byte, the driver's llvm-dialect stage.
// RUN: %tilewright compile %S/../../benchmarks/programs/matmul_97x131x77.mlir --emit bufferized --threads 1 -o %t.bufferized-1.mlir
// RUN: %tilewright-opt %t.bufferized-1.mlir --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu{threads=1})' -o %t.opt-1.mlir
// RUN: %tilewright compile %S/../../benchmarks/programs/matmul_97x131x77.mlir --emit llvm-dialect --threads 1 -o %t.driver-1.mlir
// RUN: diff %t.opt-1.mlir %t.driver-1.mlir
// RUN: FileCheck %s --check-prefix=ONE < %t.driver-1.mlir
//
// RUN: %tilewright compile %S/../../benchmarks/programs/matmul_97x131x77.mlir --emit bufferized --threads 2 -o %t.bufferized-2.mlir
// RUN: %tilewright-opt %t.bufferized-2.mlir --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu{threads=2})' -o %t.opt-2.mlir
// RUN: %tilewright compile %S/../../benchmarks/programs/matmul_97x131x77.mlir --emit llvm-dialect --threads 2 -o %t.driver-2.mlir
// RUN: diff %t.opt-2.mlir %t.driver-2.mlir
// RUN: FileCheck %s --check-prefix=TWO < %t.driver-2.mlir
//
// The two thread counts really lower differently (so the diffs above compare what varies):
// ONE-NOT: mlirAsyncRuntime
// ONE: llvm.func @_mlir_ciface_main
// TWO: llvm.call @mlirAsyncRuntimeExecute
