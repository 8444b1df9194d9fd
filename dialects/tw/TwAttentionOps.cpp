//===- TwAttentionOps.cpp - tw.attention and tw.online_attention ----------===//
//
// Verifiers and TilingInterface of the two attention ops. Both share one
// iteration domain (batch dims..., m, n, d, e) and differ only in their
// destinations: tw.attention writes the output, tw.online_attention updates
// the running (acc, max, sum) state, which is what makes its key dim n an
// ordinary tileable reduction.
//
//===----------------------------------------------------------------------===//

#include "dialects/tw/TwDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tw;

//===----------------------------------------------------------------------===//
// Operand roles
//===----------------------------------------------------------------------===//

namespace {
/// Which of the four named dims an operand's map must and must not hold,
/// and whether it must hold every batch dim (destinations do: they are the
/// result's shape; inputs may broadcast over batch dims, e.g. GQA's K/V).
struct OperandRole {
  StringRef name;
  unsigned required; // bit i: named dim i (m, n, d, e) must appear
  bool allBatch;
};

constexpr unsigned kM = 1, kN = 2, kD = 4, kE = 8;
constexpr StringRef kDimNames[] = {"m", "n", "d", "e"};

/// The shaped operands of an attention op, in map order, with their roles.
template <typename OpTy>
SmallVector<std::pair<OperandRole, Value>> shapedOperands(OpTy op);

/// Q, K, V and the optional mask: the inputs both ops share, in map order.
template <typename OpTy>
SmallVector<std::pair<OperandRole, Value>> inputOperands(OpTy op) {
  SmallVector<std::pair<OperandRole, Value>> result = {
      {{"query", kM | kD, false}, op.getQuery()},
      {{"key", kN | kD, false}, op.getKey()},
      {{"value", kN | kE, false}, op.getValue()}};
  if (op.getMask())
    result.push_back({{"mask", kM | kN, false}, op.getMask()});
  return result;
}

template <>
SmallVector<std::pair<OperandRole, Value>> shapedOperands(AttentionOp op) {
  SmallVector<std::pair<OperandRole, Value>> result = inputOperands(op);
  result.push_back({{"output", kM | kE, true}, op.getOutput()});
  return result;
}

template <>
SmallVector<std::pair<OperandRole, Value>> shapedOperands(OnlineAttentionOp op) {
  SmallVector<std::pair<OperandRole, Value>> result = inputOperands(op);
  result.push_back({{"acc", kM | kE, true}, op.getAcc()});
  result.push_back({{"max", kM, true}, op.getMax()});
  result.push_back({{"sum", kM, true}, op.getSum()});
  return result;
}

template <typename OpTy>
LogicalResult verifyAttentionLike(OpTy op) {
  auto operands = shapedOperands(op);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps.size() != operands.size())
    return op.emitOpError("expects ")
           << operands.size() << " indexing maps (one per shaped operand), got "
           << maps.size();
  unsigned numDims = maps.front().getNumDims();
  if (numDims < 4)
    return op.emitOpError("expects an iteration domain of at least 4 dims "
                          "(batch..., m, n, d, e), got ")
           << numDims;
  unsigned numBatch = numDims - 4;
  SmallVector<std::optional<int64_t>> dimSizes(numDims);
  SmallVector<StringRef> dimSource(numDims);
  for (auto [index, entry] : llvm::enumerate(operands)) {
    auto [role, value] = entry;
    AffineMap map = maps[index];
    auto type = cast<RankedTensorType>(value.getType());
    if (map.getNumDims() != numDims || map.getNumSymbols() != 0)
      return op.emitOpError("indexing map of '")
             << role.name << "' must have " << numDims
             << " dims and no symbols, like the query's";
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return op.emitOpError("indexing map of '")
             << role.name << "' must be a projected permutation";
    if (map.getNumResults() != type.getRank())
      return op.emitOpError("'")
             << role.name << "' has rank " << type.getRank()
             << " but its indexing map has " << map.getNumResults()
             << " results";
    unsigned present = 0;
    SmallVector<bool> batchSeen(numBatch, false);
    for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      if (dim < numBatch)
        batchSeen[dim] = true;
      else
        present |= 1u << (dim - numBatch);
      int64_t size = type.getDimSize(pos);
      if (ShapedType::isDynamic(size))
        continue;
      if (dimSizes[dim] && *dimSizes[dim] != size) {
        InFlightDiagnostic diag = op.emitOpError("domain dim ");
        if (dim < numBatch)
          diag << dim << " (batch)";
        else
          diag << dim << " (" << kDimNames[dim - numBatch] << ")";
        return diag << " has size " << *dimSizes[dim] << " in '"
                    << dimSource[dim] << "' but " << size << " in '"
                    << role.name << "'";
      }
      dimSizes[dim] = size;
      dimSource[dim] = role.name;
    }
    if (present != role.required) {
      InFlightDiagnostic diag = op.emitOpError("indexing map of '")
                                << role.name << "' must index exactly the dims";
      for (unsigned i = 0; i < 4; ++i)
        if (role.required & (1u << i))
          diag << " " << kDimNames[i];
      return diag << " of (m, n, d, e) besides batch dims";
    }
    if (role.allBatch && llvm::is_contained(batchSeen, false))
      return op.emitOpError("indexing map of '")
             << role.name << "' must index every batch dim";
    Type element = type.getElementType();
    if (role.name == "mask") {
      if (!element.isInteger(1) && !isa<FloatType>(element))
        return op.emitOpError("'mask' must hold i1 (keep where true) or "
                              "floats (an additive bias), got ")
               << element;
    } else if (!isa<FloatType>(element)) {
      return op.emitOpError("'") << role.name << "' must hold floats, got "
                                 << element;
    }
  }
  if (op.getDiagonal() && !op.getCausal())
    return op.emitOpError("a diagonal offset needs 'causal'");
  for (auto [init, result] :
       llvm::zip_equal(op.getDpsInits(), op->getResults()))
    if (init.getType() != result.getType())
      return op.emitOpError("result type ")
             << result.getType() << " differs from its destination's "
             << init.getType();
  return success();
}
} // namespace

