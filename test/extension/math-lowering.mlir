// The CPU lowering (tw-lower-to-llvm-cpu) gives f32 vector math ops polynomials from
// tw-math-approximation (tanh, erf, log, ...) or the project's own (exp, sin, cos): no
// vector op is left for LLVM to scalarize into one libm call per element. Scalars keep libm,
// atan keeps libm (upstream's is off by 40 ulp).
// REQUIRES: tw-extension
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu)' | FileCheck %s

// CHECK-LABEL: llvm.func @vector_math
// CHECK-NOT:     llvm.call @{{tanhf|erff|logf|log1pf|expm1f}}
// CHECK-NOT:     llvm.intr.{{tanh|log|exp}}({{.*}}) : (vector
// CHECK:         llvm.intr.fma({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// CHECK-NOT:     llvm.call @{{tanhf|erff|logf|log1pf|expm1f}}
// CHECK-NOT:     llvm.intr.{{tanh|log|exp}}({{.*}}) : (vector
// CHECK:         llvm.return
func.func @vector_math(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.tanh %x : vector<8xf32>
  %1 = math.erf %0 : vector<8xf32>
  %2 = math.log %1 : vector<8xf32>
  %3 = math.log1p %2 : vector<8xf32>
  %4 = math.expm1 %3 : vector<8xf32>
  return %4 : vector<8xf32>
}

// CHECK-LABEL: llvm.func @libm
// CHECK:         llvm.intr.log(%{{.*}}) : (f32) -> f32
// CHECK:         llvm.intr.atan(%{{.*}}) : (vector<4xf32>) -> vector<4xf32>
func.func @libm(%s: f32, %v: vector<4xf32>) -> (f32, vector<4xf32>) {
  %0 = math.log %s : f32
  %1 = math.atan %v : vector<4xf32>
  return %0, %1 : f32, vector<4xf32>
}
