"""LLVM CPU target: host description, JIT, and ahead-of-time artifacts.

The JIT (``ExecutionEngine``) targets the host CPU. Ahead-of-time artifacts
use the bundled ``mlir-translate`` (LLVM dialect -> LLVM IR) and ``llc``
(LLVM IR -> assembly or object), also for the host unless told otherwise.
Functions carry a ``tune_cpu`` (:func:`codegen_tune_cpu`): the instruction set
stays the host's, the scheduling model may not.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlir import ir

from tilewright.diagnostics import InternalError
from tilewright.mlir_env import runtime_library, tool_path

# Runtime libraries the generated code may call into (memrefCopy, printing,
# f16/bf16 conversions, the async runtime for parallel loops).
JIT_SHARED_LIBRARIES = (
    "libmlir_c_runner_utils.so",
    "libmlir_runner_utils.so",
    "libmlir_float16_utils.so",
)

# The async runtime is NOT handed to each ExecutionEngine: an engine calls the
# library's ``__mlir_execution_engine_destroy`` when it is freed, which resets
# the process-wide default runtime under every other live engine (a segfault
# on the next parallel loop). Loaded once into the global symbol scope, its
# ``mlirAsyncRuntime*`` functions are found by the JIT's process-symbol lookup
# and the runtime lives as long as the process.
PROCESS_WIDE_LIBRARIES = ("libmlir_async_runtime.so",)


@dataclass(frozen=True)
class HostCpu:
    """The CPU code is generated for: LLVM's name for it plus the ISA features that matter."""

    name: str
    features: frozenset[str]

    @property
    def vector_bits(self) -> int:
        """Widest vector register: 512 with AVX-512F, 256 with AVX2, else 128."""
        if "avx512f" in self.features:
            return 512
        if "avx2" in self.features:
            return 256
        return 128

    @property
    def has_fma(self) -> bool:
        return "fma" in self.features


@functools.cache
def host_cpu() -> HostCpu:
    name = "generic"
    try:
        out = subprocess.run([tool_path("llc"), "--version"], capture_output=True, text=True, timeout=30).stdout
        match = re.search(r"Host CPU:\s*(\S+)", out)
        if match:
            name = match.group(1)
    except (OSError, subprocess.SubprocessError):
        pass
    features: set[str] = set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                features = set(line.split(":", 1)[1].split())
                break
    return HostCpu(name, frozenset(features))


# Overrides the tuning of generated functions: an LLVM CPU name, or "host" for the host's own model.
TUNE_CPU_ENV = "TILEWRIGHT_TUNE_CPU"


def codegen_tune_cpu(cpu: HostCpu | None = None) -> str | None:
    """The LLVM ``tune-cpu`` for generated functions, or None for the host's own.

    LLVM's AMD Zen scheduling models turn on the post-RA list scheduler, which is
    quadratic in the size of a basic block: on the unrolled vector kernels of a GPT
    block it took 1.5 of llc's 3.2 s, and the JIT's codegen likewise, with no
    measured change in run time. On Zen, functions are tuned ``generic`` (the
    ISA still comes from the host: AVX2, FMA).
    """
    override = os.environ.get(TUNE_CPU_ENV)
    if override is not None:
        return None if override in ("", "host") else override
    return "generic" if (cpu or host_cpu()).name.startswith("znver") else None


def set_tune_cpu(root: ir.Operation, tune: str | None) -> int:
    """Give every ``llvm.func`` definition under ``root`` without a ``tune_cpu`` this one; returns
    how many (a function that already names its tuning keeps it)."""
    if tune is None:
        return 0
    count = 0
    for region in root.regions:
        for block in region.blocks:
            for op in block.operations:
                op = op.operation
                if op.name == "llvm.func" and len(op.regions[0].blocks) and "tune_cpu" not in op.attributes:
                    op.attributes["tune_cpu"] = ir.StringAttr.get(tune)
                    count += 1
    return count


def tune_cpu_pass(op: ir.Operation, pass_: object) -> None:
    """``PassManager.add`` entry point of ``tw-cpu-tuning``."""
    with op.context:
        set_tune_cpu(op, codegen_tune_cpu())


@functools.cache
def _load_process_wide_libraries() -> None:
    import ctypes

    for name in PROCESS_WIDE_LIBRARIES:
        ctypes.CDLL(runtime_library(name), mode=ctypes.RTLD_GLOBAL)


def jit_shared_libraries() -> list[str]:
    """Libraries for ``ExecutionEngine(shared_libs=...)``; loads the process-wide ones first."""
    _load_process_wide_libraries()
    return [runtime_library(name) for name in JIT_SHARED_LIBRARIES]


def _run_tool(stage: str, argv: list[str], data: bytes) -> bytes:
    proc = subprocess.run(argv, input=data, capture_output=True, timeout=600)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip() or f"exit code {proc.returncode}"
        raise InternalError(stage, f"{Path(argv[0]).name} failed: {message}")
    return proc.stdout


def translate_to_llvm_ir(llvm_dialect: str) -> str:
    """LLVM dialect (text) -> LLVM IR (text)."""
    return _run_tool("llvm-ir", [tool_path("mlir-translate"), "--mlir-to-llvmir"], llvm_dialect.encode()).decode()


def compile_llvm_ir(llvm_ir: str, filetype: str, cpu: str | None = None, opt_level: int = 3) -> bytes:
    """LLVM IR -> ``asm`` (text bytes) or ``obj`` (ELF bytes) for ``cpu`` (default: host)."""
    assert filetype in ("asm", "obj")
    argv = [tool_path("llc"), f"-O{opt_level}", f"--filetype={filetype}", f"-mcpu={cpu or host_cpu().name}"]
    argv += ["--relocation-model=pic", "-o", "-", "-"]
    return _run_tool(filetype, argv, llvm_ir.encode())
