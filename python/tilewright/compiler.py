"""The compiler driver: source -> linalg -> (schedule) -> bufferized -> LLVM -> artifact.

Each stage is named, so ``tilewright compile --emit STAGE`` can stop after any
of them and ``--dump-dir`` can show the IR after every one:

``linalg``        linalg on tensors, cleaned up (elementwise ops fused)
``scheduled``     after the transform-dialect schedule (if any)
``bufferized``    linalg on memrefs, results as out-parameters
``llvm-dialect``  LLVM dialect, ready for translation
``llvm-ir``       LLVM IR text
``asm`` / ``obj`` host assembly / ELF object (llc)
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlir import ir
from mlir import passmanager as mpm

from tilewright import pipeline
from tilewright.diagnostics import (
    SourceLocation,
    TilewrightError,
    collect_diagnostics,
    convert_diagnostic,
    enter_stage,
    error_from_mlir,
)
from tilewright.ingress import Program, load_program
from tilewright.ingress.formats import InputFormat, Source, as_source
from tilewright.mlir_env import new_context
from tilewright.stages import STAGES, TARGETS
from tilewright.target import cpu as cpu_target
from tilewright.types import Signature


class Artifacts(dict[str, Any]):
    """Each stage's output by stage name. An IR stage is kept as a clone of the module and printed
    the first time it is read: printing costs ~0.1 s a stage on a GPT block, cloning ~0.006 s, and
    a JIT compile usually reads none of them."""

    def __getitem__(self, stage: str) -> str | bytes:
        value = super().__getitem__(stage)
        if isinstance(value, ir.Operation):
            value = str(value)
            super().__setitem__(stage, value)
        return value

    def get(self, stage: str, default: Any = None) -> Any:
        return self[stage] if stage in self else default


@dataclass(frozen=True)
class CompileOptions:
    target: str = "cpu"
    entry: str = "main"
    schedule: Any = None  # a tilewright.schedule.Schedule, a path, or transform-script text
    opt_level: int = 3
    dump_dir: Path | None = None
    threads: int | None = None  # cores for parallel loops; None: all this process may use

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise TilewrightError(f"unknown target '{self.target}' (known: {', '.join(TARGETS)})")
        if self.threads is not None and self.threads < 1:
            raise TilewrightError(f"--threads must be at least 1, got {self.threads}")

    @property
    def num_threads(self) -> int:
        return self.threads if self.threads is not None else len(os.sched_getaffinity(0))


@dataclass
class Compilation:
    """A program moving through the stages; ``artifacts`` holds each stage's output."""

    program: Program
    options: CompileOptions
    context: ir.Context
    module: ir.Module
    artifacts: Artifacts = field(default_factory=Artifacts)
    unscheduled: str | None = None  # the payload before the default schedule, to fall back to

    @property
    def signature(self) -> Signature:
        return self.program.signature

    @property
    def filename(self) -> str:
        return self.program.filename

    def _record(self, stage: str, artifact: str | bytes | ir.Module) -> None:
        if isinstance(artifact, ir.Module):
            artifact = artifact.operation.clone().operation  # printed when read (see Artifacts)
        self.artifacts[stage] = artifact
        if self.options.dump_dir is not None:
            index = STAGES.index(stage)
            suffix = {"llvm-ir": "ll", "asm": "s", "obj": "o"}.get(stage, "mlir")
            path = Path(self.options.dump_dir) / f"{index:02d}-{stage}.{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            value = self.artifacts[stage]
            if isinstance(value, bytes):
                path.write_bytes(value)
            else:
                path.write_text(value)

    def run_passes(self, stage: str, steps: list[pipeline.Step]) -> None:
        enter_stage(stage)
        with self.context, collect_diagnostics(self.context, self.filename) as diags:
            pm = mpm.PassManager("builtin.module")
            pipeline.add_steps(pm, steps)
            try:
                pm.run(self.module.operation)
            except ir.MLIRError as exc:
                for info in getattr(exc, "error_diagnostics", []):
                    diags.diagnostics.append(convert_diagnostic(info, self.filename))
                raise error_from_mlir(exc, diags, f"stage '{stage}'", self.filename) from None
        self._record(stage, self.module)

    def apply_schedule(self) -> None:
        from tilewright.schedule.apply import apply_schedule

        apply_schedule(self.module, self.options.schedule, self.context, self.filename)
        self._record("scheduled", self.module)

    def apply_default_schedule(self) -> None:
        """No ``--schedule`` or ``default``: the CPU library's schedule (see tilewright.schedule.default)."""
        from tilewright.schedule.default import apply_default_schedule

        enter_stage("schedule")
        self.unscheduled = self.module.operation.get_asm(enable_debug_info=True)
        self.module = apply_default_schedule(
            self.module, self.context, self.filename, self.options.num_threads, original=self.unscheduled
        )
        self._record("scheduled", self.module)

    def bufferize(self) -> None:
        """Bufferize; a failure after the default schedule retries unscheduled, with a RuntimeWarning.

        The default must never make a program fail that compiles without it; e.g. small
        contractions sharing one zero-filled init (the DFT matmuls of ``jnp.fft.fft``) leave
        writes that one-shot bufferization rejects ("cannot avoid RaW conflict").
        """
        steps = list(pipeline.PIPELINES["tw-bufferize"].steps)
        try:
            self.run_passes("bufferized", steps)
        except TilewrightError as exc:
            if self.unscheduled is None:
                raise
            import warnings

            from tilewright.mlir_env import parse_module

            message = f"default schedule not bufferizable, compiling unscheduled: {exc}"
            warnings.warn(message, RuntimeWarning, stacklevel=4)
            self.module = parse_module(self.unscheduled, self.filename, self.context)
            self.unscheduled = None
            self._record("scheduled", self.module)
            self.run_passes("bufferized", steps)

    def run_until(self, stage: str) -> str | bytes:
        """Run the stages up to and including ``stage``; returns its artifact."""
        if stage not in STAGES:
            raise TilewrightError(f"unknown stage '{stage}' (known: {', '.join(STAGES)})")
        want = STAGES.index(stage)
        if "scheduled" not in self.artifacts and want >= STAGES.index("scheduled"):
            from tilewright.schedule.default import DEFAULT_SCHEDULE, NO_SCHEDULE

            if self.options.schedule is None or self.options.schedule == DEFAULT_SCHEDULE:
                self.apply_default_schedule()  # no schedule given: the library's, unscheduled where it cannot
            elif self.options.schedule == NO_SCHEDULE:
                self.artifacts["scheduled"] = self.artifacts["linalg"]
            else:
                self.apply_schedule()
        if "bufferized" not in self.artifacts and want >= STAGES.index("bufferized"):
            self.bufferize()
        if "llvm-dialect" not in self.artifacts and want >= STAGES.index("llvm-dialect"):
            from tilewright.lower import with_parallel_loops

            steps = list(pipeline.PIPELINES["tw-lower-to-llvm-cpu"].steps)
            steps = with_parallel_loops(steps, self.options.num_threads)
            self.run_passes("llvm-dialect", steps)
        if "llvm-ir" not in self.artifacts and want >= STAGES.index("llvm-ir"):
            enter_stage("llvm-ir")
            self._record("llvm-ir", cpu_target.translate_to_llvm_ir(str(self.module)))
        if stage in ("asm", "obj") and stage not in self.artifacts:
            enter_stage(stage)
            llvm_ir = self.artifacts["llvm-ir"]
            assert isinstance(llvm_ir, str)
            self._record(stage, cpu_target.compile_llvm_ir(llvm_ir, stage, opt_level=self.options.opt_level))
        return self.artifacts[stage]


