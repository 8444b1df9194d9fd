//===- MathApproximation.h - tw-math-approximation --------------*- C++ -*-===//
//
// Upstream's polynomial approximations of math ops
// (populateMathPolynomialApproximationPatterns) as a pass: the MLIR Python
// wheels expose them neither as a pass nor as a transform op.
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_TRANSFORMS_MATHAPPROXIMATION_H
#define TILEWRIGHT_TRANSFORMS_MATHAPPROXIMATION_H

namespace mlir {
namespace tw {
/// Registers `tw-math-approximation{ops=erf,log,... vectors-only=false}`.
void registerMathApproximationPass();
} // namespace tw
} // namespace mlir

#endif // TILEWRIGHT_TRANSFORMS_MATHAPPROXIMATION_H
