"""The compiler driver: one ordered table of stages, run up to the one asked for.

The table is the common stages followed by the target's own
(:mod:`tilewright.target`); ``tilewright compile --emit STAGE`` stops after any of
them and ``--dump-dir`` writes each one's output, named from the table:

``linalg``        linalg on tensors, cleaned up (ingress + ``tw-linalg``)
``scheduled``     after the schedule (:mod:`tilewright.schedule.source`)
``bufferized``    linalg on memrefs, results as out-parameters (``tw-bufferize``)
then, for ``cpu``: ``llvm-dialect`` (``tw-lower-to-llvm-cpu{threads=N}``), ``llvm-ir``,
``asm``, ``obj``.

The one policy for a schedule that fails lives here (:meth:`Compilation.schedule`,
:meth:`Compilation.bufferize`): only the default schedule may fall back, to the kept
``linalg`` stage, with a RuntimeWarning; a user's schedule that fails is an error.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlir import ir

from tilewright import pipeline
from tilewright.diagnostics import SourceLocation, TilewrightError, enter_stage
from tilewright.ingress import Program, load_program
from tilewright.ingress.formats import InputFormat, Source, as_source
from tilewright.mlir_env import module_of, new_context
from tilewright.runtime import CpuFunction
from tilewright.schedule.source import DefaultSchedule, ScheduleSource, resolve_schedule
from tilewright.target import Stage, Target, get_target, target_names
from tilewright.target.cpu.host import HostCpu, cpu_model, targeting
from tilewright.types import Signature


class Artifacts(dict[str, Any]):
    """Each stage's output by stage name. An IR stage is kept as a clone of the module and printed
    the first time it is read: printing costs ~0.1 s a stage on a GPT block, cloning ~0.006 s, and
    a JIT compile usually reads none of them. The clone stays (:meth:`operation`), so the driver
    can go back to a stage without parsing its text."""

    def __init__(self) -> None:
        super().__init__()
        self._operations: dict[str, ir.Operation] = {}

    def __setitem__(self, stage: str, value: Any) -> None:
        if isinstance(value, ir.Operation):
            self._operations[stage] = value
        else:
            self._operations.pop(stage, None)
        super().__setitem__(stage, value)

    def __getitem__(self, stage: str) -> str | bytes:
        value = super().__getitem__(stage)
        if isinstance(value, ir.Operation):
            value = value.get_asm()
            super().__setitem__(stage, value)  # the printed text; the clone stays in _operations
        return value

    def get(self, stage: str, default: Any = None) -> Any:
        return self[stage] if stage in self else default

    def operation(self, stage: str) -> ir.Operation | None:
        """The kept module of an IR stage (a clone: never the module the driver goes on with)."""
        return self._operations.get(stage)


@dataclass(frozen=True)
class CompileOptions:
    """What to compile for and how. ``schedule`` takes any accepted form (a path, text, a
    Schedule, a function, a built-in name, ``"default"``/``"none"``/None) and is resolved here,
    once, into a :class:`~tilewright.schedule.source.ScheduleSource`."""

    target: str = "cpu"
    entry: str = "main"
    schedule: Any = None
    opt_level: int = 3
    dump_dir: Path | None = None
    threads: int | None = None  # cores for parallel loops; None: all this process may use
    cpu: str | None = None  # LLVM CPU name to compile for; None or "host": this machine
    cpu_features: str | None = None  # LLVM target features on top of the CPU's: "+avx512f,-avx512bw"
    gpu_arch: str | None = None  # --target nvvm: sm_80 (default), sm_90, sm_90a
    tuned: bool = True  # the default schedule takes the tuning database's best entries (--no-tuned: False)
    raise_attention: bool = False  # tw-raise-attention in the linalg stage (--raise-attention)
    cpu_model: HostCpu = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.target not in target_names():
            raise TilewrightError(f"unknown target '{self.target}' (known: {', '.join(target_names())})")
        if self.threads is not None and self.threads < 1:
            raise TilewrightError(f"--threads must be at least 1, got {self.threads}")
        object.__setattr__(self, "schedule", resolve_schedule(self.schedule))
        if not self.tuned and isinstance(self.schedule, DefaultSchedule) and self.schedule.tuned:
            object.__setattr__(self, "schedule", DefaultSchedule(tuned=False, knobs=self.schedule.knobs))
        # The model of the CPU compiled for (the library's tiles, LLVM's target); an unknown CPU
        # or a bad feature is an error here, before anything is read.
        object.__setattr__(self, "cpu_model", cpu_model(self.cpu, self.cpu_features))
        if self.gpu_arch is not None and self.target != "nvvm":
            raise TilewrightError(f"--gpu-arch applies to --target nvvm, not '{self.target}'")
        if self.target == "nvvm":
            from tilewright.target.nvvm import DEFAULT_ARCH, GPU_ARCHS

            if (self.gpu_arch or DEFAULT_ARCH) not in GPU_ARCHS:
                raise TilewrightError(f"unknown GPU arch '{self.gpu_arch}' (known: {', '.join(GPU_ARCHS)})")

    @property
    def arch(self) -> str:
        """The GPU architecture compiled for (``--target nvvm``)."""
        from tilewright.target.nvvm import DEFAULT_ARCH

        return self.gpu_arch or DEFAULT_ARCH

    @property
    def num_threads(self) -> int:
        return self.threads if self.threads is not None else len(os.sched_getaffinity(0))

    @property
    def schedule_source(self) -> ScheduleSource:
        return self.schedule


def stage_table(target: str) -> tuple[Stage, ...]:
    """The ordered stages of a compile for ``target``."""
    return get_target(target).stage_table()


@dataclass
class Compilation:
    """A program moving through the stage table; ``artifacts`` holds each stage's output."""

    program: Program
    options: CompileOptions
    context: ir.Context
    module: ir.Module
    artifacts: Artifacts = field(default_factory=Artifacts)
    scheduled_by_default: bool = False  # the default schedule was applied (bufferization may fall back)

    @property
    def signature(self) -> Signature:
        return self.program.signature

    @property
    def filename(self) -> str:
        return self.program.filename

    @property
    def target(self) -> Target:
        return get_target(self.options.target)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self.target.stage_table()

    def record(self, stage: str, artifact: str | bytes | ir.Module) -> None:
        """Keep ``artifact`` as the output of ``stage`` (and write it to ``--dump-dir``)."""
        if isinstance(artifact, ir.Module):
            artifact = artifact.operation.clone().operation  # printed when read (see Artifacts)
        self.artifacts[stage] = artifact
        if self.options.dump_dir is not None:
            self._dump(stage, self.artifacts[stage])

    def _dump(self, stage: str, value: str | bytes, kind: str = "") -> None:
        """Write ``value`` to ``--dump-dir`` under the stage table's name (``kind``: a companion
        file of the stage, e.g. ``transform`` for the script that made ``scheduled``)."""
        assert self.options.dump_dir is not None
        index, spec = next((i, s) for i, s in enumerate(self.stages) if s.name == stage)
        file_name = spec.file_name(index)
        if kind:
            file_name = file_name.removesuffix(f".{spec.suffix}") + f".{kind}.{spec.suffix}"
        path = Path(self.options.dump_dir) / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, bytes):
            path.write_bytes(value)
        else:
            path.write_text(value)

    def run_passes(self, stage: str, steps: list[pipeline.Step]) -> None:
        """Run ``steps`` on the module as stage ``stage`` and record the result."""
        enter_stage(stage)
        pipeline.run_pipeline(self.module, steps, self.filename, f"stage '{stage}'")
        self.record(stage, self.module)

    def schedule(self) -> None:
        """The ``scheduled`` stage: apply the options' schedule.

        The default schedule may not fail a program: when it does not apply whole, its parts
        (one per op group) are applied one at a time from the payload as it was, and a failing
        part leaves its group unscheduled with a RuntimeWarning naming the group and its source
        location, every other group scheduled. Only when it cannot be built at all does the
        payload go on unscheduled, from the kept ``linalg`` stage."""
        from tilewright.schedule.apply import apply_parts, apply_script

        source = self.target.schedule_source(self.options.schedule_source, self.options)
        enter_stage("schedule")
        try:
            with targeting(self.options.cpu_model):
                script = source.script(self.module, threads=self.options.num_threads)
            if script is not None:
                if self.options.dump_dir is not None:
                    self._dump("scheduled", script.text(), kind="transform")
                kept = self.module.operation.clone() if source.falls_back and script.parts else None
                try:
                    apply_script(self.module, script.module, self.context, script.name, script.entry)
                    if kept is not None:
                        kept.erase()
                except TilewrightError:
                    if kept is None:
                        raise
                    self.module = module_of(kept, self.context)
                    failed = apply_parts(self.module, script.module, self.context, script.name, script.parts)
                    for failure in failed:
                        part = failure.part
                        where = f" ({part.location})" if part.location is not None else ""
                        instead = "its ops tiled alone instead" if failure.fell_back else "left as it was"
                        warnings.warn(
                            f"default schedule: {part.what}{where} not applied, {instead}: {failure.error.summary()}",
                            RuntimeWarning,
                            stacklevel=4,
                        )
                source.applied(self.module)
                self.scheduled_by_default = source.falls_back
        except TilewrightError as exc:
            if not source.falls_back:
                raise
            self._restore_linalg(f"default schedule not applied, compiling unscheduled: {exc}")
        except Exception as exc:  # a library bug must not fail a program that compiles without it
            if not source.falls_back:
                raise
            self._restore_linalg(f"default schedule not built, compiling unscheduled: {type(exc).__name__}: {exc}")
        self.record("scheduled", self.module)

    def _restore_linalg(self, warning: str) -> None:
        """Go on from the kept ``linalg`` stage (no text is re-parsed), with a RuntimeWarning."""
        warnings.warn(warning, RuntimeWarning, stacklevel=5)
        kept = self.artifacts.operation("linalg")
        assert kept is not None, "the linalg stage is always kept as a module"
        self.module = module_of(kept.clone().operation, self.context)
        self.scheduled_by_default = False

    def bufferize(self) -> None:
        """The ``bufferized`` stage. A failure after the default schedule goes back to ``linalg``
        and bufferizes it unscheduled, with a RuntimeWarning: the default must never make a
        program fail that compiles without it (e.g. small contractions sharing one zero-filled
        init, the DFT matmuls of ``jnp.fft.fft``: "cannot avoid RaW conflict")."""
        steps = pipeline.steps("tw-bufferize")
        if self.options.raise_attention:  # tw.attention a schedule left (none, a user's, the fallback)
            steps = ["func.func(tw-decompose-attention)", *steps]
        try:
            self.run_passes("bufferized", steps)
        except TilewrightError as exc:
            if not self.scheduled_by_default:
                raise
            self._restore_linalg(f"default schedule not bufferizable, compiling unscheduled: {exc}")
            self.record("scheduled", self.module)
            self.run_passes("bufferized", steps)

    def run_until(self, stage: str) -> str | bytes:
        """Run the stages of the table up to and including ``stage``; returns its artifact."""
        names = [s.name for s in self.stages]
        if stage not in names:
            raise TilewrightError(
                f"unknown stage '{stage}' for target '{self.options.target}' (known: {', '.join(names)})"
            )
        for name in names[: names.index(stage) + 1]:
            if name in self.artifacts:
                continue
            if name == "scheduled":
                self.schedule()
            elif name == "bufferized":
                self.bufferize()
            else:
                self.target.run_stage(self, name)
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
    compilation.run_passes("linalg", pipeline.steps("tw-linalg", raise_attention=int(options.raise_attention)))
    return compilation


