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
//
// (f16/bf16 chains may round to the narrow type and widen again at any step:
// S before scaling, E, the row sum before the division, P. The raised op
// computes every step in f32 and rounds only P, to V's type: it is at least
// as accurate as the chain, so those casts are looked through; P must be
// rounded to V's type or narrower.)
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
         a.causal == b.causal && a.fill == b.fill &&
         a.maskShape == b.maskShape && a.causalQueries == b.causalQueries;
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

/// Whether `map` reads a row value (max, sum) in the generic `g` whose last
/// loop is the keys: the other loops in order, maybe without unit ones (JAX
/// reads the row sum [1, 1, 130] in a generic over [1, 1, 130, 1, 1, 130]),
/// so the row's linear index is the same on both sides.
bool isRowMap(linalg::GenericOp g, AffineMap map) {
  SmallVector<int64_t> ranges = g.getStaticLoopRanges();
  unsigned rank = ranges.size(), next = 0;
  for (AffineExpr result : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(result);
    if (!dim || dim.getPosition() < next || dim.getPosition() + 1 >= rank)
      return false;
    for (; next < dim.getPosition(); ++next)
      if (ranges[next] != 1)
        return false;
    next = dim.getPosition() + 1;
  }
  for (; next + 1 < rank; ++next)
    if (ranges[next] != 1)
      return false;
  return true;
}

