// RUN: env TILEWRIGHT_TUNE_CPU=generic %tilewright-opt %s --pass-pipeline='builtin.module(tw-cpu-tuning)' | FileCheck %s
// RUN: env TILEWRIGHT_TUNE_CPU=generic %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu)' | FileCheck %s --check-prefix=LOWER
// RUN: env TILEWRIGHT_TUNE_CPU=host %tilewright-opt %s --pass-pipeline='builtin.module(tw-cpu-tuning)' | FileCheck %s --check-prefix=HOST

// Definitions get the tuning; a declaration has no code, and a function that names its own keeps it.
// CHECK:     llvm.func @kernel() attributes {tune_cpu = "generic"}
// CHECK:     llvm.func @expf(f32) -> f32
// CHECK-NOT: tune_cpu = "generic"
// CHECK:     llvm.func @mine() attributes {tune_cpu = "znver3"}
// HOST-NOT:  tune_cpu = "generic"
// The CPU lowering ends with it.
// LOWER:     llvm.func @kernel() attributes {tune_cpu = "generic"}
llvm.func @kernel() {
  llvm.return
}
llvm.func @expf(f32) -> f32
llvm.func @mine() attributes {tune_cpu = "znver3"} {
  llvm.return
}
