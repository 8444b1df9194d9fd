"""Applying a schedule (a transform-dialect script) to a payload module.

A schedule is anything that becomes a transform module with a
``transform.named_sequence @__transform_main``: a path to a ``.mlir`` script,
its text, or an object with ``to_mlir()`` (the Python schedule API). Failures
come back as diagnostics located in the script (the transform op) with notes
pointing at the payload op it was applied to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlir import ir

from tilewright.diagnostics import (
    SourceLocation,
    TilewrightError,
    collect_diagnostics,
    convert_diagnostic,
    diagnostics_from_text,
    enter_stage,
    error_from_mlir,
)
from tilewright.mlir_env import parse_module

ENTRY_POINT = "__transform_main"


def schedule_text(schedule: Any) -> tuple[str, str]:
    """(script text, file name for its locations) of any accepted schedule form."""
    if hasattr(schedule, "to_mlir"):
        return schedule.to_mlir(), getattr(schedule, "name", "<schedule>")
    if isinstance(schedule, Path) or (isinstance(schedule, str) and "\n" not in schedule and "{" not in schedule):
        path = Path(schedule)
        if not path.is_file():
            raise TilewrightError("schedule file not found", SourceLocation(str(schedule)))
        return path.read_text(), str(path)
    if isinstance(schedule, str):
        return schedule, "<schedule>"
    raise TilewrightError(f"cannot use a {type(schedule).__name__} as a schedule")


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
            interpreter.apply_named_sequence(payload.operation, entry_op, script.operation)
        except ir.MLIRError as exc:
            for info in getattr(exc, "error_diagnostics", []):
                diags.diagnostics.append(convert_diagnostic(info, script_name))
            raise error_from_mlir(exc, diags, "applying the schedule", script_name) from None
        except ValueError as exc:  # the interpreter flattens its diagnostics into the message
            diags.diagnostics.extend(diagnostics_from_text(str(exc), script_name))
            raise error_from_mlir(exc, diags, "applying the schedule", script_name) from None
        if diags.errors:
            raise TilewrightError("applying the schedule failed", SourceLocation(script_name), diags.diagnostics)
        if not payload.operation.verify():
            raise error_from_mlir(RuntimeError("the schedule produced invalid IR"), diags, "schedule", script_name)


def apply_schedule(payload: ir.Module, schedule: Any, context: ir.Context, filename: str) -> None:
    """Apply ``schedule`` (any accepted form) to ``payload`` in place."""
    text, name = schedule_text(schedule)
    script = parse_script(text, name, context)
    apply_script(payload, script, context, name)