def start(source: Source, options: CompileOptions) -> Compilation:
    """Ingress + linalg cleanup: the ``linalg`` stage of a new compilation."""
    enter_stage("ingress")
    program = load_program(source, options.entry)
    context = new_context()
    from tilewright.mlir_env import parse_module

    module = parse_module(program.linalg_text, program.filename, context)
    with context:
        entry_op = _find_function(module, options.entry, program.filename)
        entry_op.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
    compilation = Compilation(program, options, context, module)
    compilation.run_passes("linalg", list(pipeline.LINALG_STAGE))
    return compilation


def _find_function(module: ir.Module, name: str, filename: str) -> ir.Operation:
    for op in module.body.operations:
        if op.operation.name == "func.func" and op.operation.attributes["sym_name"].value == name:
            return op.operation
    raise TilewrightError(f"entry function '@{name}' not found", SourceLocation(filename))


class Executable:
    """A compiled entry function: call it with numpy arrays, get numpy arrays back."""

    def __init__(self, compilation: Compilation) -> None:
        from mlir.execution_engine import ExecutionEngine

        from tilewright.runtime import CpuFunction

        compilation.run_until("llvm-dialect")
        self.compilation = compilation
        self.signature = compilation.signature
        enter_stage("jit")
        with compilation.context:
            try:
                engine = ExecutionEngine(
                    compilation.module,
                    opt_level=compilation.options.opt_level,
                    shared_libs=cpu_target.jit_shared_libraries(),
                )
            except Exception as exc:  # noqa: BLE001 - the JIT reports as plain exceptions
                from tilewright.diagnostics import InternalError

                raise InternalError("jit", str(exc)) from None
        self._function = CpuFunction(engine, compilation.options.entry, self.signature, compilation.context)

    def __call__(self, *args: Any) -> Any:
        return self._function(*args)

    def __repr__(self) -> str:
        return f"<tilewright.Executable @{self.compilation.options.entry} {self.signature}>"


