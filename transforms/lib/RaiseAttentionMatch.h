//===- RaiseAttentionMatch.h - what tw.attention is raised from -*- C++ -*-===//
//
// What the matcher of RaiseAttentionMatch.cpp finds (the Q.K^T contraction,
// the scores' scale, mask or bias and causal flag, Q, K, V and their maps
// over tw.attention's domain) and the rewrite of RaiseAttention.cpp builds
// from. Internal to transforms/lib.
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_TRANSFORMS_RAISEATTENTIONMATCH_H
#define TILEWRIGHT_TRANSFORMS_RAISEATTENTIONMATCH_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <optional>
#include <string>

namespace mlir {
namespace tw {
namespace raise {

/// The keep condition of a tensor mask: the element itself (i1), or one
/// comparison of it with a constant (`keep > 0` on a float padding mask),
/// which the rewrite materializes as an i1 tensor.
struct MaskCond {
  Value tensor;
  AffineMap map; // over the score dims
  Operation *cmp = nullptr;
  unsigned cmpArg = 0; // which operand of `cmp` reads the element
  Attribute cmpConst;
};

/// The scores as one softmax generic computes them from S.
struct ScoreExpr {
  linalg::LinalgOp qk;
  double scale = 1.0;
  Value bias;
  AffineMap biasMap;
  std::optional<MaskCond> mask;
  bool causal = false;
  std::optional<double> fill; // what masked scores become
  // The loop ranges of the generic the mask or bias is read in, and the
  // query count of the one the causal compare is in: the softmax may see S
  // reshaped (other batch dims), where those maps would not be S's.
  SmallVector<int64_t> maskShape;
  int64_t causalQueries = 0;
};

/// Everything tw.attention needs.
struct AttentionMatch {
  unsigned batchDims = 0;
  Value q, k, v;
  AffineMap qMap, kMap, vMap, outMap;
  ScoreExpr scores;
  // Where S has fewer batch dims than P (the softmax and P.V see merged
  // heads split): for each of S's dims, the dims of P it splits into. Q
  // and K and their maps are then over S's dims (batch of S, m, n, d, e)
  // and the rewrite expands them.
  SmallVector<ReassociationIndices> batchGroups;
  SmallVector<int64_t> scoreShape; // P's (batch..., m, n)
  // V's unit dims that P.V reads by unit key dims: collapsed away.
  SmallVector<int64_t> vUnitDims;
  Value init;
  Type resultType;
};

/// The value of a float constant, if `v` is one.
std::optional<double> floatConstant(Value v);

/// The value a generic's body yields (its one result).
Value yielded(linalg::GenericOp g);

/// The attention chain ending at `root` (its P.V contraction), or failure
/// with the reason in `why`. Reads the IR only.
FailureOr<AttentionMatch> matchAttention(Operation *root, std::string &why);

/// `map` reading a tensor whose dim i is dim perm[i] of `source`, rewritten
/// to read `source`.
AffineMap throughPermutation(ArrayRef<int64_t> perm, AffineMap map);

} // namespace raise
} // namespace tw
} // namespace mlir

#endif // TILEWRIGHT_TRANSFORMS_RAISEATTENTIONMATCH_H
