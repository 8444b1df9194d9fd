// --transform-script takes every schedule name the driver takes: 'default' (the CPU library)
// and 'none', as well as files.
// RUN: %tilewright-opt %s --transform-script default | FileCheck %s --check-prefix=DEFAULT
// RUN: %tilewright-opt %s --transform-script none | FileCheck %s --check-prefix=NONE
// RUN: not %tilewright-opt %s --transform-script no-such-schedule 2>&1 | FileCheck %s --check-prefix=MISSING

// The library tiles the matmul and vectorizes it into FMAs:
// DEFAULT: vector.fma
// DEFAULT-NOT: linalg.matmul
// NONE: linalg.matmul
// NONE-NOT: vector.
// MISSING: no-such-schedule: error: schedule file not found, and not a built-in schedule (known: default, none

func.func @main(%a: tensor<48x64xf32>, %b: tensor<64x32xf32>) -> tensor<48x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<48x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<48x32xf32>) -> tensor<48x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<48x64xf32>, tensor<64x32xf32>) outs(%c : tensor<48x32xf32>) -> tensor<48x32xf32>
  return %r : tensor<48x32xf32>
}
