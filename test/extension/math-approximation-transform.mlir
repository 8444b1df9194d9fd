// transform.apply_patterns.tw.math_approximation: the patterns of tw-math-approximation
// in a schedule, in stock mlir-opt with the plugin and in tilewright-opt.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter %s | FileCheck %s
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(transform-interpreter)' | FileCheck %s

// The chosen ops, scalars as vectors, become polynomials; the others stay.
// CHECK-LABEL: func.func @payload
// CHECK-NOT:     math.erf
// CHECK:         arith.constant 0x4B000000 : f32
// CHECK-NOT:     math.log
// CHECK:         math.tanh %{{.*}} : vector<8xf32>
// CHECK-NOT:     math.{{erf|log}}
// CHECK:         return
func.func @payload(%x: vector<8xf32>, %s: f32) -> (vector<8xf32>, f32, vector<8xf32>) {
  %0 = math.erf %x : vector<8xf32>
  %1 = math.log %s : f32
  %2 = math.tanh %x : vector<8xf32>
  return %0, %1, %2 : vector<8xf32>, f32, vector<8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.tw.math_approximation ops = ["erf", "log"]
    } : !transform.any_op
    transform.yield
  }
}
