//===- TwAttentionTransformOps.cpp - the flash attention steps ------------===//
//
// transform.tw.convert_to_online_attention, decompose_attention and
// skip_invisible_keys (ODS in TwAttentionTransformOps.td). Each checks its
// payload before rewriting and reports misuse as a silenceable failure with
// a note at the payload op.
//
//===----------------------------------------------------------------------===//

#include "dialects/transform/TwTransformOps.h"

#include "dialects/tw/TwDialect.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SmallBitVector.h"

#include <limits>

using namespace mlir;

namespace {
/// A silenceable failure of `transformOp` with a note at the payload.
DiagnosedSilenceableFailure misuse(transform::TransformOpInterface transformOp,
                                   Operation *payload, const Twine &message) {
  DiagnosedSilenceableFailure diag =
      cast<transform::TransformOpInterface>(transformOp.getOperation())
          .emitSilenceableError()
      << message;
  diag.attachNote(payload->getLoc()) << "payload op: " << payload->getName();
  return diag;
}

/// Float `value` of type `type` as a constant.
Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// `value` converted to the float type `type` (extended or truncated).
Value convertFloat(OpBuilder &b, Location loc, Value value, Type type) {
  unsigned from = value.getType().getIntOrFloatBitWidth();
  unsigned to = type.getIntOrFloatBitWidth();
  if (value.getType() == type)
    return value;
  if (from < to || (from == to && !type.isF32()))
    return arith::ExtFOp::create(b, loc, type, value);
  return arith::TruncFOp::create(b, loc, type, value);
}

/// A tensor.empty of `sizes` filled with `value`.
linalg::FillOp filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                      Type element, double value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, element);
  return linalg::FillOp::create(b, loc, floatConstant(b, loc, element, value),
                                empty);
}

/// `map` over the domain without the dims in `drop` (renumbered).
AffineMap without(AffineMap map, ArrayRef<unsigned> drop) {
  llvm::SmallBitVector unused(map.getNumDims());
  for (unsigned dim : drop)
    unused.set(dim);
  return compressDims(map, unused);
}

/// The running max with -inf read as 0, so exp(x - max) of a row that has
/// seen no key yet is exp(-inf) = 0 rather than exp(-inf - -inf) = NaN.
Value safeMax(OpBuilder &b, Location loc, Value max) {
  Type type = max.getType();
  Value negInf =
      floatConstant(b, loc, type, -std::numeric_limits<double>::infinity());
  Value isNegInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         max, negInf);
  return arith::SelectOp::create(b, loc, isNegInf,
                                 floatConstant(b, loc, type, 0.0), max);
}
} // namespace

//===----------------------------------------------------------------------===//
// ConvertToOnlineAttentionOp
//===----------------------------------------------------------------------===//

