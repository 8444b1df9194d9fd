//===- TwTransformOps.h - transform.tw.* ops --------------------*- C++ -*-===//

#ifndef TILEWRIGHT_DIALECT_TRANSFORM_TWTRANSFORMOPS_H
#define TILEWRIGHT_DIALECT_TRANSFORM_TWTRANSFORMOPS_H

#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/IR/OpImplementation.h"

#define GET_OP_CLASSES
#include "dialects/transform/TwTransformOps.h.inc"

namespace mlir {
class DialectRegistry;
namespace tw {
/// Adds the transform.tw.* ops to the transform dialect of `registry`.
void registerTransformDialectExtension(DialectRegistry &registry);
} // namespace tw
} // namespace mlir

#endif // TILEWRIGHT_DIALECT_TRANSFORM_TWTRANSFORMOPS_H
