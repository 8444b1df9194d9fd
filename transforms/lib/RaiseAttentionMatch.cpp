//===- RaiseAttentionMatch.cpp - the chain tw.attention is raised from ----===//
//
// JAX's attention reaches tilewright's linalg stage as two contractions with a
// softmax of generics between them:
//
//   S = contraction(Q, K)                  (linalg.matmul, batch_matmul, or a
//                                           contraction generic for bf16)
//   X = s * c [+ bias] [masked by select]  (alone, or recomputed inside the
//                                           max and exp generics)
//   M = max-reduce(X) over the keys        (init -inf)
//   E = exp(X - M)
//   Z = sum-reduce(E)                      (init 0)
//   P = E / Z  or  E * (1 / Z)             (maybe rounded to bf16 and back)
//   O = contraction(P, V)
//
// The matcher walks this chain back from the P.V contraction, checks every
// link (iterator types, indexing maps, bodies, reduction inits) and gathers Q,
// K, V, the scale, the mask and the causal flag. Score dims are the layout of
// S: (batch..., query, key), every softmax generic reads it through identity
// maps. The tw.attention domain is (batch..., m, n, d, e); the operands' maps
// are the contractions' maps rewritten into it, with transposes and a
// constant scaling of Q or K folded in.
//
// A chain that deviates anywhere (softmax over another axis, a reduction
// with another init, a scale after a bias) is not raised: the reason is
// returned so the transform op can report it.
//
//===----------------------------------------------------------------------===//

#include "transforms/lib/RaiseAttentionMatch.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tw::raise;

namespace {

bool sameMask(const std::optional<MaskCond> &a,
              const std::optional<MaskCond> &b) {
  if (a.has_value() != b.has_value())
    return false;
  if (!a)
    return true;
  if (a->tensor != b->tensor || a->map != b->map ||
      (a->cmp == nullptr) != (b->cmp == nullptr))
    return false;
  if (!a->cmp)
    return true;
  return a->cmp->getName() == b->cmp->getName() &&
         a->cmp->getPropertiesAsAttribute() ==
             b->cmp->getPropertiesAsAttribute() &&
         a->cmpArg == b->cmpArg && a->cmpConst == b->cmpConst;
}

bool sameScores(const ScoreExpr &a, const ScoreExpr &b) {
  return a.qk == b.qk && a.scale == b.scale && a.bias == b.bias &&
         a.biasMap == b.biasMap && sameMask(a.mask, b.mask) &&
         a.causal == b.causal && a.fill == b.fill && a.reshape == b.reshape &&
         a.maskLoops == b.maskLoops;
}

//===----------------------------------------------------------------------===//
// Small matchers
//===----------------------------------------------------------------------===//


/// The identity over the first `rank - 1` of `rank` dims: how a softmax
/// generic reads a row value (max, sum) or writes a reduction.
AffineMap rowMap(MLIRContext *ctx, unsigned rank) {
  SmallVector<AffineExpr> results;
  for (unsigned i = 0; i + 1 < rank; ++i)
    results.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(rank, 0, results, ctx);
}

/// A generic over the score dims: all parallel (or parallel with the last,
/// the keys, reduced), one init written through the identity (or the row map).
bool isScoreGeneric(linalg::GenericOp g, unsigned rank, bool reduction) {
  if (!g || g.getNumLoops() != rank || g.getNumDpsInits() != 1 ||
      g->getNumResults() != 1 || !g.hasPureTensorSemantics())
    return false;
  auto iterators = g.getIteratorTypesArray();
  for (unsigned i = 0; i < rank; ++i) {
    bool reduced = reduction && i + 1 == rank;
    if (iterators[i] != (reduced ? utils::IteratorType::reduction
                                 : utils::IteratorType::parallel))
      return false;
  }
  AffineMap out = g.getMatchingIndexingMap(g.getDpsInitOperand(0));
  return reduction ? out == rowMap(g.getContext(), rank) : out.isIdentity();
}


/// The input operand a body value reads directly, or null.
OpOperand *inputOf(linalg::GenericOp g, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != g.getBody())
    return nullptr;
  OpOperand *operand = g.getMatchingOpOperand(arg);
  return g.isDpsInput(operand) ? operand : nullptr;
}

