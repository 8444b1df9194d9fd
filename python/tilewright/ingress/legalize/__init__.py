"""tilewright's own lowerings of the StableHLO ops upstream leaves behind.

``stablehlo-legalize-to-linalg`` does not lower every op (``scatter``,
``sort``, ``while``, ``reduce_window``, ...). Each module here rewrites one
such op family, in jaxlib's MLIR, into ops that legalization or upstream MLIR
handles (scf/tensor/arith, or simpler StableHLO). They run between CHLO
legalization and ``stablehlo-legalize-to-linalg``.

``LOWERINGS`` maps an op name to a function ``(op) -> None`` that replaces
the op in place; it is called with the op's location and an insertion point
before the op. The modules are imported on first use (they import jaxlib).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

LOWERINGS: dict[str, Callable[[Any], None]] = {}

# op name -> (module, function); loaded into LOWERINGS on first use.
_REGISTRY: dict[str, tuple[str, str]] = {
    "stablehlo.scatter": ("scatter", "lower_scatter"),
    "stablehlo.gather": ("gather", "lower_gather"),  # contiguous rows only
    "stablehlo.select_and_scatter": ("select_and_scatter", "lower_select_and_scatter"),
    "stablehlo.sort": ("sort", "lower_sort"),
    "stablehlo.while": ("control_flow", "lower_while"),
    "stablehlo.if": ("control_flow", "lower_if"),
    "stablehlo.case": ("control_flow", "lower_case"),
    "stablehlo.reduce_window": ("reduce_window", "lower_reduce_window"),
    "stablehlo.triangular_solve": ("triangular_solve", "lower_triangular_solve"),
    "stablehlo.custom_call": ("triangular_solve", "lower_custom_call"),  # LAPACK trsm only
    "stablehlo.fft": ("fft", "lower_fft"),
}


def _load() -> None:
    for name, (module, function) in _REGISTRY.items():
        if name not in LOWERINGS:
            LOWERINGS[name] = getattr(importlib.import_module(f"{__name__}.{module}"), function)


def lower_unsupported_ops(module: Any, filename: str | None = None) -> None:
    """Apply every registered lowering to the ops of ``module`` (a jaxlib module).

    Ops are lowered innermost first (post-order), so an op nested in another
    op's region is rewritten before its parent moves that region's ops.
    ``filename`` names the user's file in errors about unsupported forms.
    """
    _load()
    from jaxlib.mlir import ir as jir

    from tilewright.ingress.legalize import _build
    from tilewright.mlir_env import find_ops

    found = find_ops(module, lambda op: op.name in LOWERINGS, jir)  # post-order: innermost first
    _build.CURRENT_FILENAME[0] = filename
    try:
        for op in found:
            with op.location, jir.InsertionPoint(op):
                LOWERINGS[op.name](op)
    finally:
        _build.CURRENT_FILENAME[0] = None
