"""``tw-wgmma``: the matmuls the warpgroup-MMA schedule marked (:mod:`tilewright.schedule.nvvm.wgmma`)
become Hopper's ``wgmma.mma_async``, by the extension's ``transform.tw.rewrite_matmul_as_wgmma``.

It runs right after ``tw-gpu-map``: the op wants each matmul on memrefs inside a ``gpu.launch``
that one warpgroup (128 threads) runs, which only the mapping makes, and before
``convert-linalg-to-loops`` would turn the matmuls into loops. Launches without marked matmuls are
untouched (the pass applies nothing when there is none).
"""

from __future__ import annotations

from mlir import ir

from tilewright.mlir_env import find_ops
from tilewright.schedule.nvvm.wgmma import WGMMA_MARK


def marked_matmuls(module: ir.Operation) -> list[ir.Operation]:
    """The ``linalg.matmul`` ops carrying :data:`WGMMA_MARK`."""
    return [op for op in find_ops(module, "linalg.matmul") if WGMMA_MARK in op.attributes]


def wgmma_pass(op: ir.Operation, pass_: object) -> None:
    """Apply ``rewrite_matmul_as_wgmma`` to every marked matmul (a failure names the op)."""
    from tilewright.schedule import Schedule
    from tilewright.schedule.apply import apply_script
    from tilewright.schedule.context import build_in

    if not marked_matmuls(op):
        return
    with build_in(op.context):
        s = Schedule("<wgmma matmuls>", context=op.context)
        s.match("linalg.matmul", attrs={WGMMA_MARK: "unit"}).rewrite_matmul_as_wgmma()
    apply_script(op, s.module, op.context, "<wgmma matmuls>")
