"""Ingress: whatever the user gave -> linalg on tensors in upstream MLIR.

StableHLO in any format goes through :mod:`tilewright.ingress.stablehlo`
(jaxlib's MLIR); programs already in upstream dialects (linalg, tensor, arith,
...) are taken as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.ingress.formats import Source
from tilewright.types import Signature, signature_of


@dataclass(frozen=True)
class Program:
    """A program ready for upstream MLIR: linalg-level text, boundary types, origin."""

    linalg_text: str
    signature: Signature
    entry: str
    filename: str


def load_program(source: Source, entry: str = "main") -> Program:
    if source.is_stablehlo:
        from tilewright.ingress.stablehlo import legalize_to_linalg

        legal = legalize_to_linalg(source, entry)
        return Program(legal.linalg_text, legal.signature, entry, source.filename)
    return _load_upstream(source, entry)


def _load_upstream(source: Source, entry: str) -> Program:
    from tilewright.mlir_env import new_context, parse_module

    ctx = new_context()
    module = parse_module(source.content, source.filename, ctx)
    with ctx:
        _check_symbol_names(module, source.filename)
        for op in module.body.operations:
            if op.operation.name == "func.func" and op.operation.attributes["sym_name"].value == entry:
                try:
                    signature = signature_of(op.type)
                except ValueError as exc:
                    raise TilewrightError(f"entry '@{entry}': {exc}", SourceLocation(source.filename)) from None
                text = module.operation.get_asm(enable_debug_info=True)
                return Program(text, signature, entry, source.filename)
    raise TilewrightError(f"entry function '@{entry}' not found", SourceLocation(source.filename))


def _check_symbol_names(module, filename: str) -> None:
    """Symbol names that are not UTF-8 (escaped in text, raw in bytecode) cannot reach Python: an input error."""
    from tilewright.diagnostics import location_of

    for op in module.body.operations:
        attributes = op.operation.attributes
        try:
            if "sym_name" in attributes:
                str(attributes["sym_name"].value)
        except RuntimeError:
            loc = location_of(op.operation.location, filename) or SourceLocation(filename)
            raise TilewrightError(
                f"'{op.operation.name}' has a symbol name that is not valid UTF-8 (corrupt input?)", loc
            ) from None
