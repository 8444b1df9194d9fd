// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(no-such-pass)' 2>&1 | FileCheck %s --check-prefix=PASS
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(canonicalize,tw-stablehlo-to-linalg)' 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(canonicalize' 2>&1 | FileCheck %s --check-prefix=PAREN
// RUN: %tilewright-opt --list-pipelines | FileCheck %s --check-prefix=LIST

// PASS: error: invalid pass pipeline: {{.*}}'no-such-pass' does not refer to a registered pass or pass pipeline
// ORDER: error: invalid pass pipeline: 'tw-stablehlo-to-linalg' must come first
// PAREN: error: invalid pass pipeline: unbalanced '('
// LIST: tw-stablehlo-to-linalg
// LIST: tw-bufferize
// LIST: tw-lower-to-llvm-cpu
// LIST: tw-cpu-default
func.func @f() {
  return
}