def _find_function(module: ir.Module, name: str, filename: str) -> ir.Operation:
    for op in module.body.operations:
        if op.operation.name == "func.func" and op.operation.attributes["sym_name"].value == name:
            return op.operation
    raise TilewrightError(f"entry function '@{name}' not found", SourceLocation(filename))


class Executable:
    """A compiled entry function: call it with numpy arrays, get numpy arrays back."""

    def __init__(self, compilation: Compilation) -> None:
        target = compilation.target
        compilation.run_until(target.runnable_after)
        self.compilation = compilation
        self.signature = compilation.signature
        if target.runs_artifact:  # the GPU: the artifact on this machine's device (an error without one)
            from tilewright.runtime.artifact import load

            self._function = load(compilation.run_until("artifact"))
            return
        loaded = target.load(compilation)
        self._function = CpuFunction(loaded, compilation.options.entry, self.signature, compilation.context)

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
    fingerprint = options.schedule_source.fingerprint()
    target = (options.target, options.gpu_arch, options.cpu_model.name, options.cpu_model.llvm_features)
    h.update(repr((target, options.entry, options.opt_level, fingerprint, options.num_threads)).encode())
    h.update(repr(options.raise_attention).encode())
    return h.hexdigest()


def compile(  # noqa: A001 - the public name users expect
    source: str | bytes | Path | ir.Module,
    target: str = "cpu",
    schedule: Any = None,
    entry: str = "main",
    *,
    opt_level: int = 3,
    dump_dir: str | Path | None = None,
    threads: int | None = None,
    cpu: str | None = None,
    cpu_features: str | None = None,
    gpu_arch: str | None = None,
    tuned: bool = True,
    raise_attention: bool = False,
) -> Executable:
    """Compile a StableHLO or MLIR program to a callable taking/returning numpy arrays.

    ``source`` is a path, MLIR text (StableHLO or linalg), bytes (bytecode or
    portable artifacts), or an ``mlir.ir.Module``. Results are cached by
    content hash within the process. ``threads`` is how many cores parallel
    loops use (default: all in the process's affinity mask). ``cpu`` names the CPU to compile
    for (an LLVM CPU name such as ``haswell`` or ``znver4``; default: this machine), with
    ``cpu_features`` (``"+avx512f,-avx512bw"``) on top; code for another CPU runs here only if
    this machine has every ISA feature it may use. ``target="nvvm"`` compiles for the GPU
    ``gpu_arch`` (``sm_80``, ``sm_90``, ``sm_90a``); it runs from an artifact
    (:mod:`tilewright.runtime.artifact`). The default schedule takes the best knob values
    ``tilewright tune`` recorded for each op group of the program, unless ``tuned=False``.
    ``raise_attention`` runs ``tw-raise-attention`` in the linalg stage (attention chains become
    ``tw.attention``, for a schedule that takes it; needs the C++ extension).
    """
    if isinstance(source, ir.Module):
        src = Source(source.operation.get_asm(enable_debug_info=True), "<module>", InputFormat.MLIR_TEXT)
    else:
        src = as_source(source)
    options = CompileOptions(
        target,
        entry,
        schedule,
        opt_level,
        Path(dump_dir) if dump_dir else None,
        threads,
        cpu,
        cpu_features,
        gpu_arch,
        tuned,
        raise_attention,
    )
    key = _cache_key(src, options)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None and dump_dir is None:
        return cached
    executable = Executable(start(src, options))
    with _CACHE_LOCK:
        _CACHE[key] = executable
    return executable
