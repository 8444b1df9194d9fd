"""tilewright's own lowerings of the StableHLO ops upstream leaves behind.

``stablehlo-legalize-to-linalg`` does not lower every op (``scatter``,
``sort``, ``while``, ``reduce_window``, ...). Each module here rewrites one
such op, in jaxlib's MLIR, into ops that legalization or upstream MLIR
handles (scf/tensor/linalg, or simpler StableHLO). They run between CHLO
legalization and ``stablehlo-legalize-to-linalg``.

``LOWERINGS`` maps an op name to a function ``(op) -> None`` that replaces
the op in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LOWERINGS: dict[str, Callable[[Any], None]] = {}


def lower_unsupported_ops(module: Any) -> None:
    """Apply every registered lowering to the ops of ``module`` (a jaxlib module)."""
    if not LOWERINGS:
        return
    from jaxlib.mlir import ir as jir

    found: list[Any] = []

    def visit(op: Any) -> Any:
        if op.operation.name in LOWERINGS:
            found.append(op.operation)
        return jir.WalkResult.ADVANCE

    module.operation.walk(visit)
    for op in found:
        with op.location:
            LOWERINGS[op.name](op)
