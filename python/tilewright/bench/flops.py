"""Floating-point operation counts of a program, read from its linalg ops.

Only contractions (matmul, batch_matmul, generic contractions) and
convolutions are counted: each performs one multiply and one add per point of
its iteration space, so its count is ``2 * product(loop ranges)``. Elementwise
ops, reductions and softmax are left out on purpose (their cost is memory, not
arithmetic), which is the usual convention for GFLOP/s figures: a program
without contractions or convolutions has no known count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlir import ir

from tilewright.schedule.info import LinalgOpInfo, ModuleInfo


@dataclass(frozen=True)
class OpFlops:
    """One counted op: its name, kind (``contraction``/``convolution``), loop ranges and flop count."""

    name: str
    kind: str
    loop_ranges: tuple[int, ...]
    flops: int

    def as_json(self) -> dict[str, object]:
        return {"op": self.name, "kind": self.kind, "loop_ranges": list(self.loop_ranges), "flops": self.flops}


@dataclass(frozen=True)
class FlopCount:
    """The counted ops of a program; ``total`` is ``None`` when nothing could be counted."""

    ops: tuple[OpFlops, ...]
    uncounted: tuple[str, ...]  # contractions/convolutions whose loop ranges are not all static

    @property
    def total(self) -> int | None:
        if not self.ops or self.uncounted:
            return None
        return sum(op.flops for op in self.ops)


def _is_convolution(op: ir.Operation) -> bool:
    import mlir.dialects.linalg as linalg

    try:
        return bool(linalg.isa_convolution_op(op))
    except Exception:  # noqa: BLE001 - ops without the structured interface are not convolutions
        return False


def _kind(info: LinalgOpInfo, op: ir.Operation) -> str | None:
    if info.is_contraction:
        return "contraction"
    if "pool" in info.name:  # pooling windows look like convolutions but multiply nothing
        return None
    if info.name.startswith(("linalg.conv_", "linalg.depthwise_conv_")) or _is_convolution(op):
        return "convolution"
    return None


def count_flops(module: ir.Module) -> FlopCount:
    """Count the flops of the linalg ops of ``module`` (linalg on tensors, not modified)."""
    from tilewright.schedule.info import linalg_ops

    info = ModuleInfo.from_module(module)
    with module.context:
        operations = [op for op, _ in linalg_ops(module)]
    counted: list[OpFlops] = []
    uncounted: list[str] = []
    for op_info, op in zip(info.ops, operations, strict=True):
        kind = _kind(op_info, op)
        if kind is None:
            continue
        ranges = op_info.loop_ranges
        if not ranges or any(r is None for r in ranges):
            uncounted.append(op_info.name)
            continue
        static = tuple(int(r) for r in ranges if r is not None)
        counted.append(OpFlops(op_info.name, kind, static, 2 * math.prod(static)))
    return FlopCount(tuple(counted), tuple(uncounted))
