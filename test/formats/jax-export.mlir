// jax.export artifacts: @main takes exactly the exported function's arguments (unused ones too,
// no platform index); the module JAX serialized becomes a private callee.
// RUN: %python %S/Inputs/export_artifact.py unused %t-unused.bin
// RUN: %tilewright-opt %t-unused.bin | FileCheck %s --check-prefix=UNUSED
// UNUSED:      func.func @main(%[[X:.*]]: tensor<3x4xf32>, %[[U:.*]]: tensor<3x4xf32>, %[[Y:.*]]: tensor<3x4xf32>) -> (tensor<3x4xf32> {jax.result_info = "result"})
// UNUSED-NEXT:   %[[R:.*]] = call @_tilewright_exported_main(%[[X]], %[[Y]]) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// UNUSED-NEXT:   return %[[R]]
// UNUSED:      func.func private @_tilewright_exported_main(%{{.*}}: tensor<3x4xf32>{{.*}}, %{{.*}}: tensor<3x4xf32>{{.*}})
// UNUSED:        stablehlo.sine

// RUN: %python %S/Inputs/export_artifact.py multi-platform %t-multi.bin
// RUN: %tilewright-opt %t-multi.bin | FileCheck %s --check-prefix=MULTI
// MULTI:      func.func @main(%[[X:.*]]: tensor<3x4xf32>, %[[U:.*]]: tensor<3x4xf32>, %[[Y:.*]]: tensor<3x4xf32>)
// MULTI-NEXT:   %[[CPU:.*]] = stablehlo.constant dense<0> : tensor<i32>
// MULTI-NEXT:   %[[R:.*]] = call @_tilewright_exported_main(%[[CPU]], %[[X]], %[[Y]])
// MULTI:      func.func private @_tilewright_exported_main(%{{.*}}: tensor<i32> {jax.global_constant = "_platform_index"}

// Through legalization, the wrapper is inlined: one function over linalg.
// RUN: %tilewright-opt %t-unused.bin --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s --check-prefix=LINALG
// LINALG:     func.func @main(%{{.*}}: tensor<3x4xf32>, %{{.*}}: tensor<3x4xf32>, %{{.*}}: tensor<3x4xf32>)
// LINALG:       math.sin
// LINALG-NOT: call
// LINALG-NOT: _tilewright_exported_main

// And it runs with all three arguments (sin(x) * 2 + y).
// RUN: %python -c "import numpy as np; np.savez('%t.npz', np.zeros((3, 4), np.float32), np.full((3, 4), 7, np.float32), np.ones((3, 4), np.float32))"
// RUN: %tilewright run %t-unused.bin --inputs %t.npz | FileCheck %s --check-prefix=RUN3
// RUN3: result0: float32[3, 4]
// RUN3-NEXT: {{\[\[}}1. 1. 1. 1.]
