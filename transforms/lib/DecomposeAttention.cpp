//===- DecomposeAttention.cpp - tw.attention -> linalg, unscheduled -------===//
//
// `tw-decompose-attention` lowers every tw.attention (and tw.online_attention)
// that a schedule left to linalg: the online form over all keys at once, then
// its decomposition. Correct at any size but with a seq x seq scores tensor:
// the path for `--schedule none` and schedules that do not know the op, so
// that no tw op reaches bufferization, which it has no interface for.
//
//===----------------------------------------------------------------------===//

#include "transforms/lib/DecomposeAttention.h"

#include "dialects/transform/TwTransformOps.h"
#include "dialects/tw/TwDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace {
struct DecomposeAttentionPass
    : public PassWrapper<DecomposeAttentionPass,
                         InterfacePass<FunctionOpInterface>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DecomposeAttentionPass)

  StringRef getArgument() const final { return "tw-decompose-attention"; }
  StringRef getDescription() const final {
    return "Lower tw.attention and tw.online_attention to linalg (unscheduled)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, linalg::LinalgDialect,
                    math::MathDialect, tensor::TensorDialect>();
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<tw::AttentionOp> attentions;
    getOperation()->walk([&](tw::AttentionOp op) { attentions.push_back(op); });
    for (tw::AttentionOp op : attentions)
      (void)tw::convertToOnlineAttention(rewriter, op);
    SmallVector<tw::OnlineAttentionOp> online;
    getOperation()->walk(
        [&](tw::OnlineAttentionOp op) { online.push_back(op); });
    for (tw::OnlineAttentionOp op : online)
      tw::decomposeOnlineAttention(rewriter, op);
  }
};
} // namespace

void mlir::tw::registerDecomposeAttentionPass() {
  PassRegistration<DecomposeAttentionPass>();
}
