//===- RaiseAttention.cpp - softmax(Q.K^T).V chains -> tw.attention -------===//
//
// The rewrite of a matched chain (RaiseAttentionMatch.cpp) into one
// tw.attention, the `tw-raise-attention` pass over every chain of a
// function, and the entry point transform.tw.raise_attention calls.
//
//===----------------------------------------------------------------------===//

#include "transforms/lib/RaiseAttention.h"

#include "dialects/tw/TwDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/RegionUtils.h"
#include "transforms/lib/RaiseAttentionMatch.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tw::raise;

namespace {

//===----------------------------------------------------------------------===//
// The rewrite
//===----------------------------------------------------------------------===//

/// collapse_shape(transpose(x)) as transpose(collapse_shape(x)) when the
/// transpose moves each collapsed group of dims as a block (merged heads and
/// batch stay together, K's (n, d) swap inside its own groups): returns the
/// new collapse of x and the permutation of the collapsed dims, or null.
/// Multi-head K reaches the attention as [b*h, d, n] this way; read as
/// [b*h, n, d] the flash schedule runs its key blocks 4.8x faster (2 x 8
/// heads x 1024 x 64, one Zen 5 core).
Value collapseBeforeTranspose(RewriterBase &rewriter,
                              tensor::CollapseShapeOp collapse,
                              SmallVector<int64_t> &perm) {
  auto transpose = collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
  if (!transpose)
    return Value();
  ArrayRef<int64_t> inner = transpose.getPermutation();
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  // (first source dim, group) for each group of consecutive source dims.
  SmallVector<std::pair<int64_t, unsigned>> starts;
  for (auto [index, group] : llvm::enumerate(groups)) {
    for (size_t j = 1; j < group.size(); ++j)
      if (inner[group[j]] != inner[group[j - 1]] + 1)
        return Value();
    starts.push_back({inner[group.front()], index});
  }
  llvm::sort(starts);
  SmallVector<ReassociationIndices> sourceGroups;
  perm.assign(groups.size(), 0);
  for (auto [position, start] : llvm::enumerate(starts)) {
    ReassociationIndices group;
    for (size_t j = 0; j < groups[start.second].size(); ++j)
      group.push_back(start.first + j);
    sourceGroups.push_back(group);
    perm[start.second] = position;
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfterValue(transpose.getInput());
  return tensor::CollapseShapeOp::create(rewriter, collapse.getLoc(),
                                         transpose.getInput(), sourceGroups);
}

/// Reads `tensor` through what produces it when that is only a permutation
/// (linalg.transpose, a copy generic, a collapse of a transpose that keeps
/// its groups) or, where `scale` is given, a multiply by a constant: the
/// attention op then reads the source directly.
void foldProducers(RewriterBase &rewriter, Value &tensor, AffineMap &map,
                   double *scale) {
  while (Operation *def = tensor.getDefiningOp()) {
    if (auto transpose = dyn_cast<linalg::TransposeOp>(def)) {
      // result[i] = input[perm[i]].
      map = throughPermutation(transpose.getPermutation(), map);
      tensor = transpose.getInput();
      continue;
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def)) {
      SmallVector<int64_t> perm;
      Value source = collapseBeforeTranspose(rewriter, collapse, perm);
      if (!source)
        return;
      map = throughPermutation(perm, map);
      tensor = source;
      return;
    }
    auto g = dyn_cast<linalg::GenericOp>(def);
    if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
        g.getNumReductionLoops() != 0 || !g.hasPureTensorSemantics())
      return;
    OpOperand *in = g.getDpsInputOperand(0);
    AffineMap inMap = g.getMatchingIndexingMap(in);
    AffineMap outMap = g.getMatchingIndexingMap(g.getDpsInitOperand(0));
    if (!inMap.isPermutation() || !outMap.isPermutation())
      return;
    Value y = yielded(g);
    if (y == g.getMatchingBlockArgument(in)) {
      map = inMap.compose(inversePermutation(outMap)).compose(map);
      tensor = in->get();
      continue;
    }
    Operation *op = y.getDefiningOp();
    if (!scale || !inMap.isIdentity() || !outMap.isIdentity() || !op ||
        !isa<arith::MulFOp, arith::DivFOp>(op) ||
        op->getOperand(0) != g.getMatchingBlockArgument(in))
      return;
    std::optional<double> c = floatConstant(op->getOperand(1));
    if (!c || *c == 0.0)
      return;
    *scale *= isa<arith::MulFOp>(op) ? *c : 1.0 / *c;
    tensor = in->get();
  }
}