LogicalResult AttentionOp::verify() { return verifyAttentionLike(*this); }

LogicalResult OnlineAttentionOp::verify() {
  if (failed(verifyAttentionLike(*this)))
    return failure();
  if (getMax().getType().getElementType() !=
          getAcc().getType().getElementType() ||
      getSum().getType().getElementType() !=
          getAcc().getType().getElementType())
    return emitOpError("'acc', 'max' and 'sum' must share an element type");
  return success();
}

MutableOperandRange AttentionOp::getDpsInitsMutable() {
  return getOutputMutable();
}

MutableOperandRange OnlineAttentionOp::getDpsInitsMutable() {
  // acc, max and sum are the last three operands.
  return MutableOperandRange(getOperation(), getNumOperands() - 3, 3);
}

//===----------------------------------------------------------------------===//
// TilingInterface
//===----------------------------------------------------------------------===//

namespace {
template <typename OpTy>
SmallVector<Range> iterationDomain(OpTy op, OpBuilder &b) {
  Location loc = op.getLoc();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto operands = shapedOperands(op);
  unsigned numDims = maps.front().getNumDims();
  SmallVector<Range> domain(numDims);
  SmallVector<bool> found(numDims, false);
  // Every dim is indexed by some operand (the verifier guarantees it: batch
  // dims by the destinations, m/n/d/e by their roles).
  for (auto [index, entry] : llvm::enumerate(operands)) {
    for (auto [pos, expr] : llvm::enumerate(maps[index].getResults())) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      if (found[dim])
        continue;
      found[dim] = true;
      domain[dim] = Range{b.getIndexAttr(0),
                          tensor::getMixedSize(b, loc, entry.second, pos),
                          b.getIndexAttr(1)};
    }
  }
  return domain;
}

