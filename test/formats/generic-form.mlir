// Generic-form StableHLO is StableHLO: detected from the quoted op names, not the file name.
// RUN: %tilewright-opt %s | FileCheck %s --check-prefix=PRETTY
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' \
// RUN:   | FileCheck %s --check-prefix=LINALG --implicit-check-not=stablehlo --implicit-check-not=chlo
// PRETTY: stablehlo.add %{{.*}}, %{{.*}} : tensor<7xf32>
// PRETTY: chlo.erf
// No `stablehlo`/`chlo` anywhere in the legalized output (the implicit CHECK-NOTs).
// LINALG-LABEL: func.func @main
// LINALG:         linalg.generic
// LINALG:           arith.addf
// LINALG:         return

// A comment that mentions stablehlo.add does not make upstream text StableHLO (it parses upstream).
// RUN: %tilewright-opt %S/Inputs/upstream-with-comment.mlir | FileCheck %s --check-prefix=UPSTREAM
// UPSTREAM: linalg.add

"builtin.module"() ({
  "func.func"() <{function_type = (tensor<7xf32>, tensor<7xf32>) -> tensor<7xf32>, sym_name = "main"}> ({
  ^bb0(%arg0: tensor<7xf32>, %arg1: tensor<7xf32>):
    %0 = "stablehlo.add"(%arg0, %arg1) : (tensor<7xf32>, tensor<7xf32>) -> tensor<7xf32>
    %1 = "chlo.erf"(%0) : (tensor<7xf32>) -> tensor<7xf32>
    "func.return"(%1) : (tensor<7xf32>) -> ()
  }) : () -> ()
}) : () -> ()
