//===- RaiseAttention.h - attention chains -> tw.attention -----*- C++ -*-===//
//
// One matcher serves the `tw-raise-attention` pass and the
// `transform.tw.raise_attention` op: both start from the P.V contraction and
// rebuild the chain (Q.K^T contraction, scale, mask or bias, max, exp, sum,
// normalization) as one tw.attention.
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_TRANSFORMS_RAISEATTENTION_H
#define TILEWRIGHT_TRANSFORMS_RAISEATTENTION_H

#include "mlir/Support/LLVM.h"
#include <string>

namespace mlir {
class Operation;
class RewriterBase;
namespace tw {
/// Rewrites the attention whose P.V contraction is `root` into a tw.attention
/// and returns it. Leaves the IR untouched and returns nullptr, with the
/// reason in `whyNot`, when `root` does not end such a chain.
Operation *raiseAttention(RewriterBase &rewriter, Operation *root,
                          std::string &whyNot);

/// Registers `tw-raise-attention` (every chain in a function, no error for
/// a non-match).
void registerRaiseAttentionPass();
} // namespace tw
} // namespace mlir

#endif // TILEWRIGHT_TRANSFORMS_RAISEATTENTION_H