tw::OnlineAttentionParts tw::convertToOnlineAttention(RewriterBase &rewriter,
                                                      tw::AttentionOp attn) {
  Location loc = attn.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  rewriter.setInsertionPoint(attn);
  auto outType = attn.getOutput().getType();
  Type outElement = outType.getElementType();
  // f16/bf16 attention accumulates in f32, as XLA's.
  Type accElement = outElement.getIntOrFloatBitWidth() < 32
                        ? Type(Float32Type::get(ctx))
                        : outElement;
  SmallVector<AffineMap> maps = attn.getIndexingMapsArray();
  AffineMap outMap = maps.back();
  unsigned eDim = attn.getNumBatchDims() + 3;
  unsigned ePos = *outMap.getResultPosition(getAffineDimExpr(eDim, ctx));
  SmallVector<OpFoldResult> outSizes =
      tensor::getMixedSizes(rewriter, loc, attn.getOutput());
  SmallVector<OpFoldResult> rowSizes(outSizes);
  rowSizes.erase(rowSizes.begin() + ePos);
  AffineMap rowMap = outMap.dropResult(ePos);

  linalg::FillOp acc = filled(rewriter, loc, outSizes, accElement, 0.0);
  linalg::FillOp max = filled(rewriter, loc, rowSizes, accElement,
                              -std::numeric_limits<double>::infinity());
  linalg::FillOp sum = filled(rewriter, loc, rowSizes, accElement, 0.0);
  SmallVector<AffineMap> onlineMaps(maps.begin(), maps.end());
  onlineMaps.push_back(rowMap);
  onlineMaps.push_back(rowMap);
  Value accInit = acc.getResult(0), maxInit = max.getResult(0),
        sumInit = sum.getResult(0);
  auto online = tw::OnlineAttentionOp::create(
      rewriter, loc,
      TypeRange{accInit.getType(), maxInit.getType(), sumInit.getType()},
      attn.getQuery(), attn.getKey(), attn.getValue(), attn.getMask(),
      attn.getDiagonal(), accInit, maxInit, sumInit, attn.getScaleAttr(),
      attn.getCausalAttr(), rewriter.getAffineMapArrayAttr(onlineMaps));

  // out = acc / sum, 0 where sum is 0 (a row that saw no key).
  unsigned rank = outType.getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<AffineMap> normMaps = {identity, identity.dropResult(ePos),
                                     identity};
  SmallVector<utils::IteratorType> parallel(rank,
                                            utils::IteratorType::parallel);
  auto normalize = linalg::GenericOp::create(
      rewriter, loc, TypeRange{outType},
      ValueRange{online.getResultAcc(), online.getResultSum()},
      ValueRange{attn.getOutput()}, normMaps, parallel,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value zero = floatConstant(b, l, accElement, 0.0);
        Value empty = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                            args[1], zero);
        Value quotient = arith::DivFOp::create(b, l, args[0], args[1]);
        Value result = arith::SelectOp::create(b, l, empty, zero, quotient);
        linalg::YieldOp::create(b, l,
                                convertFloat(b, l, result, outElement));
      });
  rewriter.replaceOp(attn, normalize.getResult(0));
  return {online, normalize, {acc, max, sum}};
}


void transform::ConvertToOnlineAttentionOp::getEffects(
    SmallVectorImpl<MemoryEffects::EffectInstance> &effects) {
  consumesHandle(getTargetMutable(), effects);
  producesHandle(getOperation()->getOpResults(), effects);
  modifiesPayload(effects);
}

DiagnosedSilenceableFailure transform::ConvertToOnlineAttentionOp::apply(
    transform::TransformRewriter &rewriter,
    transform::TransformResults &results, transform::TransformState &state) {
  SmallVector<Operation *> onlineOps, normalizeOps, fillOps;
  for (Operation *target : state.getPayloadOps(getTarget())) {
    auto attn = dyn_cast<tw::AttentionOp>(target);
    if (!attn)
      return misuse(*this, target, "expects tw.attention ops");
    tw::OnlineAttentionParts parts = tw::convertToOnlineAttention(rewriter, attn);
    onlineOps.push_back(parts.online);
    normalizeOps.push_back(parts.normalize);
    fillOps.append(parts.fills);
  }
  results.set(cast<OpResult>(getOnline()), onlineOps);
  results.set(cast<OpResult>(getNormalize()), normalizeOps);
  results.set(cast<OpResult>(getFills()), fillOps);
  return DiagnosedSilenceableFailure::success();
}

//===----------------------------------------------------------------------===//
// DecomposeAttentionOp
//===----------------------------------------------------------------------===//

void transform::DecomposeAttentionOp::getEffects(
    SmallVectorImpl<MemoryEffects::EffectInstance> &effects) {
  consumesHandle(getTargetMutable(), effects);
  producesHandle(getOperation()->getOpResults(), effects);
  modifiesPayload(effects);
}

