"""The LLVM CPU target: ``llvm-dialect`` -> ``llvm-ir`` -> ``asm`` / ``obj``, and the JIT.

======================  =====================================================
:mod:`.host`            the CPU compiled for (host or ``--cpu``): ISA, caches, FMA units; tuning
:mod:`.lowering`        ``tw-lower-to-llvm-cpu{threads}``: bufferized IR -> LLVM dialect
:mod:`.llvm`            JIT runtime libraries, ``mlir-translate`` and ``llc``
======================  =====================================================

Imports no MLIR at module level (the CLIs read :data:`TARGET`'s stages for ``--help``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tilewright.target import Stage, Target
from tilewright.target.cpu.host import (
    KNOWN_CPUS,
    TUNE_CPU_ENV,
    HostCpu,
    codegen_tune_cpu,
    cpu_model,
    host_cpu,
    target_cpu,
    targeting,
)

if TYPE_CHECKING:
    from tilewright.compiler import Compilation

__all__ = [
    "KNOWN_CPUS",
    "TARGET",
    "TUNE_CPU_ENV",
    "CpuTarget",
    "HostCpu",
    "codegen_tune_cpu",
    "cpu_model",
    "host_cpu",
    "target_cpu",
    "targeting",
]


class CpuTarget(Target):
    name = "cpu"
    stages = (
        Stage("llvm-dialect", "mlir", "LLVM dialect, ready for translation (tw-lower-to-llvm-cpu{threads=N})"),
        Stage("llvm-ir", "ll", "LLVM IR text (mlir-translate)"),
        Stage("asm", "s", "host assembly (llc)"),
        Stage("obj", "o", "ELF object (llc)", binary=True),
        Stage("artifact", "twa", "shared object + manifest (tilewright.runtime.artifact; --threads 1)", binary=True),
    )
    default_emit = "obj"
    runnable_after = "llvm-dialect"

    def run_stage(self, compilation: Compilation, stage: str) -> None:
        from tilewright import pipeline
        from tilewright.diagnostics import enter_stage
        from tilewright.target.cpu import llvm

        cpu = compilation.options.cpu_model
        if stage == "llvm-dialect":
            target = (
                {} if cpu.host and not cpu.llvm_features else {"cpu": cpu.name, "features": cpu.llvm_feature_string}
            )
            steps = pipeline.steps("tw-lower-to-llvm-cpu", threads=compilation.options.num_threads, **target)
            compilation.run_passes(stage, steps)
            return
        enter_stage(stage)
        if stage == "llvm-ir":
            compilation.record(stage, llvm.translate_to_llvm_ir(compilation.artifacts["llvm-dialect"]))
        elif stage in ("asm", "obj"):
            opt_level = compilation.options.opt_level
            code = llvm.compile_llvm_ir(
                compilation.artifacts["llvm-ir"],
                stage,
                cpu=cpu.name,
                features=cpu.llvm_feature_string,
                opt_level=opt_level,
            )
            compilation.record(stage, code.decode() if stage == "asm" else code)  # text stages are str
        elif stage == "artifact":
            from tilewright.target.artifact import cpu_artifact

            compilation.record(stage, cpu_artifact(compilation))
        else:
            raise ValueError(f"the cpu target has no stage '{stage}'")

    def load(self, compilation: Compilation) -> Any:
        """JIT-compile the ``llvm-dialect`` module: an engine whose ``raw_lookup`` finds the
        entry's C interface (the runtime calls it on numpy arrays)."""
        from mlir.execution_engine import ExecutionEngine

        from tilewright.diagnostics import InternalError, TilewrightError, enter_stage
        from tilewright.target.cpu import llvm
        from tilewright.target.cpu.workers import JitEngine

        enter_stage("jit")
        cpu = compilation.options.cpu_model
        missing = cpu.missing_on(host_cpu())
        if missing:
            raise TilewrightError(
                f"code compiled for CPU '{cpu.name}' cannot run on this machine ({host_cpu().name}), which lacks "
                f"{', '.join(missing)}; cross-compile with --emit asm|obj|llvm-ir instead"
            )
        with compilation.context:
            try:
                engine = ExecutionEngine(
                    compilation.module,
                    opt_level=compilation.options.opt_level,
                    shared_libs=llvm.jit_shared_libraries(),
                )
            except Exception as exc:  # noqa: BLE001 - the JIT reports as plain exceptions
                raise InternalError("jit", str(exc)) from None
        return JitEngine(engine, runs_tasks="mlirAsyncRuntime" in compilation.artifacts["llvm-dialect"])


TARGET = CpuTarget()
