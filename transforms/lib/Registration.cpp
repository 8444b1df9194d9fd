//===- Registration.cpp - everything the extension registers --------------===//

#include "transforms/lib/Registration.h"

#include "dialects/transform/TwTransformOps.h"
#include "dialects/tw/TwDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "transforms/lib/CollapseParallelLoops.h"
#include "transforms/lib/DecomposeAttention.h"
#include "transforms/lib/MathApproximation.h"
#include "transforms/lib/RaiseAttention.h"

void mlir::tw::registerDialects(DialectRegistry &registry) {
  registry.insert<TwDialect>();
  registerTransformDialectExtension(registry);
}

void mlir::tw::registerPasses() {
  static bool registered = false;
  if (registered)
    return;
  registered = true;
  registerMathApproximationPass();
  registerRaiseAttentionPass();
  registerDecomposeAttentionPass();
  registerCollapseParallelLoopsPass();
}
