//===- DecomposeAttention.h - the tw-decompose-attention pass ---*- C++ -*-===//

#ifndef TILEWRIGHT_TRANSFORMS_DECOMPOSEATTENTION_H
#define TILEWRIGHT_TRANSFORMS_DECOMPOSEATTENTION_H

namespace mlir::tw {
/// Registers `tw-decompose-attention` with MLIR's global pass registry.
void registerDecomposeAttentionPass();
} // namespace mlir::tw

#endif // TILEWRIGHT_TRANSFORMS_DECOMPOSEATTENTION_H
