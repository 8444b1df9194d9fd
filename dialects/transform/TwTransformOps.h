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

class AttentionOp;
class OnlineAttentionOp;

/// What convertToOnlineAttention made of a tw.attention.
struct OnlineAttentionParts {
  Operation *online;
  Operation *normalize;
  SmallVector<Operation *> fills;
};

/// tw.attention -> fills of acc/max/sum, tw.online_attention, acc / sum
/// (transform.tw.convert_to_online_attention, without the payload checks).
OnlineAttentionParts convertToOnlineAttention(RewriterBase &rewriter,
                                              AttentionOp attn);

/// tw.online_attention -> linalg (transform.tw.decompose_attention).
void decomposeOnlineAttention(RewriterBase &rewriter, OnlineAttentionOp op);
} // namespace tw
} // namespace mlir

#endif // TILEWRIGHT_DIALECT_TRANSFORM_TWTRANSFORMOPS_H
