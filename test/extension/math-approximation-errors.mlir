// An op tw-math-approximation has no polynomial for is an error naming it, before
// any IR is read: in stock mlir-opt with the plugin and in tilewright-opt.
// REQUIRES: tw-extension
// RUN: not %mlir-opt --load-pass-plugin=%tw-plugin %s \
// RUN:   --pass-pipeline='builtin.module(tw-math-approximation{ops=erf,rsqrt})' 2>&1 | FileCheck %s
// RUN: not %tilewright-opt %s \
// RUN:   --pass-pipeline='builtin.module(tw-math-approximation{ops=erf,rsqrt})' 2>&1 | FileCheck %s
// CHECK: tw-math-approximation: no approximation of 'math.rsqrt' (ops are: acos,asin,atan,atan2,cbrt,cos,erf,erfc,exp,expm1,log,log1p,log2,sin,tanh)
// A misspelt option is upstream's error.
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(tw-math-approximation{op=erf})' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OPTION
// OPTION: no such option op

func.func @f(%x: f32) -> f32 {
  %y = math.rsqrt %x : f32
  return %y : f32
}