namespace {
/// The linalg ops one tw.online_attention decomposes into.
struct Decomposed {
  Operation *scores;
  Operation *pv;
  SmallVector<Operation *> transposes; // the key block's, when K is (n, d)
  SmallVector<Operation *> rows;       // over (batch..., m, n) or (m, e)
  SmallVector<Operation *> state;      // over (batch..., m): alpha, sum
};

/// An online attention step to decompose: its operands, maps (query, key,
/// value, [mask], acc, max, sum) and domain sizes.
struct OnlineStep {
  Value query, key, value, mask, diagonal, acc, max, sum;
  SmallVector<AffineMap> maps;
  SmallVector<OpFoldResult> domain;
  unsigned numBatch;
  float scale;
  bool causal;
  bool named; // 2-D, row-major: the contractions become linalg.matmul
};

/// Decomposes `step` at the rewriter's insertion point; returns the new acc,
/// max and sum. Without batch dims (the 2-D form below) the two contractions
/// are named: K's block transposed once, then linalg.matmul for Q·Kᵀ and
/// P·V, which the CPU library's microkernel schedules.
SmallVector<Value> decomposeStep(RewriterBase &rewriter, Location loc,
                                 const OnlineStep &step, Decomposed &result) {
  MLIRContext *ctx = rewriter.getContext();
  unsigned numBatch = step.numBatch;
  unsigned m = numBatch, n = numBatch + 1, d = numBatch + 2, e = numBatch + 3;
  const SmallVector<AffineMap> &maps = step.maps;
  bool hasMask = static_cast<bool>(step.mask);
  AffineMap qMap = maps[0], kMap = maps[1], vMap = maps[2];
  AffineMap maskMap = hasMask ? maps[3] : AffineMap();
  AffineMap accMap = maps[maps.size() - 3], maxMap = maps[maps.size() - 2],
            sumMap = maps[maps.size() - 1];
  Type t = cast<RankedTensorType>(step.acc.getType()).getElementType();
  auto par = utils::IteratorType::parallel;
  auto red = utils::IteratorType::reduction;
  bool named = step.named;

  // Scores s[batch..., m, n] in the accumulation type, over this step's keys.
  SmallVector<AffineExpr> scoreExprs;
  SmallVector<OpFoldResult> scoreSizes;
  for (unsigned dim = 0; dim <= n; ++dim) {
    scoreExprs.push_back(getAffineDimExpr(dim, ctx));
    scoreSizes.push_back(step.domain[dim]);
  }
  AffineMap sMap = AffineMap::get(numBatch + 4, 0, scoreExprs, ctx);
  linalg::FillOp zeros = filled(rewriter, loc, scoreSizes, t, 0.0);
  result.rows.push_back(zeros);
  Value scoresValue;
  if (named) {
    // s = Q · Kᵀ, with the key block transposed to [d, n] unless K comes so
    // (the linalg stage materializes Kᵀ for JAX's q @ k.T).
    Value kT = step.key;
    if (kMap.getDimPosition(0) == n) {
      auto keyType = cast<RankedTensorType>(step.key.getType());
      Value init = tensor::EmptyOp::create(
          rewriter, loc, {step.domain[d], step.domain[n]},
          keyType.getElementType());
      auto transpose = linalg::TransposeOp::create(
          rewriter, loc, step.key, init, ArrayRef<int64_t>{1, 0});
      result.transposes.push_back(transpose);
      kT = transpose.getResult()[0];
    }
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, TypeRange{zeros.getResult(0).getType()},
        ValueRange{step.query, kT}, ValueRange{zeros.getResult(0)});
    result.scores = matmul;
    scoresValue = matmul.getResult(0);
  } else {
    // s = sum_d q * k (domain without e).
    SmallVector<utils::IteratorType> qkIters(numBatch + 3, par);
    qkIters[d] = red;
    auto scores = linalg::GenericOp::create(
        rewriter, loc, TypeRange{zeros.getResult(0).getType()},
        ValueRange{step.query, step.key}, ValueRange{zeros.getResult(0)},
        SmallVector<AffineMap>{without(qMap, {e}), without(kMap, {e}),
                               without(sMap, {e})},
        qkIters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value q = convertFloat(b, l, args[0], t);
          Value k = convertFloat(b, l, args[1], t);
          Value product = arith::MulFOp::create(b, l, q, k);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[2], product).getResult());
        });
    result.scores = scores;
    scoresValue = scores.getResult(0);
  }

  // s = s * scale, plus the mask, minus the keys past the causal diagonal
  // (domain batch..., m, n).
  SmallVector<utils::IteratorType> rowKeyIters(numBatch + 2, par);
  AffineMap sRowKey = without(sMap, {d, e});
  SmallVector<Value> maskInputs;
  SmallVector<AffineMap> maskedMaps;
  if (hasMask) {
    maskInputs.push_back(step.mask);
    maskedMaps.push_back(without(maskMap, {d, e}));
  }
  maskedMaps.push_back(sRowKey);
  Value diagonal;
  if (step.causal)
    diagonal = step.diagonal
                   ? step.diagonal
                   : Value(arith::ConstantIndexOp::create(rewriter, loc, 0));
  float scale = step.scale;
  auto masked = linalg::GenericOp::create(
      rewriter, loc, TypeRange{scoresValue.getType()}, maskInputs,
      ValueRange{scoresValue}, maskedMaps, rowKeyIters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value s = args.back();
        Value x = arith::MulFOp::create(b, l, s, floatConstant(b, l, t, scale));
        Value negInf =
            floatConstant(b, l, t, -std::numeric_limits<double>::infinity());
        if (hasMask) {
          Value mask = args[0];
          if (mask.getType().isInteger(1))
            x = arith::SelectOp::create(b, l, mask, x, negInf);
          else
            x = arith::AddFOp::create(b, l, x, convertFloat(b, l, mask, t));
        }
        if (diagonal) {
          Value i = linalg::IndexOp::create(b, l, m);
          Value j = linalg::IndexOp::create(b, l, n);
          Value limit = arith::AddIOp::create(b, l, i, diagonal);
          Value visible = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::sle, j, limit);
          x = arith::SelectOp::create(b, l, visible, x, negInf);
        }
        linalg::YieldOp::create(b, l, x);
      });
  result.rows.push_back(masked);
  Value s = masked.getResult(0);

  // new max = max(max, max_n s).
  SmallVector<utils::IteratorType> rowReduce(numBatch + 2, par);
  rowReduce[n] = red;
  AffineMap maxRowKey = without(maxMap, {d, e});
  auto newMax = linalg::GenericOp::create(
      rewriter, loc, TypeRange{step.max.getType()}, ValueRange{s},
      ValueRange{step.max}, SmallVector<AffineMap>{sRowKey, maxRowKey},
      rowReduce, [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l, arith::MaximumFOp::create(b, l, args[0], args[1])
                      .getResult());
      });
  result.rows.push_back(newMax);
  Value max = newMax.getResult(0);

  // p = exp(s - new max), in place of s.
  auto p = linalg::GenericOp::create(
      rewriter, loc, TypeRange{s.getType()}, ValueRange{max}, ValueRange{s},
      SmallVector<AffineMap>{maxRowKey, sRowKey}, rowKeyIters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value diff = arith::SubFOp::create(b, l, args[1],
                                           safeMax(b, l, args[0]));
        linalg::YieldOp::create(b, l,
                                math::ExpOp::create(b, l, diff).getResult());
      });
  result.rows.push_back(p);

  // alpha = exp(old max - new max) over (batch..., m).
  SmallVector<utils::IteratorType> rowIters(numBatch + 1, par);
  AffineMap maxRow = without(maxMap, {n, d, e});
  AffineMap sumRow = without(sumMap, {n, d, e});
  Value alphaInit = tensor::EmptyOp::create(
      rewriter, loc, tensor::getMixedSizes(rewriter, loc, step.max), t);
  auto alpha = linalg::GenericOp::create(
      rewriter, loc, TypeRange{alphaInit.getType()},
      ValueRange{step.max, max}, ValueRange{alphaInit},
      SmallVector<AffineMap>{maxRow, maxRow, maxRow}, rowIters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value diff = arith::SubFOp::create(b, l, args[0],
                                           safeMax(b, l, args[1]));
        linalg::YieldOp::create(b, l,
                                math::ExpOp::create(b, l, diff).getResult());
      });
  result.state.push_back(alpha);

  // sum = alpha * sum + sum_n p.
  auto scaledSum = linalg::GenericOp::create(
      rewriter, loc, TypeRange{step.sum.getType()},
      ValueRange{alpha.getResult(0)}, ValueRange{step.sum},
      SmallVector<AffineMap>{maxRow, sumRow}, rowIters,
      [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l, arith::MulFOp::create(b, l, args[0], args[1]).getResult());
      });
  result.state.push_back(scaledSum);
  auto newSum = linalg::GenericOp::create(
      rewriter, loc, TypeRange{step.sum.getType()},
      ValueRange{p.getResult(0)}, ValueRange{scaledSum.getResult(0)},
      SmallVector<AffineMap>{sRowKey, without(sumMap, {d, e})}, rowReduce,
      [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l, arith::AddFOp::create(b, l, args[0], args[1]).getResult());
      });
  result.rows.push_back(newSum);

  // acc = alpha * acc + p · V.
  SmallVector<utils::IteratorType> accIters(numBatch + 2, par);
  auto scaledAcc = linalg::GenericOp::create(
      rewriter, loc, TypeRange{step.acc.getType()},
      ValueRange{alpha.getResult(0)}, ValueRange{step.acc},
      SmallVector<AffineMap>{without(maxMap, {n, d}), without(accMap, {n, d})},
      accIters, [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l, arith::MulFOp::create(b, l, args[0], args[1]).getResult());
      });
  result.rows.push_back(scaledAcc);
  Value accValue;
  if (named) {
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, TypeRange{step.acc.getType()},
        ValueRange{p.getResult(0), step.value},
        ValueRange{scaledAcc.getResult(0)});
    result.pv = matmul;
    accValue = matmul.getResult(0);
  } else {
    SmallVector<utils::IteratorType> pvIters(numBatch + 3, par);
    pvIters[n] = red;
    auto pv = linalg::GenericOp::create(
        rewriter, loc, TypeRange{step.acc.getType()},
        ValueRange{p.getResult(0), step.value},
        ValueRange{scaledAcc.getResult(0)},
        SmallVector<AffineMap>{without(sMap, {d}), without(vMap, {d}),
                               without(accMap, {d})},
        pvIters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = convertFloat(b, l, args[1], t);
          Value product = arith::MulFOp::create(b, l, args[0], v);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[2], product).getResult());
        });
    result.pv = pv;
    accValue = pv.getResult(0);
  }
  return {accValue, max, newSum.getResult(0)};
}