/// `tensor`, read through `map` over (S's batch dims, m, n, d, e), expanded
/// so that it is read over (P's batch dims, m, n, d, e): each of S's
/// (batch..., m, n) splits into the dims of P `groups` gives it (sizes from
/// `pShape`); under GQA Q's m splits into (group, m).
void expandBatch(RewriterBase &rewriter, Location loc, Value &tensor,
                 AffineMap &map, ArrayRef<ReassociationIndices> groups,
                 ArrayRef<int64_t> pShape) {
  MLIRContext *ctx = rewriter.getContext();
  unsigned sBatch = groups.size() - 2, pBatch = pShape.size() - 2;
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> reassociation;
  SmallVector<AffineExpr> results;
  for (auto [position, result] : llvm::enumerate(map.getResults())) {
    unsigned dim = cast<AffineDimExpr>(result).getPosition();
    ReassociationIndices group;
    if (dim < groups.size()) {
      for (int64_t split : groups[dim]) {
        group.push_back(shape.size());
        shape.push_back(pShape[split]);
        results.push_back(getAffineDimExpr(split, ctx));
      }
    } else {
      group.push_back(shape.size());
      shape.push_back(type.getDimSize(position));
      results.push_back(getAffineDimExpr(dim - sBatch + pBatch, ctx));
    }
    reassociation.push_back(group);
  }
  map = AffineMap::get(pBatch + 4, 0, results, ctx);
  if (shape.size() == static_cast<size_t>(type.getRank()))
    return;
  // The contraction read the merged tensor through a collapse: read its
  // source (then foldProducers sees what produced it, K's transpose).
  if (auto collapse = tensor.getDefiningOp<tensor::CollapseShapeOp>();
      collapse && collapse.getReassociationIndices() == reassociation &&
      collapse.getSrcType().getShape() == ArrayRef<int64_t>(shape)) {
    tensor = collapse.getSrc();
    return;
  }
  tensor = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get(shape, type.getElementType()),
      tensor, reassociation);
}

/// `tensor` without its unit dims at `positions`, each collapsed into the
/// next kept dim (the last kept one for trailing ones).
Value collapseUnitDims(RewriterBase &rewriter, Location loc, Value tensor,
                       ArrayRef<int64_t> positions) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    pending.push_back(i);
    if (!llvm::is_contained(positions, i)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (groups.empty())
    return tensor;
  groups.back().append(pending.begin(), pending.end());
  return tensor::CollapseShapeOp::create(rewriter, loc, tensor, groups);
}

