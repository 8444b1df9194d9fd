"""The host CPU: LLVM's name for it, its ISA features, and the tuning generated code gets.

Read without MLIR (``/proc/cpuinfo``, ``llc --version``), so the CLIs and the schedule
library can ask cheaply.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


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
        from tilewright.mlir_env import tool_path

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
