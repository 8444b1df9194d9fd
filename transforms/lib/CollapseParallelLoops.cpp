//===- CollapseParallelLoops.cpp - multi-dim scf.parallel -> 1-D ----------===//
//
// `tw-collapse-parallel-loops` turns every scf.parallel with several induction
// variables into one over their product (the indices recovered by div/rem),
// through upstream's collapseParallelLoops.
//
// Why: upstream's async-parallel-for (MLIR 22.1.8), which tilewright uses for
// several threads, runs some iterations of multi-dimensional loops several
// times (e.g. 19x2 on two workers: 28 of 38 iterations run 4 times), which
// gives wrong results for accumulating bodies and wastes time. One-dimensional
// loops are split correctly, so the CPU lowering collapses first.
//
//===----------------------------------------------------------------------===//

#include "transforms/lib/CollapseParallelLoops.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include <numeric>

using namespace mlir;

namespace {
struct CollapseParallelLoopsPass
    : public PassWrapper<CollapseParallelLoopsPass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CollapseParallelLoopsPass)

  StringRef getArgument() const final { return "tw-collapse-parallel-loops"; }
  StringRef getDescription() const final {
    return "Collapse each multi-dimensional scf.parallel into one dimension";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<affine::AffineDialect, arith::ArithDialect,
                    scf::SCFDialect>();
  }

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk([&](scf::ParallelOp loop) {
      // Reductions keep their shape: collapsing does not rewrite scf.reduce.
      if (loop.getNumLoops() > 1 && loop.getInitVals().empty())
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : loops) {
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0u);
      rewriter.setInsertionPoint(loop);
      collapseParallelLoops(rewriter, loop, {all});
    }
  }
};
} // namespace

void mlir::tw::registerCollapseParallelLoopsPass() {
  PassRegistration<CollapseParallelLoopsPass>();
}
