// Damaged or unsupported artifacts of every binary format: one located error, exit code 1,
// no traceback, no crash. (Regressions from test/pytest/test_fuzz.py findings.)
// RUN: %python %S/Inputs/corrupt.py portable %s %t-pa.bin
// RUN: %tilewright run %t-pa.bin --random-inputs | FileCheck %s --check-prefix=OK
// OK: result0: float32[3, 4]

// RUN: %python %S/Inputs/corrupt.py portable+truncate %s %t-pa-trunc.bin
// RUN: not %tilewright run %t-pa-trunc.bin --random-inputs 2>&1 | FileCheck %s --check-prefix=TRUNC
// RUN: %python %S/Inputs/corrupt.py bytecode+truncate %s %t-bc-trunc.bin
// RUN: not %tilewright run %t-bc-trunc.bin --random-inputs 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: -trunc.bin: error: truncated or corrupt MLIR bytecode: section '{{[A-Za-z]+}}' needs {{[0-9]+}} bytes but only {{[0-9]+}} remain
// TRUNC-NOT: Traceback

// A corrupted op name used to reach the diagnostic handler as non-UTF-8 text (a traceback from the bindings).
// RUN: %python %S/Inputs/corrupt.py portable+bad-op-name %s %t-pa-name.bin
// RUN: not %tilewright run %t-pa-name.bin --random-inputs 2>&1 | FileCheck %s --check-prefix=OPNAME
// RUN: %python %S/Inputs/corrupt.py bytecode+bad-op-name %s %t-bc-name.bin
// RUN: not %tilewright-opt %t-bc-name.bin 2>&1 | FileCheck %s --check-prefix=OPNAME
// OPNAME: -name.bin: error: truncated or corrupt MLIR bytecode: op name b'a\xb0d{{.*}}' is not an identifier
// OPNAME-NOT: Traceback

// A non-UTF-8 attribute name used to abort the process (SIGABRT) while sharding annotations were removed.
// RUN: not %tilewright run %S/Inputs/non-utf8-attribute.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=ATTR
// ATTR: non-utf8-attribute.mlir:3:3: error: 'func.func' has an attribute name that is not valid UTF-8
// ATTR-NOT: internal error

// Same for a symbol name, in the upstream (non-StableHLO) ingress: it was a Python RuntimeError.
// RUN: not %tilewright run %S/Inputs/non-utf8-symbol.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=SYMBOL
// SYMBOL: non-utf8-symbol.mlir:2:1: error: 'func.func' has a symbol name that is not valid UTF-8
// SYMBOL-NOT: internal error

// RUN: %python %S/Inputs/corrupt.py jax-export+truncate %s %t-jax-trunc.bin
// RUN: not %tilewright run %t-jax-trunc.bin --random-inputs 2>&1 | FileCheck %s --check-prefix=JAXTRUNC
// JAXTRUNC: -jax-trunc.bin: error: corrupt jax.export artifact
// JAXTRUNC-NOT: Traceback

// RUN: %python %S/Inputs/corrupt.py jax-export-poly %s %t-jax-poly.bin
// RUN: not %tilewright run %t-jax-poly.bin --random-inputs 2>&1 | FileCheck %s --check-prefix=POLY
// POLY: -jax-poly.bin: error: dynamic shapes are not supported: this jax.export artifact is shape-polymorphic (argument #0 of '<lambda>' has shape (b, 4) with symbolic dimension(s) b); export with concrete shapes

// RUN: %python %S/Inputs/corrupt.py garbage %s %t-garbage.bin
// RUN: not %tilewright run %t-garbage.bin --random-inputs 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: -garbage.bin: error: unrecognized input format: not MLIR text (not UTF-8 at byte {{[0-9]+}}), not MLIR bytecode

func.func @main(%x: tensor<3x4xf32>, %y: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = stablehlo.add %x, %y : tensor<3x4xf32>
  %1 = stablehlo.sine %0 : tensor<3x4xf32>
  return %1 : tensor<3x4xf32>
}