SmallVector<utils::IteratorType> iteratorTypes(unsigned numBatch) {
  SmallVector<utils::IteratorType> types(numBatch + 4,
                                         utils::IteratorType::parallel);
  types[numBatch + 1] = utils::IteratorType::reduction; // n
  types[numBatch + 2] = utils::IteratorType::reduction; // d
  return types;
}

/// Whether [offset, offset + size) is the whole range.
bool isWhole(OpFoldResult offset, OpFoldResult size, const Range &range) {
  return isZeroInteger(offset) && isEqualConstantIntOrValue(size, range.size);
}

/// The tile of `op` over [offsets, offsets + sizes) of its domain: slices of
/// every shaped operand, the causal diagonal moved by the tile's corner, and
/// the same op on them.
template <typename OpTy>
FailureOr<TilingResult> tileAttention(OpTy op, OpBuilder &b,
                                      ArrayRef<OpFoldResult> offsets,
                                      ArrayRef<OpFoldResult> sizes,
                                      bool keysTileable) {
  Location loc = op.getLoc();
  unsigned numBatch = op.getNumBatchDims();
  unsigned m = numBatch, n = numBatch + 1, d = numBatch + 2;
  SmallVector<Range> domain = iterationDomain(op, b);
  // The softmax of tw.attention needs every key, and every op the whole
  // head dim: refuse partial tiles of them rather than compute wrong values.
  if (!isWhole(offsets[d], sizes[d], domain[d]))
  {
    op.emitOpError("cannot tile the head dim d (a reduction inside each "
                   "score)");
    return failure();
  }
  if (!keysTileable && !isWhole(offsets[n], sizes[n], domain[n]))
  {
    op.emitOpError("cannot tile the key dim n: its softmax needs every key "
                   "(convert it to tw.online_attention)");
    return failure();
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto operands = shapedOperands(op);
  SmallVector<Value> slices;
  SmallVector<Operation *> generated;
  SmallVector<Type> resultTypes;
  for (auto [index, entry] : llvm::enumerate(operands)) {
    SmallVector<OpFoldResult> sliceOffsets, sliceSizes;
    for (AffineExpr expr : maps[index].getResults()) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      sliceOffsets.push_back(offsets[dim]);
      sliceSizes.push_back(sizes[dim]);
    }
    SmallVector<OpFoldResult> strides(sliceOffsets.size(), b.getIndexAttr(1));
    auto slice = tensor::ExtractSliceOp::create(b, loc, entry.second,
                                                sliceOffsets, sliceSizes,
                                                strides);
    slices.push_back(slice);
    generated.push_back(slice);
  }
  Value diagonal;
  if (op.getCausal()) {
    // Key j of the tile is key offsets[n] + j, query i is offsets[m] + i:
    // n <= m + diag becomes j <= i + diag + offsets[m] - offsets[n].
    AffineExpr d0, d1, d2;
    bindDims(b.getContext(), d0, d1, d2);
    OpFoldResult oldDiagonal =
        op.getDiagonal() ? OpFoldResult(op.getDiagonal()) : b.getIndexAttr(0);
    OpFoldResult moved = affine::makeComposedFoldedAffineApply(
        b, loc, d0 + d1 - d2, {oldDiagonal, offsets[m], offsets[n]});
    diagonal = getValueOrCreateConstantIndexOp(b, loc, moved);
  }
  Value mask = op.getMask() ? slices[3] : Value();
  unsigned numInputs = op.getMask() ? 4 : 3;
  Operation *tiled;
  if constexpr (std::is_same_v<OpTy, AttentionOp>) {
    tiled = AttentionOp::create(b, loc, slices.back().getType(), slices[0],
                                slices[1], slices[2], mask, diagonal,
                                slices.back(), op.getScaleAttr(),
                                op.getCausalAttr(), op.getIndexingMaps());
  } else {
    ValueRange outs = ValueRange(slices).drop_front(numInputs);
    tiled = OnlineAttentionOp::create(
        b, loc, TypeRange(outs), slices[0], slices[1], slices[2], mask,
        diagonal, outs[0], outs[1], outs[2], op.getScaleAttr(),
        op.getCausalAttr(), op.getIndexingMaps());
  }
  return TilingResult{{tiled}, SmallVector<Value>(tiled->getResults()),
                      generated};
}