bool isInitArg(linalg::GenericOp g, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  return arg && arg.getOwner() == g.getBody() &&
         !g.isDpsInput(g.getMatchingOpOperand(arg));
}

/// Whether `init` is a linalg.fill of `value` (0 for the sum, -inf for max).
bool isFilledWith(Value init, double value) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  std::optional<double> c = floatConstant(fill.getInputs()[0]);
  return c && *c == value;
}

/// The loop dim a `linalg.index`, maybe cast to an integer, stands for.
std::optional<unsigned> indexDim(Value v) {
  while (Operation *op = v.getDefiningOp()) {
    if (auto index = dyn_cast<linalg::IndexOp>(op))
      return index.getDim();
    if (!isa<arith::IndexCastOp, arith::IndexCastUIOp>(op))
      return std::nullopt;
    v = op->getOperand(0);
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// The scores
//===----------------------------------------------------------------------===//

/// Parses the score `v` in `g`'s body. `level` says what may still wrap the
/// scaled Q.K^T: 2 a mask (select), 1 an additive bias, 0 only scaling; so
/// `select(keep, s * c + bias, -big)` parses, `(s + bias) * c` does not.
class ScoreParser {
public:
  explicit ScoreParser(std::string &why) : why(why) {}

  LogicalResult parse(Value v, linalg::GenericOp g, ScoreExpr &s, int level) {
    if (OpOperand *operand = inputOf(g, v))
      return parseOperand(operand, g, s, level);
    Operation *op = v.getDefiningOp();
    if (!op || op->getBlock() != g.getBody())
      return fail("the scores are not computed from a contraction");
    if (isa<arith::MulFOp>(op)) {
      for (unsigned side = 0; side < 2; ++side)
        if (std::optional<double> c = floatConstant(op->getOperand(side))) {
          s.scale *= *c;
          return parse(op->getOperand(1 - side), g, s, 0);
        }
      return fail("the scores are multiplied by a non-constant");
    }
    if (isa<arith::DivFOp>(op)) {
      std::optional<double> c = floatConstant(op->getOperand(1));
      if (!c || *c == 0.0)
        return fail("the scores are divided by a non-constant");
      s.scale /= *c;
      return parse(op->getOperand(0), g, s, 0);
    }
    if (isa<arith::AddFOp>(op)) {
      if (level < 1 || s.bias)
        return fail("a bias added after scaling or twice");
      for (unsigned side = 0; side < 2; ++side) {
        OpOperand *leaf = inputOf(g, op->getOperand(side));
        if (!leaf || !isa<FloatType>(op->getOperand(side).getType()))
          continue;
        ScoreExpr inner = s;
        if (failed(parse(op->getOperand(1 - side), g, inner, 0)))
          continue;
        AffineMap map = g.getMatchingIndexingMap(leaf);
        if (leaf->get() == inner.qk->getResult(0) ||
            !map.isProjectedPermutation())
          continue;
        inner.bias = leaf->get();
        inner.biasMap = map;
        inner.maskLoops = g.getNumLoops();
        s = inner;
        return success();
      }
      return fail("an addition that is not Q.K^T plus a bias tensor");
    }
    if (auto select = dyn_cast<arith::SelectOp>(op)) {
      if (level < 2)
        return fail("a mask applied inside a bias or a scaling");
      std::optional<double> fill = floatConstant(select.getFalseValue());
      // Masked scores must stay far below any real one, so the softmax gives
      // them (almost) no weight: -inf, finfo.min, or user code's -1e9.
      if (!fill || *fill > -1e9)
        return fail("a select whose masked value is not -inf or below -1e9");
      if (s.fill && *s.fill != *fill)
        return fail("two masks with different masked values");
      s.fill = fill;
      if (failed(parseCondition(select.getCondition(), g, s)))
        return failure();
      return parse(select.getTrueValue(), g, s, 2);
    }
    return fail(Twine("the scores go through ") + op->getName().getStringRef());
  }

private:
  LogicalResult fail(const Twine &reason) {
    why = reason.str();
    return failure();
  }

  /// A tensor the scores read: S itself, or a generic over the score dims
  /// that computes them (the scale or mask step before the softmax).
  LogicalResult parseOperand(OpOperand *operand, linalg::GenericOp g,
                             ScoreExpr &s, int level) {
    if (!g.getMatchingIndexingMap(operand).isIdentity())
      return fail("the scores are read through a non-identity map");
    Operation *def = operand->get().getDefiningOp();
    // S split into more batch dims for the softmax (batch 1 of `q @ k^T`).
    if (auto expand = dyn_cast_or_null<tensor::ExpandShapeOp>(def)) {
      SmallVector<ReassociationIndices> groups =
          expand.getReassociationIndices();
      if (!s.reshape.empty() && s.reshape != groups)
        return fail("the scores are reshaped twice");
      if (groups.size() < 2 || groups[groups.size() - 1].size() != 1 ||
          groups[groups.size() - 2].size() != 1)
        return fail("a reshape of the query or key dim of the scores");
      s.reshape = groups;
      def = expand.getSrc().getDefiningOp();
    }
    if (auto contraction = dyn_cast_or_null<linalg::LinalgOp>(def);
        contraction && linalg::isaContractionOpInterface(contraction)) {
      if (s.qk && s.qk != contraction)
        return fail("the scores read two contractions");
      s.qk = contraction;
      return success();
    }
    auto producer = dyn_cast_or_null<linalg::GenericOp>(def);
    if (!producer ||
        !isScoreGeneric(producer, producer.getNumLoops(),
                        /*reduction=*/false) ||
        producer.getNumDpsInputs() == 0)
      return fail("the scores do not come from a Q.K^T contraction");
    return parse(yielded(producer), producer, s, level);
  }

  /// `keep` of a select: the causal compare of the query and key indices,
  /// or a tensor mask.
  LogicalResult parseCondition(Value cond, linalg::GenericOp g, ScoreExpr &s) {
    if (auto cmp = cond.getDefiningOp<arith::CmpIOp>();
        cmp && cmp->getBlock() == g.getBody()) {
      std::optional<unsigned> lhs = indexDim(cmp.getLhs());
      std::optional<unsigned> rhs = indexDim(cmp.getRhs());
      if (lhs && rhs) {
        unsigned query = g.getNumLoops() - 2, key = g.getNumLoops() - 1;
        using P = arith::CmpIPredicate;
        P pred = cmp.getPredicate();
        bool keyAtMostQuery =
            ((pred == P::sge || pred == P::uge) && *lhs == query &&
             *rhs == key) ||
            ((pred == P::sle || pred == P::ule) && *lhs == key &&
             *rhs == query);
        if (!keyAtMostQuery || s.causal)
          return fail("an index mask that is not causal (key <= query)");
        s.causal = true;
        return success();
      }
    }
    MaskCond mask;
    if (OpOperand *operand = inputOf(g, cond)) {
      mask.tensor = operand->get();
      mask.map = g.getMatchingIndexingMap(operand);
    } else if (Operation *cmp = cond.getDefiningOp();
               cmp && cmp->getBlock() == g.getBody() &&
               isa<arith::CmpFOp, arith::CmpIOp>(cmp)) {
      for (unsigned side = 0; side < 2; ++side) {
        OpOperand *operand = inputOf(g, cmp->getOperand(side));
        Attribute constant;
        if (!operand ||
            !matchPattern(cmp->getOperand(1 - side), m_Constant(&constant)))
          continue;
        mask = {operand->get(), g.getMatchingIndexingMap(operand), cmp, side,
                constant};
      }
    }
    if (!mask.tensor)
      return fail("a mask that is not a tensor, a compare of one with a "
                  "constant, or causal");
    if (s.mask || (s.qk && mask.tensor == s.qk->getResult(0)) ||
        !mask.map.isProjectedPermutation())
      return fail("a second mask, or a mask read through a non-projection");
    if (!cast<ShapedType>(mask.tensor.getType()).hasStaticShape())
      return fail("a mask of dynamic shape");
    s.mask = mask;
    s.maskLoops = g.getNumLoops();
    return success();
  }

  std::string &why;
};

//===----------------------------------------------------------------------===//
// The chain
//===----------------------------------------------------------------------===//

class ChainMatcher {
public:
  explicit ChainMatcher(std::string &why) : why(why) {}

  FailureOr<AttentionMatch> match(Operation *root) {
    auto pv = dyn_cast<linalg::LinalgOp>(root);
    if (!pv || !linalg::isaContractionOpInterface(pv) ||
        pv.getNumDpsInputs() != 2 || pv.getNumDpsInits() != 1 ||
        !pv.hasPureTensorSemantics())
      return fail("not a contraction on tensors (the P.V of attention)");
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(pv);
    if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
        dims->k.size() != 1)
      return fail("a contraction with more than one M, N or K dim");
    if (!isFilledWith(pv.getDpsInitOperand(0)->get(), 0.0))
      return fail("the P.V contraction does not start from zero");
    // P may be either input: JAX sometimes computes (V^T.P^T)^T.
    std::string first;
    for (unsigned p = 0; p < 2; ++p) {
      FailureOr<AttentionMatch> m = matchFromP(pv, *dims, p);
      if (succeeded(m))
        return m;
      if (p == 0)
        first = why;
    }
    // The P = input 0 reading is the usual one: report its reason.
    if (isa_and_nonnull<linalg::GenericOp>(
            pv.getDpsInputOperand(0)->get().getDefiningOp()))
      why = first;
    return failure();
  }

private:
  LogicalResult fail(const Twine &reason) {
    why = reason.str();
    return failure();
  }

  FailureOr<AttentionMatch>
  matchFromP(linalg::LinalgOp pv, const linalg::ContractionDimensions &dims,
             unsigned p) {
    MLIRContext *ctx = pv.getContext();
    unsigned query = p == 0 ? dims.m[0] : dims.n[0];
    unsigned value = p == 0 ? dims.n[0] : dims.m[0];
    unsigned key = dims.k[0];
    OpOperand *pOperand = pv.getDpsInputOperand(p);
    OpOperand *vOperand = pv.getDpsInputOperand(1 - p);
    AffineMap pMap = pv.getMatchingIndexingMap(pOperand);
    // P may reach P.V transposed: JAX computes (V^T.P^T)^T when the
    // sequence is shorter than the head dim.
    Value pValue = pOperand->get();
    while (auto transpose = pValue.getDefiningOp<linalg::TransposeOp>()) {
      pMap = throughPermutation(transpose.getPermutation(), pMap);
      pValue = transpose.getInput();
    }
    unsigned rank = pMap.getNumResults();
    if (rank < 2 || !pMap.isProjectedPermutation() ||
        pMap.getDimPosition(rank - 1) != key ||
        pMap.getDimPosition(rank - 2) != query ||
        pv.getNumLoops() != rank + 1)
      return fail("P is not laid out (batch..., query, key)");
    unsigned batch = rank - 2;
    // PV loops -> domain (batch..., m, n, d, e).
    SmallVector<AffineExpr> pvToDomain(pv.getNumLoops());
    for (unsigned i = 0; i < rank; ++i)
      pvToDomain[pMap.getDimPosition(i)] = getAffineDimExpr(i, ctx);
    pvToDomain[value] = getAffineDimExpr(batch + 3, ctx);
    AffineMap pvLoops = AffineMap::get(batch + 4, 0, pvToDomain, ctx);

    // The softmax may run on more batch dims than the contractions (batch
    // 1 of `q @ k^T`): P then reaches P.V through a collapse_shape.
    SmallVector<ReassociationIndices> reshape;
    unsigned contractionRank = rank;
    if (auto collapse = pValue.getDefiningOp<tensor::CollapseShapeOp>()) {
      reshape = collapse.getReassociationIndices();
      pValue = collapse.getSrc();
      rank = cast<ShapedType>(pValue.getType()).getRank();
    }

    // P = E / Z, or E * R with R = 1 / Z.
    auto norm = pValue.getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(norm, rank, /*reduction=*/false))
      return fail("P is not an elementwise generic over the scores");
    Value y = yielded(norm);
    // bf16/f16 attention rounds P to the value type before P.V.
    if (auto ext = y.getDefiningOp<arith::ExtFOp>())
      if (auto trunc = ext.getIn().getDefiningOp<arith::TruncFOp>();
          trunc && trunc.getIn().getType() == ext.getType())
        y = trunc.getIn();
    Operation *divide = y.getDefiningOp();
    if (!divide || !isa<arith::DivFOp, arith::MulFOp>(divide))
      return fail("P is not exp(...) divided by its row sum");
    AffineMap rows = rowMap(ctx, rank);
    OpOperand *expOperand = nullptr, *rowOperand = nullptr;
    for (unsigned side = 0; side < 2; ++side) {
      if (isa<arith::DivFOp>(divide) && side == 1)
        break;
      OpOperand *a = inputOf(norm, divide->getOperand(side));
      OpOperand *b = inputOf(norm, divide->getOperand(1 - side));
      if (a && b && norm.getMatchingIndexingMap(a).isIdentity() &&
          norm.getMatchingIndexingMap(b) == rows) {
        expOperand = a;
        rowOperand = b;
        break;
      }
    }
    if (!expOperand)
      return fail("P is not exp(...) divided by its row sum");
    Value sum = rowOperand->get();
    if (isa<arith::MulFOp>(divide)) {
      // R = 1 / Z, a generic over the rows.
      auto recip = sum.getDefiningOp<linalg::GenericOp>();
      if (!isScoreGeneric(recip, rank - 1, /*reduction=*/false))
        return fail("P multiplies by something other than 1 / row sum");
      auto div = yielded(recip).getDefiningOp<arith::DivFOp>();
      OpOperand *zOperand = div ? inputOf(recip, div.getRhs()) : nullptr;
      std::optional<double> one =
          div ? floatConstant(div.getLhs()) : std::nullopt;
      if (!zOperand || !one || *one != 1.0 ||
          !recip.getMatchingIndexingMap(zOperand).isIdentity())
        return fail("P multiplies by something other than 1 / row sum");
      sum = zOperand->get();
    }

    // Z = sum over the keys of E.
    auto sumOp = sum.getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(sumOp, rank, /*reduction=*/true) ||
        sumOp.getNumDpsInputs() != 1)
      return fail("the row sum is not a reduction over the last (key) dim");
    auto add = yielded(sumOp).getDefiningOp<arith::AddFOp>();
    if (!add)
      return fail("the row sum does not add");
    OpOperand *summed = nullptr;
    for (unsigned side = 0; side < 2; ++side)
      if (isInitArg(sumOp, add->getOperand(side)))
        summed = inputOf(sumOp, add->getOperand(1 - side));
    if (!summed || summed->get() != expOperand->get() ||
        !sumOp.getMatchingIndexingMap(summed).isIdentity() ||
        !isFilledWith(sumOp.getDpsInitOperand(0)->get(), 0.0))
      return fail("the row sum is not a sum of exp(...) from zero");

    // E = exp(X - M).
    auto expOp = expOperand->get().getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(expOp, rank, /*reduction=*/false))
      return fail("the numerator is not an elementwise generic");
    auto exp = yielded(expOp).getDefiningOp<math::ExpOp>();
    auto sub = exp ? exp.getOperand().getDefiningOp<arith::SubFOp>() : nullptr;
    OpOperand *maxOperand = sub ? inputOf(expOp, sub.getRhs()) : nullptr;
    if (!maxOperand || expOp.getMatchingIndexingMap(maxOperand) != rows)
      return fail("the numerator is not exp(scores - row max)");
    ScoreParser parser(why);
    ScoreExpr expScores;
    if (failed(parser.parse(sub.getLhs(), expOp, expScores, 2)))
      return failure();

    // M = max over the keys of X, from -inf.
    auto maxOp = maxOperand->get().getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(maxOp, rank, /*reduction=*/true))
      return fail("the row max is not a reduction over the last (key) dim");
    auto maximum = yielded(maxOp).getDefiningOp<arith::MaximumFOp>();
    if (!maximum)
      return fail("the row max does not take arith.maximumf");
    Value maxed;
    for (unsigned side = 0; side < 2; ++side)
      if (isInitArg(maxOp, maximum->getOperand(side)))
        maxed = maximum->getOperand(1 - side);
    if (!maxed ||
        !isFilledWith(maxOp.getDpsInitOperand(0)->get(), -INFINITY))
      return fail("the row max does not start from -inf");
    ScoreExpr maxScores;
    if (failed(parser.parse(maxed, maxOp, maxScores, 2)))
      return failure();
    if (!sameScores(expScores, maxScores))
      return fail("the row max and exp(...) read different scores");
    if (expScores.mask && expScores.bias)
      return fail("both a mask and a bias (tw.attention takes one)");
    if (expScores.reshape != reshape)
      return fail("the softmax's batch dims are not those of the "
                  "contractions (reshaped differently)");
    if ((expScores.mask || expScores.bias) &&
        expScores.maskLoops != contractionRank)
      return fail("a mask or bias over reshaped batch dims");

    AttentionMatch m;
    m.batchDims = batch;
    m.scores = expScores;
    if (failed(matchQK(m, contractionRank)))
      return failure();
    m.v = vOperand->get();
    m.vMap = pv.getMatchingIndexingMap(vOperand).compose(pvLoops);
    m.outMap = pv.getMatchingIndexingMap(pv.getDpsInitOperand(0))
                   .compose(pvLoops);
    m.init = pv.getDpsInitOperand(0)->get();
    m.resultType = pv->getResult(0).getType();
    // V's map must see the batch, the key and its own value dim.
    if (!m.vMap.isFunctionOfDim(batch + 1) ||
        !m.vMap.isFunctionOfDim(batch + 3))
      return fail("V is not indexed by the keys and its value dim");
    return m;
  }

  /// S = Q.K^T, laid out (batch..., query, key), from zero.
  LogicalResult matchQK(AttentionMatch &m, unsigned rank) {
    linalg::LinalgOp qk = m.scores.qk;
    MLIRContext *ctx = qk.getContext();
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(qk);
    if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
        dims->k.size() != 1 || qk.getNumLoops() != rank + 1 ||
        qk.getNumDpsInputs() != 2 || !qk.hasPureTensorSemantics())
      return fail("Q.K^T is not a contraction over one head dim");
    if (!isFilledWith(qk.getDpsInitOperand(0)->get(), 0.0))
      return fail("Q.K^T does not start from zero");
    if (!cast<ShapedType>(qk->getResult(0).getType()).hasStaticShape())
      return fail("scores of dynamic shape");
    AffineMap out = qk.getMatchingIndexingMap(qk.getDpsInitOperand(0));
    if (!out.isProjectedPermutation() || out.getNumResults() != rank)
      return fail("Q.K^T's result is not a projection of its loops");
    unsigned batch = rank - 2;
    unsigned queryLoop = out.getDimPosition(rank - 2);
    unsigned keyLoop = out.getDimPosition(rank - 1);
    for (unsigned i = 0; i < batch; ++i)
      if (!llvm::is_contained(dims->batch, out.getDimPosition(i)))
        return fail("Q.K^T's leading result dims are not batch dims");
    SmallVector<AffineExpr> toDomain(qk.getNumLoops());
    for (unsigned i = 0; i < rank; ++i)
      toDomain[out.getDimPosition(i)] = getAffineDimExpr(i, ctx);
    toDomain[dims->k[0]] = getAffineDimExpr(batch + 2, ctx);
    AffineMap loops = AffineMap::get(batch + 4, 0, toDomain, ctx);
    OpOperand *qOperand = nullptr, *kOperand = nullptr;
    for (OpOperand *operand : qk.getDpsInputOperands()) {
      AffineMap map = qk.getMatchingIndexingMap(operand);
      if (map.isFunctionOfDim(queryLoop) && !map.isFunctionOfDim(keyLoop))
        qOperand = operand;
      else if (map.isFunctionOfDim(keyLoop) && !map.isFunctionOfDim(queryLoop))
        kOperand = operand;
    }
    if (!qOperand || !kOperand)
      return fail("Q.K^T does not read queries from one input, keys from the "
                  "other");
    m.q = qOperand->get();
    m.k = kOperand->get();
    m.qMap = qk.getMatchingIndexingMap(qOperand).compose(loops);
    m.kMap = qk.getMatchingIndexingMap(kOperand).compose(loops);
    return success();
  }

  std::string &why;
};

} // namespace

FailureOr<AttentionMatch>
mlir::tw::raise::matchAttention(Operation *root, std::string &why) {
  return ChainMatcher(why).match(root);
}

/// `map` reading a tensor whose dim i is dim perm[i] of `source`, rewritten
/// to read `source`.
AffineMap mlir::tw::raise::throughPermutation(ArrayRef<int64_t> perm,
                                              AffineMap map) {
  SmallVector<unsigned> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return AffineMap::getPermutationMap(inverse, map.getContext()).compose(map);
}

std::optional<double> mlir::tw::raise::floatConstant(Value v) {
  FloatAttr attr;
  if (matchPattern(v, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

Value mlir::tw::raise::yielded(linalg::GenericOp g) {
  return g.getBody()->getTerminator()->getOperand(0);
}
