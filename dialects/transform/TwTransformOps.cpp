//===- TwTransformOps.cpp - transform.tw.* ops ----------------------------===//
//
// The extension's registration and the ops that only reuse upstream C++
// (consumer fusion). The attention ops live in TwAttentionTransformOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/transform/TwTransformOps.h"

#include "dialects/tw/TwDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

using namespace mlir;

//===----------------------------------------------------------------------===//
// FuseConsumerOp
//===----------------------------------------------------------------------===//

LogicalResult transform::FuseConsumerOp::verify() {
  if (getLoops().empty())
    return emitOpError("needs at least one loop to fuse into");
  if (getNewLoops().size() != getLoops().size())
    return emitOpError("returns one new loop handle per loop handle: ")
           << getLoops().size() << " loops but " << getNewLoops().size()
           << " results";
  return success();
}

void transform::FuseConsumerOp::getEffects(
    SmallVectorImpl<MemoryEffects::EffectInstance> &effects) {
  consumesHandle(getConsumerMutable(), effects);
  // The loops are rebuilt through the rewriter, whose listener moves their
  // handles to the new loops; consuming nested loop handles would invalidate
  // the inner ones before they are read.
  onlyReadsHandle(getLoopsMutable(), effects);
  producesHandle(getOperation()->getOpResults(), effects);
  modifiesPayload(effects);
}

DiagnosedSilenceableFailure
transform::FuseConsumerOp::apply(transform::TransformRewriter &rewriter,
                                 transform::TransformResults &results,
                                 transform::TransformState &state) {
  auto consumers = llvm::to_vector(state.getPayloadOps(getConsumer()));
  if (consumers.size() != 1)
    return emitSilenceableError()
           << "expects one consumer op, the handle holds " << consumers.size();
  Operation *consumer = consumers.front();

  SmallVector<LoopLikeOpInterface> loops;
  for (Value handle : getLoops()) {
    auto ops = llvm::to_vector(state.getPayloadOps(handle));
    if (ops.size() != 1)
      return emitSilenceableError()
             << "expects one loop per handle, a handle holds " << ops.size();
    auto loop = dyn_cast<LoopLikeOpInterface>(ops.front());
    if (!loop || !isa<scf::ForOp, scf::ForallOp>(ops.front())) {
      DiagnosedSilenceableFailure diag =
          emitSilenceableError() << "expects scf.for or scf.forall loops";
      diag.attachNote(ops.front()->getLoc()) << "payload op: "
                                             << ops.front()->getName();
      return diag;
    }
    loops.push_back(loop);
  }

  // Upstream asserts on a consumer that does not read the nest: check first.
  Operation *outermost = loops.front().getOperation();
  bool readsNest = llvm::any_of(consumer->getOperands(), [&](Value v) {
    return v.getDefiningOp() == outermost;
  });
  if (!readsNest) {
    DiagnosedSilenceableFailure diag =
        emitSilenceableError()
        << "the consumer does not use a result of the outermost loop";
    diag.attachNote(consumer->getLoc()) << "consumer: " << consumer->getName();
    return diag;
  }
  if (!isa<TilingInterface>(consumer)) {
    DiagnosedSilenceableFailure diag =
        emitSilenceableError() << "the consumer does not implement TilingInterface";
    diag.attachNote(consumer->getLoc()) << "consumer: " << consumer->getName();
    return diag;
  }

  rewriter.setInsertionPoint(consumer);
  FailureOr<scf::SCFFuseConsumerOfSliceResult> fused =
      scf::tileAndFuseConsumer(rewriter, consumer, loops);
  if (failed(fused) || fused->tiledOps.empty()) {
    DiagnosedSilenceableFailure diag =
        emitSilenceableError()
        << "could not tile the consumer along the nest's slices";
    diag.attachNote(consumer->getLoc()) << "consumer: " << consumer->getName();
    return diag;
  }
  // Upstream redirects the consumer's uses to the nest but leaves the op.
  if (consumer->use_empty())
    rewriter.eraseOp(consumer);
  results.set(cast<OpResult>(getFusedConsumer()), fused->tiledOps);
  for (auto [handle, loop] : llvm::zip_equal(getNewLoops(), loops))
    results.set(cast<OpResult>(handle), {loop.getOperation()});
  return DiagnosedSilenceableFailure::success();
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

namespace {
class TwTransformDialectExtension
    : public transform::TransformDialectExtension<TwTransformDialectExtension> {
public:
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TwTransformDialectExtension)

  TwTransformDialectExtension() {
    declareGeneratedDialect<tw::TwDialect>();
    declareGeneratedDialect<scf::SCFDialect>();
    declareGeneratedDialect<tensor::TensorDialect>();
    // What rewrite_matmul_as_wgmma emits.
    declareGeneratedDialect<arith::ArithDialect>();
    declareGeneratedDialect<gpu::GPUDialect>();
    declareGeneratedDialect<LLVM::LLVMDialect>();
    declareGeneratedDialect<memref::MemRefDialect>();
    declareGeneratedDialect<NVVM::NVVMDialect>();
    registerTransformOps<
#define GET_OP_LIST
#include "dialects/transform/TwTransformOps.cpp.inc"
        >();
  }
};
} // namespace

#define GET_OP_CLASSES
#include "dialects/transform/TwTransformOps.cpp.inc"

void mlir::tw::registerTransformDialectExtension(DialectRegistry &registry) {
  registry.addExtensions<TwTransformDialectExtension>();
}