/// `map` without its batch results, over (m, n, d, e) only.
AffineMap dropBatch(AffineMap map, unsigned numBatch) {
  SmallVector<AffineExpr> exprs;
  for (AffineExpr expr : map.getResults()) {
    unsigned dim = cast<AffineDimExpr>(expr).getPosition();
    if (dim >= numBatch)
      exprs.push_back(getAffineDimExpr(dim - numBatch, map.getContext()));
  }
  return AffineMap::get(4, 0, exprs, map.getContext());
}

/// Whether the step's batch dims are all 1 and, without them, every operand
/// is in the row-major layout of the named contractions: q (m, d), k (n, d)
/// or (d, n), v (n, e), mask (m, n), acc (m, e), max and sum (m). Then the
/// step is decomposed in 2-D (unit dims collapsed), with named matmuls.
bool flattens(tw::OnlineAttentionOp op, ArrayRef<Range> domain) {
  unsigned numBatch = op.getNumBatchDims();
  for (unsigned dim = 0; dim < numBatch; ++dim)
    if (!isOneInteger(domain[dim].size))
      return false;
  MLIRContext *ctx = op.getContext();
  auto dims = [&](std::initializer_list<unsigned> positions) {
    SmallVector<AffineExpr> exprs;
    for (unsigned p : positions)
      exprs.push_back(getAffineDimExpr(p, ctx));
    return AffineMap::get(4, 0, exprs, ctx);
  };
  SmallVector<AffineMap> expected = {dims({0, 2}), dims({1, 2}),
                                     dims({1, 3})};
  if (op.getMask())
    expected.push_back(dims({0, 1}));
  expected.append({dims({0, 3}), dims({0}), dims({0})});
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (unsigned index = 0, e = maps.size(); index < e; ++index) {
    AffineMap map = dropBatch(maps[index], numBatch);
    bool keyTransposed = index == 1 && map == dims({2, 1});
    if (map != expected[index] && !keyTransposed)
      return false;
  }
  return true;
}

