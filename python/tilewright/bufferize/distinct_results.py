"""Every result gets its own buffer: a value returned twice is copied for the second result.

After bufferization each result becomes an out-parameter, and
``buffer-results-to-out-params{hoist-static-allocs}`` replaces a result's
allocation by its out-parameter. If one allocation is returned twice (CSE
merges ``(abs(x), abs(x))``, or a program returns the same value twice), that
rewrite crashes (SIGSEGV in MLIR 22). So, on tensors, before bufferization: the
second and later occurrences of a returned value become
``bufferization.alloc_tensor() copy(%v)``, which bufferizes to a fresh
allocation plus a copy and is not merged again by CSE (it allocates).
"""

from __future__ import annotations

from mlir import ir


def distinct_results(module: ir.Operation) -> None:
    """Copy repeated tensor operands of ``func.return`` in every function of ``module``."""
    from mlir.dialects import bufferization

    for op in module.regions[0].blocks[0].operations:
        func = op.operation
        if func.name != "func.func" or not func.regions[0].blocks:
            continue
        for block in func.regions[0].blocks:
            ret = block.operations[len(block.operations) - 1] if len(block.operations) else None
            if ret is None or ret.operation.name != "func.return":
                continue
            seen: set[ir.Value] = set()
            for i, value in enumerate(list(ret.operation.operands)):
                if not isinstance(value.type, ir.RankedTensorType):
                    continue
                if value in seen:
                    with ir.InsertionPoint(ret), ret.location:
                        dynamic_sizes = []
                        if not value.type.has_static_shape:
                            continue  # dynamic shapes never reach bufferization here
                        copy = bufferization.AllocTensorOp(value.type, dynamic_sizes, copy=value).result
                    ret.operation.operands[i] = copy
                else:
                    seen.add(value)


def distinct_results_pass(op: ir.Operation, pass_: object) -> None:
    """``PassManager.add`` entry point."""
    with op.context, op.location:
        distinct_results(op)