/// The mask operand of tw.attention and its map over the domain.
///
/// tw.attention masks score (m, n) pairs: an i1 mask keeps where true (-inf
/// elsewhere), a float mask adds. JAX's masks become one of these:
/// - `select(keep, s, -inf)`: `keep` as the i1 mask;
/// - `select(keep, s, big negative)` (finfo.min, -1e9): the float mask
///   `keep ? 0 : big negative`, so a row that sees no key still averages V
///   as XLA does (an i1 mask would give 0 there);
/// - `s + bias`: `bias` as the float mask.
/// The operand is computed over (its batch dims, m, n) when it needs a
/// comparison or a select, or lacks m or n (a padding mask over the keys):
/// the verifier wants both, and it is small next to the scores.
std::pair<Value, AffineMap> maskOperand(RewriterBase &rewriter, Location loc,
                                        const ScoreExpr &s, unsigned batch) {
  MLIRContext *ctx = rewriter.getContext();
  unsigned rank = batch + 2;
  SmallVector<AffineExpr> scoreDims;
  for (unsigned i = 0; i < rank; ++i)
    scoreDims.push_back(getAffineDimExpr(i, ctx));
  AffineMap scoresInDomain = AffineMap::get(batch + 4, 0, scoreDims, ctx);

  Value source = s.mask ? s.mask->tensor : s.bias;
  AffineMap map = s.mask ? s.mask->map : s.biasMap;
  bool additive = !s.mask || !std::isinf(*s.fill);
  bool rewritten = s.mask && (s.mask->cmp || additive);
  if (!rewritten && map.isFunctionOfDim(rank - 2) &&
      map.isFunctionOfDim(rank - 1))
    return {source, map.compose(scoresInDomain)};

  // Loops: the source's batch dims in order, then m and n.
  SmallVector<unsigned> loops;
  for (unsigned i = 0; i < batch; ++i)
    if (map.isFunctionOfDim(i))
      loops.push_back(i);
  loops.push_back(rank - 2);
  loops.push_back(rank - 1);
  SmallVector<AffineExpr> toLoops(rank, getAffineConstantExpr(0, ctx));
  SmallVector<int64_t> shape;
  auto scoresType = cast<RankedTensorType>(s.qk->getResult(0).getType());
  SmallVector<AffineExpr> inDomain;
  for (auto [position, dim] : llvm::enumerate(loops)) {
    toLoops[dim] = getAffineDimExpr(position, ctx);
    shape.push_back(scoresType.getDimSize(dim));
    inDomain.push_back(getAffineDimExpr(dim, ctx));
  }
  AffineMap readMap =
      map.compose(AffineMap::get(loops.size(), 0, toLoops, ctx));
  Type element = additive ? scoresType.getElementType()
                          : Type(rewriter.getI1Type());
  Value empty = tensor::EmptyOp::create(rewriter, loc, shape, element);
  SmallVector<utils::IteratorType> parallel(loops.size(),
                                            utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{empty.getType()}, ValueRange{source},
      ValueRange{empty},
      ArrayRef<AffineMap>{readMap,
                          rewriter.getMultiDimIdentityMap(loops.size())},
      parallel, [&](OpBuilder &b, Location l, ValueRange args) {
        Value result = args[0];
        if (s.mask && s.mask->cmp) {
          IRMapping mapping;
          mapping.map(s.mask->cmp->getOperand(s.mask->cmpArg), args[0]);
          Value constant = s.mask->cmp->getOperand(1 - s.mask->cmpArg);
          if (Operation *def = constant.getDefiningOp();
              def && def->getBlock() == s.mask->cmp->getBlock())
            b.clone(*def, mapping);
          result = b.clone(*s.mask->cmp, mapping)->getResult(0);
        }
        if (s.mask && additive) {
          Value zero = arith::ConstantOp::create(
              b, l, element, b.getFloatAttr(element, 0.0));
          Value fill = arith::ConstantOp::create(
              b, l, element, b.getFloatAttr(element, *s.fill));
          result = arith::SelectOp::create(b, l, result, zero, fill);
        }
        linalg::YieldOp::create(b, l, result);
      });
  return {generic->getResult(0),
          AffineMap::get(batch + 4, 0, inDomain, ctx)};
}