/// The result tile's offsets and sizes: the destination's map applied to the
/// domain tile.
template <typename OpTy>
void resultTilePosition(OpTy op, unsigned resultNumber,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap map = maps[maps.size() - op.getNumDpsInits() + resultNumber];
  resultOffsets.clear();
  resultSizes.clear();
  for (AffineExpr expr : map.getResults()) {
    unsigned dim = cast<AffineDimExpr>(expr).getPosition();
    resultOffsets.push_back(offsets[dim]);
    resultSizes.push_back(sizes[dim]);
  }
}

/// The domain tile that computes a result tile: the result's dims from the
/// tile, every other dim whole.
template <typename OpTy>
void domainTileOfResult(OpTy op, OpBuilder &b, unsigned resultNumber,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVectorImpl<OpFoldResult> &domainOffsets,
                        SmallVectorImpl<OpFoldResult> &domainSizes) {
  SmallVector<Range> domain = iterationDomain(op, b);
  domainOffsets.clear();
  domainSizes.clear();
  for (const Range &range : domain) {
    domainOffsets.push_back(range.offset);
    domainSizes.push_back(range.size);
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap map = maps[maps.size() - op.getNumDpsInits() + resultNumber];
  for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
    unsigned dim = cast<AffineDimExpr>(expr).getPosition();
    domainOffsets[dim] = offsets[pos];
    domainSizes[dim] = sizes[pos];
  }
}
} // namespace

#define TW_ATTENTION_TILING(OP, KEYS_TILEABLE)                                 \
  SmallVector<utils::IteratorType> OP::getLoopIteratorTypes() {                \
    return iteratorTypes(getNumBatchDims());                                   \
  }                                                                            \
  SmallVector<Range> OP::getIterationDomain(OpBuilder &b) {                    \
    return iterationDomain(*this, b);                                          \
  }                                                                            \
  FailureOr<TilingResult> OP::getTiledImplementation(                          \
      OpBuilder &b, ArrayRef<OpFoldResult> offsets,                            \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return tileAttention(*this, b, offsets, sizes, KEYS_TILEABLE);             \
  }                                                                            \
  LogicalResult OP::getResultTilePosition(                                     \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,  \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    resultTilePosition(*this, resultNumber, offsets, sizes, resultOffsets,     \
                       resultSizes);                                           \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::getIterationDomainTileFromResultTile(                      \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes,                                            \
      SmallVectorImpl<OpFoldResult> &domainOffsets,                            \
      SmallVectorImpl<OpFoldResult> &domainSizes) {                            \
    domainTileOfResult(*this, b, resultNumber, offsets, sizes, domainOffsets,  \
                       domainSizes);                                           \
    return success();                                                          \
  }                                                                            \
  FailureOr<TilingResult> OP::generateResultTileValue(                         \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes) {                                          \
    SmallVector<OpFoldResult> domainOffsets, domainSizes;                      \
    domainTileOfResult(*this, b, resultNumber, offsets, sizes, domainOffsets,  \
                       domainSizes);                                           \
    return tileAttention(*this, b, domainOffsets, domainSizes,                 \
                         KEYS_TILEABLE);                                       \
  }

// tw.attention takes its keys whole (softmax); the online form tiles them.
TW_ATTENTION_TILING(AttentionOp, false)
TW_ATTENTION_TILING(OnlineAttentionOp, true)
