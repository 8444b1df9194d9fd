// RUN: env TILEWRIGHT_TUNE_CPU=generic %tilewright-opt %s --pass-pipeline='builtin.module(tw-cpu-target)' | FileCheck %s
// RUN: env TILEWRIGHT_TUNE_CPU=generic %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu)' | FileCheck %s --check-prefix=LOWER
// RUN: env TILEWRIGHT_TUNE_CPU=host %tilewright-opt %s --pass-pipeline='builtin.module(tw-cpu-target)' | FileCheck %s --check-prefix=HOST
// RUN: env TILEWRIGHT_TUNE_CPU=host %tilewright-opt %s --pass-pipeline='builtin.module(tw-cpu-target{cpu=haswell features=+avx512f,-fma})' \
// RUN:   | FileCheck %s --check-prefix=NAMED
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu{cpu=znver4})' \
// RUN:   | FileCheck %s --check-prefix=ZEN
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(tw-cpu-target{cpu=pentium9})' 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// Definitions get the tuning; a declaration has no code, and a function that names its own keeps it.
// CHECK:     llvm.func @kernel() attributes {tune_cpu = "generic"}
// CHECK:     llvm.func @expf(f32) -> f32
// CHECK-NOT: tune_cpu = "generic"
// CHECK:     llvm.func @mine() attributes {target_cpu = "skylake", tune_cpu = "znver3"}
// HOST:      llvm.func @kernel() {
// HOST-NOT:  tune_cpu = "generic"
// HOST:      llvm.func @mine() attributes {target_cpu = "skylake", tune_cpu = "znver3"}
// The CPU lowering ends with it.
// LOWER:     llvm.func @kernel() attributes {tune_cpu = "generic"}
// A named CPU: every definition is generated for it, with the explicit features.
// NAMED:     llvm.func @kernel() attributes {target_cpu = "haswell", target_features = #llvm.target_features<["+avx512f", "-fma"]>}
// NAMED:     llvm.func @expf(f32) -> f32
// NAMED:     llvm.func @mine() attributes {target_cpu = "skylake", tune_cpu = "znver3"}
// Zen is tuned generic (its scheduling model costs half of code generation for nothing).
// ZEN:       llvm.func @kernel() attributes {target_cpu = "znver4", tune_cpu = "generic"}
// UNKNOWN:   error: invalid pass pipeline: unknown CPU 'pentium9' (known: host,
llvm.func @kernel() {
  llvm.return
}
llvm.func @expf(f32) -> f32
llvm.func @mine() attributes {target_cpu = "skylake", tune_cpu = "znver3"} {
  llvm.return
}