/// Erases the ops of `work` that nothing uses, then whatever fed only them.
void eraseDeadProducers(RewriterBase &rewriter, SmallVector<Operation *> work) {
  llvm::DenseSet<Operation *> erased;
  while (!work.empty()) {
    Operation *next = work.pop_back_val();
    if (erased.contains(next) || !isOpTriviallyDead(next))
      continue;
    for (Value operand : next->getOperands())
      if (Operation *def = operand.getDefiningOp())
        work.push_back(def);
    // Generic bodies read constants defined outside them.
    for (Region &region : next->getRegions())
      visitUsedValuesDefinedAbove(region, [&](OpOperand *use) {
        if (Operation *def = use->get().getDefiningOp())
          work.push_back(def);
      });
    erased.insert(next);
    rewriter.eraseOp(next);
  }
}

Operation *buildAttention(RewriterBase &rewriter, Operation *root,
                          AttentionMatch &m) {
  Location loc = root->getLoc();
  rewriter.setInsertionPoint(root);
  double scale = m.scores.scale;
  if (!m.vUnitDims.empty())
    m.v = collapseUnitDims(rewriter, loc, m.v, m.vUnitDims);
  if (!m.batchGroups.empty()) {
    ArrayRef<int64_t> pShape = m.scoreShape;
    expandBatch(rewriter, loc, m.q, m.qMap, m.batchGroups, pShape);
    expandBatch(rewriter, loc, m.k, m.kMap, m.batchGroups, pShape);
  }
  foldProducers(rewriter, m.q, m.qMap, &scale);
  foldProducers(rewriter, m.k, m.kMap, &scale);
  foldProducers(rewriter, m.v, m.vMap, nullptr);

  Value mask;
  AffineMap maskMap;
  if (m.scores.mask || m.scores.bias)
    std::tie(mask, maskMap) =
        maskOperand(rewriter, loc, m.scores, m.batchDims);
  SmallVector<AffineMap> maps{m.qMap, m.kMap, m.vMap};
  if (mask)
    maps.push_back(maskMap);
  maps.push_back(m.outMap);

  auto attention = tw::AttentionOp::create(
      rewriter, loc, m.resultType, m.q, m.k, m.v, mask, /*diagonal=*/Value(),
      m.init,
      rewriter.getF32FloatAttr(static_cast<float>(scale)),
      m.scores.causal ? rewriter.getUnitAttr() : UnitAttr(),
      rewriter.getAffineMapArrayAttr(maps));
  SmallVector<Operation *> feeders;
  for (Value operand : root->getOperands())
    if (Operation *def = operand.getDefiningOp())
      feeders.push_back(def);
  // The root's discardable attributes (a schedule's tags) move to the op
  // that replaces it, so what found the contraction finds the attention.
  attention->setDiscardableAttrs(root->getDiscardableAttrDictionary());
  rewriter.replaceOp(root, attention->getResults());
  eraseDeadProducers(rewriter, std::move(feeders));
  return attention;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct RaiseAttentionPass
    : public PassWrapper<RaiseAttentionPass,
                         InterfacePass<FunctionOpInterface>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RaiseAttentionPass)

  StringRef getArgument() const final { return "tw-raise-attention"; }
  StringRef getDescription() const final {
    return "Raise softmax(Q.K^T * scale [+ mask]).V chains to tw.attention "
           "(chains that do not match are left alone)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<tw::TwDialect, linalg::LinalgDialect,
                    tensor::TensorDialect, arith::ArithDialect>();
  }

  void runOnOperation() override {
    // In program order: a raise erases only producers of its root, which
    // precede it and so were visited (and left alone) already.
    SmallVector<Operation *> roots;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (linalg::isaContractionOpInterface(op))
        roots.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *root : roots) {
      std::string whyNot;
      (void)tw::raiseAttention(rewriter, root, whyNot);
    }
  }
};

} // namespace

Operation *mlir::tw::raiseAttention(RewriterBase &rewriter, Operation *root,
                                    std::string &whyNot) {
  FailureOr<AttentionMatch> m = matchAttention(root, whyNot);
  if (failed(m))
    return nullptr;
  return buildAttention(rewriter, root, *m);
}

void mlir::tw::registerRaiseAttentionPass() {
  PassRegistration<RaiseAttentionPass>();
}