/// The mantissa bits of a float type (24 for f32, 11 for f16, 8 for bf16).
unsigned precisionOf(Type type) {
  auto f = dyn_cast<FloatType>(type);
  return f ? f.getFPMantissaWidth() : 0;
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

bool isScoreGeneric(linalg::GenericOp g, bool reduction) {
  return g && isScoreGeneric(g, g.getNumLoops(), reduction);
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

/// `v` without the float casts (extf, truncf) that compute it in `g`'s body.
/// f16/bf16 chains round to the narrow type between their steps (scores,
/// row max, exp, the rounded row sum) and widen again to accumulate; the
/// raised tw.attention keeps all of them in f32, which is only more
/// accurate.
Value throughCasts(linalg::GenericOp g, Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (def->getBlock() != g.getBody() ||
        !isa<arith::ExtFOp, arith::TruncFOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// `v` through the elementwise generics over `rank` dims that only cast it
/// (one input read through the identity, `yield extf/truncf(in)`): the row
/// sum rounded to f16 before the division, say.
Value throughCastGenerics(Value v) {
  while (auto g = v.getDefiningOp<linalg::GenericOp>()) {
    if (!isScoreGeneric(g, g.getNumLoops(), /*reduction=*/false) ||
        g.getNumDpsInputs() != 1 ||
        !g.getMatchingIndexingMap(g.getDpsInputOperand(0)).isIdentity())
      break;
    Value y = yielded(g);
    if (y == throughCasts(g, y) || throughCasts(g, y) !=
                                       g.getMatchingBlockArgument(
                                           g.getDpsInputOperand(0)))
      break;
    v = g.getDpsInputOperand(0)->get();
  }
  return v;
}

/// `v` through the expand_shape / collapse_shape ops that produce it and keep
/// its last dim (the keys) whole; with `rows`, through any: a reshape keeps
/// the row-major order of the elements, so a row (batch..., query) of
/// scores stays the same row, whatever its batch and query dims look like
/// on either side. JAX's softmax runs on [b, h, q, k] between contractions
/// over merged [b*h, q, k] (or, under GQA, [kv heads, group*q, k]).
Value throughReshapes(Value v, bool rows) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      break;
    auto from = cast<RankedTensorType>(def->getOperand(0).getType());
    auto to = cast<RankedTensorType>(def->getResult(0).getType());
    if (!rows && (from.getRank() == 0 || to.getRank() == 0 ||
                  ShapedType::isDynamic(to.getShape().back()) ||
                  from.getShape().back() != to.getShape().back()))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// `v` through reshapes (as throughReshapes) and cast generics, in any order:
/// the same scores (or, with `rows`, row values) in another layout or type.
Value sameElements(Value v, bool rows) {
  for (Value next = v;; v = next) {
    next = throughReshapes(throughCastGenerics(v), rows);
    if (next == v)
      return v;
  }
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
    // f16 scores: S (f32) rounded to f16 before scaling or masking.
    if (isa<arith::ExtFOp, arith::TruncFOp>(op))
      return parse(op->getOperand(0), g, s, level);
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
        inner.maskShape = g.getStaticLoopRanges();
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
    // S seen with other batch dims by the softmax (batch 1 of `q @ k^T`,
    // GQA's query groups): the match checks the mask and causal dims.
    Operation *def =
        throughReshapes(operand->get(), /*rows=*/false).getDefiningOp();
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
        s.causalQueries = g.getStaticLoopRanges()[query];
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
    s.maskShape = g.getStaticLoopRanges();
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
    // P's side may have more than one M dim: GQA's query group, which V
    // does not see.
    if (failed(dims) || dims->m.empty() || dims->n.empty() ||
        dims->k.empty())
      return fail("not a contraction with M, N and K dims");
    // K dims of size 1 beside the keys (JAX's [1, 1, n] at batch 1 x 1
    // heads, V's unit batch dims read by them) stay out of the domain.
    SmallVector<int64_t> ranges = pv.getStaticLoopRanges();
    SmallVector<unsigned> keys, unitKeys;
    for (unsigned k : dims->k)
      (ranges[k] == 1 && dims->k.size() > 1 ? unitKeys : keys).push_back(k);
    if (keys.size() != 1)
      return fail("a contraction with more than one K dim");
    dims->k.assign(keys);
    if (!isFilledWith(pv.getDpsInitOperand(0)->get(), 0.0))
      return fail("the P.V contraction does not start from zero");
    // P may be either input: JAX sometimes computes (V^T.P^T)^T.
    std::string first;
    for (unsigned p = 0; p < 2; ++p) {
      FailureOr<AttentionMatch> m = matchFromP(pv, *dims, unitKeys, p);
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
             ArrayRef<unsigned> unitKeys, unsigned p) {
    MLIRContext *ctx = pv.getContext();
    ArrayRef<unsigned> pDims = p == 0 ? dims.m : dims.n;
    ArrayRef<unsigned> vDims = p == 0 ? dims.n : dims.m;
    if (vDims.size() != 1)
      return fail("V has more than one value dim");
    unsigned value = vDims[0];
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
    // P's unit key dims: left out of its (batch..., query, key) shape.
    SmallVector<int64_t> pShape, unitPositions;
    auto pType = cast<RankedTensorType>(pValue.getType());
    for (auto [i, result] : llvm::enumerate(pMap.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (dim && llvm::is_contained(unitKeys, dim.getPosition()))
        unitPositions.push_back(i);
      else
        pShape.push_back(pType.getDimSize(i));
    }
    if (unitPositions.size() != unitKeys.size())
      return fail("P does not read every unit key dim");
    pMap = pMap.dropResults(unitPositions);
    unsigned rank = pMap.getNumResults();
    if (rank < 2 || !pMap.isProjectedPermutation() ||
        pMap.getDimPosition(rank - 1) != key ||
        !llvm::is_contained(pDims, pMap.getDimPosition(rank - 2)) ||
        pv.getNumLoops() != rank + 1 + unitKeys.size())
      return fail("P is not laid out (batch..., query, key)");
    unsigned batch = rank - 2;
    // PV loops -> domain (batch..., m, n, d, e).
    SmallVector<AffineExpr> pvToDomain(pv.getNumLoops(),
                                       getAffineConstantExpr(0, ctx));
    for (unsigned i = 0; i < rank; ++i)
      pvToDomain[pMap.getDimPosition(i)] = getAffineDimExpr(i, ctx);
    pvToDomain[value] = getAffineDimExpr(batch + 3, ctx);
    AffineMap pvLoops = AffineMap::get(batch + 4, 0, pvToDomain, ctx);

    // The softmax may run on other batch dims than the contractions (batch
    // 1 of `q @ k^T`, GQA's groups): P then reaches P.V through reshapes.
    if (!pType.hasStaticShape())
      return fail("P of dynamic shape");

    // P = E / Z, or E * R with R = 1 / Z.
    auto norm = throughReshapes(pValue, /*rows=*/false)
                    .getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(norm, /*reduction=*/false))
      return fail("P is not an elementwise generic over the scores");
    // bf16/f16 attention rounds P to the value type before P.V: the chain
    // divides in f16, or rounds an f32 P to bf16 and back. pPrecision is
    // the fewest mantissa bits P passes through.
    Value y = yielded(norm);
    unsigned pPrecision = precisionOf(y.getType());
    for (Value inner = y; inner != throughCasts(norm, inner);) {
      inner = inner.getDefiningOp()->getOperand(0);
      pPrecision = std::min(pPrecision, precisionOf(inner.getType()));
    }
    y = throughCasts(norm, y);
    Operation *divide = y.getDefiningOp();
    if (!divide || !isa<arith::DivFOp, arith::MulFOp>(divide))
      return fail("P is not exp(...) divided by its row sum");
    pPrecision = std::min(pPrecision, precisionOf(y.getType()));
    // tw.attention rounds P to V's type where V is narrower than f32: the
    // chain must round it at least as much, or the raise loses accuracy.
    Type vElement = getElementTypeOrSelf(vOperand->get().getType());
    if (precisionOf(vElement) < precisionOf(Float32Type::get(ctx)) &&
        pPrecision > precisionOf(vElement))
      return fail("P is not rounded to V's type before P.V");
    OpOperand *expOperand = nullptr, *rowOperand = nullptr;
    for (unsigned side = 0; side < 2; ++side) {
      if (isa<arith::DivFOp>(divide) && side == 1)
        break;
      OpOperand *a =
          inputOf(norm, throughCasts(norm, divide->getOperand(side)));
      OpOperand *b =
          inputOf(norm, throughCasts(norm, divide->getOperand(1 - side)));
      if (a && b && norm.getMatchingIndexingMap(a).isIdentity() &&
          isRowMap(norm, norm.getMatchingIndexingMap(b))) {
        expOperand = a;
        rowOperand = b;
        break;
      }
    }
    if (!expOperand)
      return fail("P is not exp(...) divided by its row sum");
    Value sum = sameElements(rowOperand->get(), /*rows=*/true);
    if (isa<arith::MulFOp>(divide)) {
      // R = 1 / Z, a generic over the rows.
      auto recip = sum.getDefiningOp<linalg::GenericOp>();
      if (!isScoreGeneric(recip, /*reduction=*/false))
        return fail("P multiplies by something other than 1 / row sum");
      auto div = yielded(recip).getDefiningOp<arith::DivFOp>();
      OpOperand *zOperand =
          div ? inputOf(recip, throughCasts(recip, div.getRhs())) : nullptr;
      std::optional<double> one =
          div ? floatConstant(div.getLhs()) : std::nullopt;
      if (!zOperand || !one || *one != 1.0 ||
          !recip.getMatchingIndexingMap(zOperand).isIdentity())
        return fail("P multiplies by something other than 1 / row sum");
      sum = sameElements(zOperand->get(), /*rows=*/true);
    }

    // Z = sum over the keys of E.
    auto sumOp = sum.getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(sumOp, /*reduction=*/true) ||
        sumOp.getNumDpsInputs() != 1)
      return fail("the row sum is not a reduction over the last (key) dim");
    auto add = yielded(sumOp).getDefiningOp<arith::AddFOp>();
    if (!add)
      return fail("the row sum does not add");
    OpOperand *summed = nullptr;
    for (unsigned side = 0; side < 2; ++side)
      if (isInitArg(sumOp, add->getOperand(side)))
        summed = inputOf(sumOp, throughCasts(sumOp, add->getOperand(1 - side)));
    if (!summed ||
        sameElements(summed->get(), /*rows=*/false) !=
            sameElements(expOperand->get(), /*rows=*/false) ||
        !sumOp.getMatchingIndexingMap(summed).isIdentity() ||
        !isFilledWith(sumOp.getDpsInitOperand(0)->get(), 0.0))
      return fail("the row sum is not a sum of exp(...) from zero");

    // E = exp(X - M).
    auto expOp = sameElements(expOperand->get(), /*rows=*/false)
                     .getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(expOp, /*reduction=*/false))
      return fail("the numerator is not an elementwise generic");
    auto exp =
        throughCasts(expOp, yielded(expOp)).getDefiningOp<math::ExpOp>();
    auto sub = exp ? throughCasts(expOp, exp.getOperand())
                         .getDefiningOp<arith::SubFOp>()
                   : nullptr;
    OpOperand *maxOperand =
        sub ? inputOf(expOp, throughCasts(expOp, sub.getRhs())) : nullptr;
    if (!maxOperand ||
        !isRowMap(expOp, expOp.getMatchingIndexingMap(maxOperand)))
      return fail("the numerator is not exp(scores - row max)");
    ScoreParser parser(why);
    ScoreExpr expScores;
    if (failed(parser.parse(sub.getLhs(), expOp, expScores, 2)))
      return failure();

    // M = max over the keys of X, from -inf.
    auto maxOp = sameElements(maxOperand->get(), /*rows=*/true)
                     .getDefiningOp<linalg::GenericOp>();
    if (!isScoreGeneric(maxOp, /*reduction=*/true))
      return fail("the row max is not a reduction over the last (key) dim");
    auto maximum = throughCasts(maxOp, yielded(maxOp))
                       .getDefiningOp<arith::MaximumFOp>();
    if (!maximum)
      return fail("the row max does not take arith.maximumf");
    Value maxed;
    for (unsigned side = 0; side < 2; ++side)
      if (isInitArg(maxOp, throughCasts(maxOp, maximum->getOperand(side))))
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
    // tw.attention adds the bias in the scores' type.
    if (expScores.bias &&
        getElementTypeOrSelf(expScores.bias.getType()) !=
            getElementTypeOrSelf(expScores.qk->getResult(0).getType()))
      return fail("a bias of another type than Q.K^T");
    // The softmax's layouts keep every row and key in place (reshapes that
    // keep the keys whole): S and P hold the same rows. The domain takes P's
    // batch dims and queries; S's must merge them (GQA: S's queries are
    // P's (group, query), the query heads of one K/V head).
    auto sType = cast<RankedTensorType>(expScores.qk->getResult(0).getType());
    ArrayRef<int64_t> sShape = sType.getShape();
    unsigned sRank = sShape.size();
    if (!sType.hasStaticShape() || sRank < 2 ||
        sShape.back() != pShape.back())
      return fail("the softmax's keys are not those of Q.K^T");
    SmallVector<ReassociationIndices> batchGroups;
    if (sShape != ArrayRef<int64_t>(pShape)) {
      std::optional<SmallVector<ReassociationIndices>> groups =
          getReassociationIndicesForCollapse(pShape, sShape);
      unsigned pRank = pShape.size();
      if (!groups || groups->size() != sRank ||
          (*groups)[sRank - 2].back() != pRank - 2 ||
          (*groups)[sRank - 1] != ReassociationIndices{pRank - 1})
        return fail("the softmax's batch dims are not a split of Q.K^T's");
      batchGroups = std::move(*groups);
    }
    if ((expScores.mask || expScores.bias) &&
        (ArrayRef<int64_t>(expScores.maskShape) != sShape ||
         sShape != ArrayRef<int64_t>(pShape)))
      return fail("a mask or bias over reshaped batch dims");
    if (expScores.causal && expScores.causalQueries != pShape[rank - 2])
      return fail("a causal mask over a reshaped query dim");

    AttentionMatch m;
    m.batchDims = batch;
    m.scores = expScores;
    if (failed(matchQK(m, sRank)))
      return failure();
    m.batchGroups = std::move(batchGroups);
    m.scoreShape = pShape;
    if (!m.batchGroups.empty() &&
        (!m.qMap.isProjectedPermutation() || !m.kMap.isProjectedPermutation()))
      return fail("Q or K read through a non-projection");
    m.v = vOperand->get();
    m.vMap = pv.getMatchingIndexingMap(vOperand).compose(pvLoops);
    // V's dims read by unit key dims (now 0): the rewrite collapses them.
    for (auto [i, result] : llvm::enumerate(m.vMap.getResults()))
      if (isa<AffineConstantExpr>(result))
        m.vUnitDims.push_back(i);
    m.vMap = m.vMap.dropResults(m.vUnitDims);
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