/// Groups of `map`'s results that collapse its unit batch dims into their
/// neighbours: each non-batch result with the batch results before it, the
/// trailing batch results with the last group.
SmallVector<ReassociationIndices> unitBatchGroups(AffineMap map,
                                                  unsigned numBatch) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices current;
  for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
    current.push_back(pos);
    if (cast<AffineDimExpr>(expr).getPosition() >= numBatch) {
      groups.push_back(current);
      current.clear();
    }
  }
  if (!current.empty())
    groups.back().append(current.begin(), current.end());
  return groups;
}

/// `value` without its unit batch dims. A collapse_shape, not a
/// rank-reducing slice: the vectorizer folds a rank-reducing insert_slice
/// into a transfer_write as if the dropped dims were the leading ones.
Value rankReduced(OpBuilder &b, Location loc, Value value, AffineMap map,
                  unsigned numBatch) {
  return tensor::CollapseShapeOp::create(b, loc, value,
                                         unitBatchGroups(map, numBatch));
}

/// `value` (rank-reduced) with the unit batch dims of `like` again.
Value rankExpanded(OpBuilder &b, Location loc, Value value, Value like,
                   AffineMap map, unsigned numBatch) {
  return tensor::ExpandShapeOp::create(b, loc, like.getType(), value,
                                       unitBatchGroups(map, numBatch));
}

