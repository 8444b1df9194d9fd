"""Applying a schedule (a transform-dialect script) to a payload module.

A schedule is anything that becomes a transform module with a
``transform.named_sequence @__transform_main``:

- an object with ``to_mlir()`` (a :class:`tilewright.schedule.Schedule`),
- a function ``(ModuleInfo) -> Schedule`` (called with the payload's description),
- a path to a ``.mlir`` script or to a ``.py`` file defining ``schedule`` (either
  such a function, a ``Schedule`` object, or script text),
- the name of a built-in schedule (:mod:`tilewright.schedule.library`),
- or script text.

Failures come back as diagnostics located in the script (the transform op; for
Python schedules the ``.py`` line that built it) with notes pointing at the
payload op it was applied to.
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


def schedule_text(schedule: Any, payload: ir.Module | None = None) -> tuple[str, str]:
    """(script text, file name for its locations) of any accepted schedule form.

    ``payload`` is needed for schedules that depend on it (functions, ``.py``
    files defining ``schedule(module_info)``, built-ins).
    """
    if hasattr(schedule, "to_mlir"):
        return _to_mlir(schedule), getattr(schedule, "name", "<schedule>")
    if callable(schedule):
        name = getattr(schedule, "__name__", "<schedule>")
        return _from_builder(schedule, payload, name, None)
    if isinstance(schedule, Path) or (isinstance(schedule, str) and "\n" not in schedule and "{" not in schedule):
        path = Path(schedule)
        if path.is_file():
            if path.suffix == ".py":
                return _from_python_file(path, payload)
            return path.read_text(), str(path)
        from tilewright.schedule import library

        if isinstance(schedule, str) and library.is_builtin(schedule):
            builtin = library.get_builtin(schedule)
            return _from_builder(builtin.build, payload, f"<builtin {schedule}>", None)
        known = ", ".join(library.builtin_names())
        hint = f" and not a built-in schedule (known: {known})" if known else ""
        raise TilewrightError(f"schedule file not found{hint}", SourceLocation(str(schedule)))
    if isinstance(schedule, str):
        return schedule, "<schedule>"
    raise TilewrightError(f"cannot use a {type(schedule).__name__} as a schedule")


def _to_mlir(schedule: Any) -> str:
    """Script text, with the Python call sites as locations when the object can give them."""
    try:
        return schedule.to_mlir(debug_info=True)
    except TypeError:
        return schedule.to_mlir()


def _module_info(payload: ir.Module | None) -> Any:
    from tilewright.schedule.info import ModuleInfo

    if payload is None:
        raise TilewrightError("this schedule is built from the payload, but no payload was given")
    return ModuleInfo.from_module(payload)


def _from_builder(build: Any, payload: ir.Module | None, name: str, path: Path | None) -> tuple[str, str]:
    """Call ``build(module_info)`` and turn its result (Schedule or text) into a script."""
    info = _module_info(payload)
    result = _call_user_code(lambda: build(info), path, name)
    if hasattr(result, "to_mlir"):
        return _to_mlir(result), getattr(result, "name", name)
    if isinstance(result, str):
        return result, name
    raise TilewrightError(
        f"schedule builder returned a {type(result).__name__}, expected a Schedule or script text",
        SourceLocation(str(path) if path else name),
    )


def _from_python_file(path: Path, payload: ir.Module | None) -> tuple[str, str]:
    """Run a ``.py`` schedule file; it defines ``schedule`` (a function, a Schedule or text)."""
    import runpy

    namespace = _call_user_code(lambda: runpy.run_path(str(path), run_name="__tilewright_schedule__"), path, str(path))
    if "schedule" not in namespace:
        raise TilewrightError(
            "a Python schedule must define 'schedule' (a function of the module info, a Schedule, or script text)",
            SourceLocation(str(path)),
        )
    value = namespace["schedule"]
    if hasattr(value, "to_mlir"):
        return _call_user_code(lambda: _to_mlir(value), path, str(path)), getattr(value, "name", str(path))
    if callable(value):
        return _from_builder(value, payload, str(path), path)
    if isinstance(value, str):
        return value, str(path)
    raise TilewrightError(
        f"'schedule' is a {type(value).__name__}; expected a function, a Schedule or script text",
        SourceLocation(str(path)),
    )


def _call_user_code(work: Any, path: Path | None, name: str) -> Any:
    """Run user schedule code; its exceptions become errors at the user's line, not tracebacks."""
    import traceback

    try:
        return work()
    except TilewrightError:
        raise
    except SyntaxError as exc:
        loc = SourceLocation(exc.filename or name, exc.lineno or 0, exc.offset or 0)
        raise TilewrightError(f"invalid Python in schedule: {exc.msg}", loc) from None
    except Exception as exc:  # noqa: BLE001 - any error in user code is reported at its line
        frames = traceback.extract_tb(exc.__traceback__)
        loc = SourceLocation(str(path) if path else name)
        user_frames = [f for f in frames if path is not None and Path(f.filename).resolve() == path.resolve()]
        chosen = user_frames[-1] if user_frames else (frames[-1] if frames else None)
        if chosen is not None:
            loc = SourceLocation(chosen.filename, chosen.lineno or 0, (getattr(chosen, "colno", None) or 0) + 1)
        raise TilewrightError(f"error in schedule: {type(exc).__name__}: {exc}", loc) from None


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
                for info in getattr(exc, "error_diagnostics", []):
                    diags.diagnostics.append(convert_diagnostic(info, script_name))
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


def _name_transform_ops(diagnostics: list[Any], script: ir.Module, script_name: str) -> None:
    """Prefix errors located at a transform op with the op's name.

    The location alone may be a line of Python that built several ops, or a
    script line the user does not have at hand; the name says which transform failed.
    """
    from tilewright.diagnostics import location_of

    by_location: dict[tuple[str, int, int], str] = {}

    def visit(op: ir.Operation) -> None:
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    inner = inner.operation
                    loc = location_of(inner.location, script_name)
                    if loc is not None and loc.line and inner.name.startswith("transform."):
                        by_location[(loc.filename, loc.line, loc.col)] = inner.name  # the last op at a location wins
                    visit(inner)

    visit(script.operation)
    for d in diagnostics:
        if d.severity != "error" or d.location is None:
            continue
        name = by_location.get((d.location.filename, d.location.line, d.location.col))
        if name is not None and not d.message.startswith(name):
            d.message = f"{name}: {d.message}"


def apply_schedule(payload: ir.Module, schedule: Any, context: ir.Context, filename: str) -> None:
    """Apply ``schedule`` (any accepted form) to ``payload`` in place."""
    text, name = schedule_text(schedule, payload)
    script = parse_script(text, name, context)
    apply_script(payload, script, context, name)
