//===- TwRaiseAttention.cpp - transform.tw.raise_attention ----------------===//
//
// The transform op over the matcher the tw-raise-attention pass uses
// (transforms/lib/RaiseAttention.cpp): a target that does not end an
// attention chain is a silenceable failure naming it and the reason.
//
//===----------------------------------------------------------------------===//

#include "dialects/transform/TwTransformOps.h"
#include "transforms/lib/RaiseAttention.h"

using namespace mlir;

DiagnosedSilenceableFailure transform::RaiseAttentionOp::applyToOne(
    transform::TransformRewriter &rewriter, Operation *target,
    transform::ApplyToEachResultList &results,
    transform::TransformState &state) {
  std::string whyNot;
  Operation *attention = tw::raiseAttention(rewriter, target, whyNot);
  if (!attention) {
    DiagnosedSilenceableFailure diag =
        emitSilenceableError() << "cannot raise the attention: " << whyNot;
    diag.attachNote(target->getLoc()) << "target: " << target->getName();
    return diag;
  }
  results.push_back(attention);
  return DiagnosedSilenceableFailure::success();
}