Decomposed decompose(RewriterBase &rewriter, tw::OnlineAttentionOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Range> domain = op.getIterationDomain(rewriter);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned numBatch = op.getNumBatchDims();
  OnlineStep step{op.getQuery(), op.getKey(), op.getValue(),
                  op.getMask(),  op.getDiagonal(), op.getAcc(),
                  op.getMax(),   op.getSum(), maps,
                  {},            numBatch, op.getScale().convertToFloat(),
                  op.getCausal(), false};
  for (const Range &range : domain)
    step.domain.push_back(range.size);
  Decomposed result;
  if (!flattens(op, domain)) {
    SmallVector<Value> values = decomposeStep(rewriter, loc, step, result);
    rewriter.replaceOp(op, values);
    return result;
  }
  // Unit batch dims (a tile of one head): decompose in 2-D.
  OnlineStep flat = step;
  flat.numBatch = 0;
  flat.named = true;
  if (numBatch == 0) {
    SmallVector<Value> values = decomposeStep(rewriter, loc, flat, result);
    rewriter.replaceOp(op, values);
    return result;
  }
  flat.domain.erase(flat.domain.begin(), flat.domain.begin() + numBatch);
  flat.maps.clear();
  for (AffineMap map : maps)
    flat.maps.push_back(dropBatch(map, numBatch));
  unsigned index = 0;
  for (Value *value : {&flat.query, &flat.key, &flat.value}) {
    *value = rankReduced(rewriter, loc, *value, maps[index], numBatch);
    ++index;
  }
  if (flat.mask)
    flat.mask = rankReduced(rewriter, loc, flat.mask, maps[index++], numBatch);
  for (Value *value : {&flat.acc, &flat.max, &flat.sum}) {
    *value = rankReduced(rewriter, loc, *value, maps[index], numBatch);
    ++index;
  }
  SmallVector<Value> values = decomposeStep(rewriter, loc, flat, result);
  unsigned firstInit = maps.size() - 3;
  SmallVector<Value> replacements;
  SmallVector<Value> inits = {op.getAcc(), op.getMax(), op.getSum()};
  for (auto [i, init] : llvm::enumerate(inits))
    replacements.push_back(rankExpanded(rewriter, loc, values[i], init,
                                        maps[firstInit + i], numBatch));
  rewriter.replaceOp(op, replacements);
  return result;
}
} // namespace

void tw::decomposeOnlineAttention(RewriterBase &rewriter,
                                  tw::OnlineAttentionOp op) {
  (void)decompose(rewriter, op);
}

DiagnosedSilenceableFailure transform::DecomposeAttentionOp::apply(
    transform::TransformRewriter &rewriter,
    transform::TransformResults &results, transform::TransformState &state) {
  SmallVector<Operation *> scores, pv, transposes, rows, rowState;
  auto targets = llvm::to_vector(state.getPayloadOps(getTarget()));
  for (Operation *target : targets)
    if (!isa<tw::OnlineAttentionOp>(target))
      return misuse(*this, target,
                    "expects tw.online_attention ops (convert tw.attention "
                    "with transform.tw.convert_to_online_attention first)");
  for (Operation *target : targets) {
    Decomposed parts =
        decompose(rewriter, cast<tw::OnlineAttentionOp>(target));
    scores.push_back(parts.scores);
    pv.push_back(parts.pv);
    transposes.append(parts.transposes);
    rows.append(parts.rows);
    rowState.append(parts.state);
  }
  results.set(cast<OpResult>(getScores()), scores);
  results.set(cast<OpResult>(getPv()), pv);
  results.set(cast<OpResult>(getTransposes()), transposes);
  results.set(cast<OpResult>(getRows()), rows);
  results.set(cast<OpResult>(getState()), rowState);
  return DiagnosedSilenceableFailure::success();
}

