"""Applying a transform script to a payload module.

Which schedule a user gave, and the script it makes for a payload, is
:mod:`tilewright.schedule.source`; this module parses scripts and runs them with the
transform interpreter. Failures come back as diagnostics located in the script (the
transform op; for Python schedules the ``.py`` line that built it) with notes pointing
at the payload op it was applied to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlir import ir

from tilewright.diagnostics import (
    SourceLocation,
    TilewrightError,
    collect_diagnostics,
    diagnostics_from_text,
    enter_stage,
    error_from_mlir,
)
from tilewright.mlir_env import parse_module
from tilewright.schedule.handles import SchedulePart

ENTRY_POINT = "__transform_main"


def parse_script(text: str, filename: str, context: ir.Context, libraries: list[tuple[str, str]] = ()) -> ir.Module:
    """Parse a transform script, merging the named sequences of ``libraries`` into it."""
    script = parse_module(text, filename, context)
    with context:
        for lib_text, lib_name in libraries:
            library = parse_module(lib_text, lib_name, context)
            for op in list(library.body.operations):
                script.body.append(op.operation.clone())
        if "transform.with_named_sequence" not in script.operation.attributes:
            script.operation.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
    return script


def find_entry(script: ir.Module, filename: str, entry: str = ENTRY_POINT) -> ir.Operation:
    for op in script.body.operations:
        if op.operation.name == "transform.named_sequence" and op.operation.attributes["sym_name"].value == entry:
            return op.operation
    raise TilewrightError(f"transform script has no 'transform.named_sequence @{entry}'", SourceLocation(filename))


def apply_script(
    payload: ir.Module, script: ir.Module, context: ir.Context, script_name: str, entry: str = ENTRY_POINT
) -> None:
    from mlir.dialects.transform import interpreter

    enter_stage("schedule")
    entry_op = find_entry(script, script_name, entry)
    with context, collect_diagnostics(context, script_name) as diags:
        try:
            try:
                options = interpreter.TransformOptions()
                options.expensive_checks = True  # handle misuse is an error, not undefined behavior
                interpreter.apply_named_sequence(payload.operation, entry_op, script.operation, options)
            except ir.MLIRError as exc:
                raise error_from_mlir(exc, diags, "applying the schedule", script_name) from None
            except ValueError as exc:  # the interpreter flattens its diagnostics into the message
                diags.diagnostics.extend(diagnostics_from_text(str(exc), script_name))
                raise error_from_mlir(exc, diags, "applying the schedule", script_name) from None
            if diags.errors:
                raise TilewrightError("applying the schedule failed", SourceLocation(script_name), diags.diagnostics)
        except TilewrightError as error:
            _name_transform_ops(error.diagnostics, script, script_name)
            raise
        if not payload.operation.verify():
            raise error_from_mlir(RuntimeError("the schedule produced invalid IR"), diags, "schedule", script_name)


@dataclass
class PartFailure:
    """A part of a schedule that failed: its error, and whether its fallback was applied instead."""

    part: SchedulePart
    error: TilewrightError
    fell_back: bool = False


def apply_parts(
    payload: ir.Module, script: ir.Module, context: ir.Context, script_name: str, parts: Sequence[SchedulePart]
) -> list[PartFailure]:
    """Apply each part of ``script`` (a named sequence on the payload root) in order, in place.

    A part that fails leaves the payload as it was before it, then its fallback sequence is
    tried the same way; the next parts go on. Returns the failed parts.
    """
    failed: list[PartFailure] = []
    for part in parts:
        error = _apply_or_restore(payload, script, context, script_name, part.entry)
        if error is None:
            continue
        failure = PartFailure(part, error)
        if part.fallback is not None:
            failure.fell_back = _apply_or_restore(payload, script, context, script_name, part.fallback) is None
        failed.append(failure)
    return failed


def _apply_or_restore(
    payload: ir.Module, script: ir.Module, context: ir.Context, script_name: str, entry: str
) -> TilewrightError | None:
    """Apply ``entry``; on failure put the payload back as it was and return the error."""
    before = payload.operation.clone()
    try:
        apply_script(payload, script, context, script_name, entry)
    except TilewrightError as error:
        _replace_body(payload, before)
        return error
    before.erase()
    return None


def _replace_body(module: ir.Module, source: ir.Operation) -> None:
    """Move the ops of the module op ``source`` into ``module`` in place of its own (callers keep
    ``module``)."""
    for op in list(module.body.operations):
        op.operation.erase()
    for op in list(source.regions[0].blocks[0].operations):
        module.body.append(op.operation)


def _name_transform_ops(diagnostics: list[Any], script: ir.Module, script_name: str) -> None:
    """Prefix errors located at a transform op with the op's name.

    The location alone may be a line of Python that built several ops, or a
    script line the user does not have at hand; the name says which transform failed.
    """
    from tilewright.diagnostics import location_of

    by_location: dict[tuple[str, int, int], str] = {}

    def visit(op: ir.Operation) -> ir.WalkResult:
        loc = location_of(op.location, script_name)
        if loc is not None and loc.line and op.name.startswith("transform."):
            by_location[(loc.filename, loc.line, loc.col)] = op.name  # the last op at a location wins
        return ir.WalkResult.ADVANCE

    script.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    for d in diagnostics:
        if d.severity != "error" or d.location is None:
            continue
        name = by_location.get((d.location.filename, d.location.line, d.location.col))
        if name is not None and not d.message.startswith(name):
            d.message = f"{name}: {d.message}"
