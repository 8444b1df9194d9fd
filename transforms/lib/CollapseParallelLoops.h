//===- CollapseParallelLoops.h - tw-collapse-parallel-loops -----*- C++ -*-===//

#ifndef TILEWRIGHT_TRANSFORMS_COLLAPSEPARALLELLOOPS_H
#define TILEWRIGHT_TRANSFORMS_COLLAPSEPARALLELLOOPS_H

namespace mlir::tw {
/// Registers `tw-collapse-parallel-loops` with MLIR's global pass registry.
void registerCollapseParallelLoopsPass();
} // namespace mlir::tw

#endif // TILEWRIGHT_TRANSFORMS_COLLAPSEPARALLELLOOPS_H
