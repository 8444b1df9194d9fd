"""LLVM CPU target, code generation: the JIT's runtime libraries and ahead-of-time artifacts.

The JIT (``ExecutionEngine``) targets the host CPU. Ahead-of-time artifacts use the
bundled ``mlir-translate`` (LLVM dialect -> LLVM IR) and ``llc`` (LLVM IR -> assembly
or object), also for the host unless told otherwise.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

from tilewright.diagnostics import InternalError
from tilewright.mlir_env import runtime_library, tool_path
from tilewright.target.cpu.heap import keep_freed_temporaries
from tilewright.target.cpu.host import host_cpu

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


@functools.cache
def _load_process_wide_libraries() -> dict[str, Any]:
    import ctypes

    libraries = {name: ctypes.CDLL(runtime_library(name), mode=ctypes.RTLD_GLOBAL) for name in PROCESS_WIDE_LIBRARIES}
    keep_freed_temporaries()  # compiled code mallocs its temporaries per call: no page faults on each
    return libraries


def async_runtime_library() -> Any:
    """The async runtime library (a ``ctypes.CDLL``), loaded process-wide."""
    return _load_process_wide_libraries()["libmlir_async_runtime.so"]


def jit_shared_libraries() -> list[str]:
    """Libraries for ``ExecutionEngine(shared_libs=...)``; loads the process-wide ones first."""
    _load_process_wide_libraries()
    return [runtime_library(name) for name in JIT_SHARED_LIBRARIES]


def _run_tool(stage: str, argv: list[str], data: bytes) -> bytes:
    proc = subprocess.run(argv, input=data, capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise InternalError(stage, f"{Path(argv[0]).name} failed: {tool_error(proc.stderr.decode(errors='replace'))}")
    return proc.stdout


def tool_error(stderr: str) -> str:
    """The error lines of an LLVM tool's stderr, without the crash's stack dump and banner."""
    lines = []
    for line in stderr.strip().splitlines():
        if line.startswith(("Stack dump:", "PLEASE submit a bug report")) or line.lstrip().startswith("#"):
            break
        lines.append(line.strip())
    return " ".join(lines[:3]) or "it crashed without a message"


def translate_to_llvm_ir(llvm_dialect: str) -> str:
    """LLVM dialect (text) -> LLVM IR (text)."""
    return _run_tool("llvm-ir", [tool_path("mlir-translate"), "--mlir-to-llvmir"], llvm_dialect.encode()).decode()


# The CPU target generates code for x86-64 Linux (the host's triple; --cpu picks among x86 CPUs).
TARGET_TRIPLE = "x86_64-unknown-linux-gnu"


def compile_llvm_ir(
    llvm_ir: str, filetype: str, cpu: str | None = None, features: str = "", opt_level: int = 3
) -> bytes:
    """LLVM IR -> ``asm`` (text bytes) or ``obj`` (ELF bytes) for ``cpu`` (default: host) with
    the LLVM target ``features`` (``+avx512f,-avx512bw``) on top of its own.

    ``opt -O<n>`` runs first, as the JIT's optimizing transformer does: it is LLVM's
    middle end (inlining, loop and vector passes), and it lowers the coroutines that
    parallel loops on the async runtime become, which ``llc`` alone cannot ("Do not know
    how to promote this operator's operand").
    """
    assert filetype in ("asm", "obj")
    # The triple: without one, LLVM knows no libc and expands zero-fills (llvm.memset) into byte loops.
    target = [f"-mtriple={TARGET_TRIPLE}", f"-mcpu={cpu or host_cpu().name}"]
    target += [f"-mattr={features}"] if features else []
    optimized = _run_tool(filetype, [tool_path("opt"), f"-O{opt_level}", *target, "-o", "-", "-"], llvm_ir.encode())
    argv = [tool_path("llc"), f"-O{opt_level}", f"--filetype={filetype}", *target]
    argv += ["--relocation-model=pic", "-o", "-", "-"]
    return _run_tool(filetype, argv, optimized)
