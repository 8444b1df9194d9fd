"""Targets: what each code generator adds to the stage table after ``bufferized``.

The driver (:mod:`tilewright.compiler`) runs one ordered table of stages. The first three
are the same for every target; a :class:`Target` appends its own (the CPU target:
``llvm-dialect``, ``llvm-ir``, ``asm``, ``obj``), says how each is produced from the one
before, and how the last IR stage becomes something runnable in this process. ``--emit``
choices, ``--dump-dir`` file names and ``tilewright compile --help`` are read from the table,
so a new target (NVVM) is one new module here, not edits across the driver.

This module imports no MLIR: the CLIs read the table to build their ``--help``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tilewright.compiler import Compilation


@dataclass(frozen=True)
class Stage:
    """One row of the stage table: its name (``--emit NAME``), file suffix and what it holds."""

    name: str
    suffix: str
    summary: str
    binary: bool = False

    def file_name(self, index: int) -> str:
        """Its file in ``--dump-dir``: ``02-bufferized.mlir``."""
        return f"{index:02d}-{self.name}.{self.suffix}"


# Every target starts with these; ``linalg`` is produced by ingress, the others by the driver.
COMMON_STAGES: tuple[Stage, ...] = (
    Stage("linalg", "mlir", "linalg on tensors, cleaned up (elementwise ops fused, contractions named)"),
    Stage("scheduled", "mlir", "after the transform-dialect schedule (the default library's without --schedule)"),
    Stage("bufferized", "mlir", "linalg on memrefs, results as out-parameters"),
)


class Target:
    """A code generator: the stages it adds after ``bufferized`` and how it runs them.

    Subclasses set ``name`` and ``stages`` and implement :meth:`run_stage` (produce the
    artifact of one of its stages from the compilation's current state) and :meth:`load`
    (the loaded code, which :mod:`tilewright.runtime` calls on arrays). Heavy imports
    (MLIR, LLVM tools) happen inside them.
    """

    name: str = ""
    stages: tuple[Stage, ...] = ()
    # The stage ``tilewright compile`` stops after without --emit, and the one load() needs.
    default_emit: str = ""
    runnable_after: str = ""
    runs_artifact = False  # True: no load(); the driver runs the 'artifact' stage's output

    def run_stage(self, compilation: Compilation, stage: str) -> None:
        raise NotImplementedError

    def load(self, compilation: Compilation) -> Any:
        raise NotImplementedError

    def stage_table(self) -> tuple[Stage, ...]:
        return COMMON_STAGES + self.stages

    def schedule_source(self, source: Any, options: Any) -> Any:
        """The schedule to apply for ``source`` (a ``ScheduleSource``) under ``options`` (the
        ``CompileOptions``): a target with its own library replaces the default by it."""
        return source


# name -> module defining ``TARGET`` (imported on first use).
TARGET_MODULES: dict[str, str] = {"cpu": "tilewright.target.cpu", "nvvm": "tilewright.target.nvvm"}


def target_names() -> tuple[str, ...]:
    return tuple(TARGET_MODULES)


def get_target(name: str) -> Target:
    """The target called ``name``; ValueError naming the known ones otherwise."""
    module = TARGET_MODULES.get(name)
    if module is None:
        raise ValueError(f"unknown target '{name}' (known: {', '.join(TARGET_MODULES)})")
    return importlib.import_module(module).TARGET


def all_stage_names() -> tuple[str, ...]:
    """Every ``--emit`` choice of any target, in table order (common stages first)."""
    names = [s.name for s in COMMON_STAGES]
    for target in TARGET_MODULES:
        names += [s.name for s in get_target(target).stages if s.name not in names]
    return tuple(names)


def stage_help() -> str:
    """The stage table of every target, for ``tilewright compile --help``."""
    lines = ["stages (--emit, and --dump-dir files NN-STAGE.SUFFIX):"]
    for spec in COMMON_STAGES:
        lines.append(f"  {spec.name:14s} {spec.summary}")
    for name in TARGET_MODULES:
        for spec in get_target(name).stages:
            lines.append(f"  {spec.name:14s} [{name}] {spec.summary}")
    return "\n".join(lines)
