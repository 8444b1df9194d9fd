// RUN: %tilewright-opt %s --split-input-file --verify-diagnostics
// RUN: not %tilewright-opt %s --split-input-file 2>&1 | FileCheck %s --check-prefix=ERR

// ERR: verify-diagnostics.mlir:7:8: error: 'arith.addf' op operand #0 must be floating-point-like
func.func @bad_types(%a: i32) -> i32 {
  // expected-error@+1 {{'arith.addf' op operand #0 must be floating-point-like}}
  %0 = arith.addf %a, %a : i32
  return %0 : i32
}

// -----

// Line numbers stay those of the whole file across split chunks.
// ERR: verify-diagnostics.mlir:17:3: error: 'func.return' op has 0 operands, but enclosing function (@missing_result) returns 1
func.func @missing_result(%a: f32) -> f32 {
  // expected-error@below {{has 0 operands, but enclosing function (@missing_result) returns 1}}
  return
}

// The checker itself fails on an unmet expectation and on an unexpected error.
// RUN: not %tilewright-opt %inputs/unmet-expectation.mlir --verify-diagnostics 2>&1 | FileCheck %s --check-prefix=UNMET
// UNMET: unmet-expectation.mlir:2:1: error: expected error "this error is never emitted" on line 3 was not produced
// RUN: not %tilewright-opt %inputs/unexpected-error.mlir --verify-diagnostics 2>&1 | FileCheck %s --check-prefix=UNEXPECTED
// UNEXPECTED: unexpected-error.mlir:2:8: error: unexpected error: 'arith.addf' op operand #0 must be floating-point-like
