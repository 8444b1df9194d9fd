// transform.apply_patterns.tw.math_approximation verifies its op names.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin %s --verify-diagnostics
// RUN: %tilewright-opt %s --verify-diagnostics

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    transform.apply_patterns to %root {
      // expected-error@below {{'transform.apply_patterns.tw.math_approximation' op has no approximation of 'math.rsqrt' (ops are: acos,asin,atan,atan2,cbrt,cos,erf,erfc,exp,expm1,log,log1p,log2,sin,tanh)}}
      transform.apply_patterns.tw.math_approximation ops = ["erf", "rsqrt"]
    } : !transform.any_op
    transform.yield
  }
}