_CACHE: dict[str, Executable] = {}
_CACHE_LOCK = threading.Lock()


def _cache_key(source: Source, options: CompileOptions) -> str:
    h = hashlib.sha256()
    content = source.content.encode() if isinstance(source.content, str) else source.content
    h.update(content)
    fingerprint = _schedule_fingerprint(options.schedule)
    h.update(repr((options.target, options.entry, options.opt_level, fingerprint, options.num_threads)).encode())
    return h.hexdigest()


def _schedule_fingerprint(schedule: Any) -> str:
    """What identifies a schedule's content, so editing a schedule file is never served stale."""
    if schedule is None:
        return "none"
    if hasattr(schedule, "to_mlir"):
        return "script:" + schedule.to_mlir()
    if isinstance(schedule, Path | str) and "\n" not in str(schedule) and Path(schedule).is_file():
        digest = hashlib.sha256(Path(schedule).read_bytes()).hexdigest()
        return f"file:{Path(schedule).resolve()}:{digest}"
    if isinstance(schedule, str):
        return "text:" + schedule  # a script or a built-in name
    # A function: its identity (a new function object compiles anew).
    return f"callable:{getattr(schedule, '__module__', '')}.{getattr(schedule, '__qualname__', '')}:{id(schedule)}"


def compile(  # noqa: A001 - the public name users expect
    source: str | bytes | Path | ir.Module,
    target: str = "cpu",
    schedule: Any = None,
    entry: str = "main",
    *,
    opt_level: int = 3,
    dump_dir: str | Path | None = None,
    threads: int | None = None,
) -> Executable:
    """Compile a StableHLO or MLIR program to a callable taking/returning numpy arrays.

    ``source`` is a path, MLIR text (StableHLO or linalg), bytes (bytecode or
    portable artifacts), or an ``mlir.ir.Module``. Results are cached by
    content hash within the process. ``threads`` is how many cores parallel
    loops use (default: all in the process's affinity mask).
    """
    if isinstance(source, ir.Module):
        src = Source(source.operation.get_asm(enable_debug_info=True), "<module>", InputFormat.MLIR_TEXT)
    else:
        src = as_source(source)
    options = CompileOptions(target, entry, schedule, opt_level, Path(dump_dir) if dump_dir else None, threads)
    key = _cache_key(src, options)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None and dump_dir is None:
        return cached
    executable = Executable(start(src, options))
    with _CACHE_LOCK:
        _CACHE[key] = executable
    return executable