//===----------------------------------------------------------------------===//
// SkipInvisibleKeysOp
//===----------------------------------------------------------------------===//

void transform::SkipInvisibleKeysOp::getEffects(
    SmallVectorImpl<MemoryEffects::EffectInstance> &effects) {
  onlyReadsHandle(getLoopMutable(), effects);
  modifiesPayload(effects);
}

DiagnosedSilenceableFailure
transform::SkipInvisibleKeysOp::apply(transform::TransformRewriter &rewriter,
                                      transform::TransformResults &results,
                                      transform::TransformState &state) {
  for (Operation *payload : state.getPayloadOps(getLoop())) {
    auto loop = dyn_cast<scf::ForOp>(payload);
    if (!loop)
      return misuse(*this, payload, "expects scf.for loops over key blocks");
    if (!isZeroInteger(getAsOpFoldResult(loop.getLowerBound())))
      return misuse(*this, payload, "expects a key loop from 0");
    Value iv = loop.getInductionVar();
    tw::OnlineAttentionOp online;
    for (Operation &op : loop.getBody()->without_terminator()) {
      auto candidate = dyn_cast<tw::OnlineAttentionOp>(op);
      if (!candidate || !candidate.getCausal())
        continue;
      // The keys must be the loop's block: sliced at the induction variable
      // along n, so the diagonal moves by -iv per block (as tiling makes it).
      auto keys = candidate.getKey().getDefiningOp<tensor::ExtractSliceOp>();
      if (!keys)
        continue;
      unsigned nDim = candidate.getNumBatchDims() + 1;
      AffineMap kMap = candidate.getIndexingMapsArray()[1];
      unsigned nPos =
          *kMap.getResultPosition(getAffineDimExpr(nDim, getContext()));
      if (getValueOrCreateConstantIndexOp(rewriter, loop.getLoc(),
                                          keys.getMixedOffsets()[nPos]) != iv)
        continue;
      online = candidate;
      break;
    }
    if (!online)
      return misuse(*this, payload,
                    "expects a causal tw.online_attention in the loop body "
                    "whose keys are sliced at the induction variable");
    // limit(iv) = diagonal(iv) + rows: the block at iv is visible iff
    // iv < limit(0) (diagonal(iv) = diagonal(0) - iv).
    Location loc = online.getLoc();
    rewriter.setInsertionPoint(online);
    unsigned mDim = online.getNumBatchDims();
    AffineMap qMap = online.getIndexingMapsArray()[0];
    unsigned mPos =
        *qMap.getResultPosition(getAffineDimExpr(mDim, getContext()));
    Value rows = getValueOrCreateConstantIndexOp(
        rewriter, loc,
        tensor::getMixedSize(rewriter, loc, online.getQuery(), mPos));
    Value diagonal = online.getDiagonal()
                         ? online.getDiagonal()
                         : Value(arith::ConstantIndexOp::create(rewriter, loc,
                                                                0));
    Value limit = arith::AddIOp::create(rewriter, loc, diagonal, rows);
    // Clone limit's computation before the loop with iv = 0.
    BackwardSliceOptions options;
    options.omitBlockArguments = true;
    options.filter = [&](Operation *op) {
      return loop->isProperAncestor(op);
    };
    SetVector<Operation *> slice;
    if (failed(getBackwardSlice(limit, &slice, options)) ||
        !llvm::all_of(slice, [](Operation *op) { return isPure(op); })) {
      rewriter.eraseOp(limit.getDefiningOp());
      return misuse(*this, online,
                    "the causal limit depends on impure ops in the loop");
    }
    rewriter.setInsertionPoint(loop);
    IRMapping mapping;
    mapping.map(iv, loop.getLowerBound());
    for (Operation *op : slice)
      rewriter.clone(*op, mapping);
    Value hoisted = rewriter.clone(*limit.getDefiningOp(), mapping)->getResult(0);
    rewriter.eraseOp(limit.getDefiningOp());
    Value bound =
        arith::MinSIOp::create(rewriter, loop.getLoc(), loop.getUpperBound(),
                               hoisted);
    rewriter.modifyOpInPlace(loop,
                             [&] { loop.getUpperBoundMutable().assign(bound); });
  }
  return DiagnosedSilenceableFailure::success();
}
