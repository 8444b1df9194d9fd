//===- TwMathTransformOps.td - transform.apply_patterns.tw.* -*- tablegen -*-===//
//
// Upstream's math approximations as a pattern set for transform.apply_patterns
// (the same rewrites as the tw-math-approximation pass).
//
//===----------------------------------------------------------------------===//

def ApplyMathApproximationPatternsOp : Op<Transform_Dialect,
    "apply_patterns.tw.math_approximation",
    [DeclareOpInterfaceMethods<PatternDescriptorOpInterface>]> {
  let summary = "Upstream's polynomial approximations of math ops";
  let description = [{
    The patterns of the `tw-math-approximation` pass: the math ops named in
    `ops` (by mnemonic; every supported one when empty) become upstream's
    polynomial approximations (populateMathPolynomialApproximationPatterns),
    f16/bf16 through f32, subnormal log/log2 operands scaled first. Applies to
    scalars and vectors alike (the pass's `vectors-only` has no pattern
    equivalent).
  }];
  let arguments = (ins DefaultValuedAttr<StrArrayAttr, "{}">:$ops);
  let assemblyFormat = "(`ops` `=` $ops^)? attr-dict";
  let hasVerifier = 1;
}
