"""The CPU code is generated for: the host, or one named by ``--cpu``.

A :class:`HostCpu` is the model of a CPU the schedule library and LLVM need: LLVM's name
for it, its ISA features (``/proc/cpuinfo`` spelling), its caches and its FMA units. The
host's is read without MLIR (``/proc/cpuinfo``, ``/sys/devices/system/cpu/cpu0/cache``,
``llc --version``), so the CLIs and the schedule library can ask cheaply; other CPUs come
from a table of the LLVM CPU names the model knows (:data:`KNOWN_CPUS`), so code for an
AVX-512 server can be compiled, and its assembly checked, on an AVX2 laptop.
:func:`targeting` sets the CPU being compiled for while a schedule is built.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from tilewright.diagnostics import TilewrightError

KIB, MIB = 1 << 10, 1 << 20


@dataclass(frozen=True)
class HostCpu:
    """A CPU code is generated for: LLVM's name for it, the ISA features that matter, its caches
    (bytes of one instance, ``*_ways`` its associativity, 0 when unknown; ``l3_sharing`` cores
    share the L3) and its FMA units (``fma_latency`` cycles from an FMA to its result's use).

    ``llvm_features`` are explicit LLVM target features (``+avx512f``, ``-avx512bw``) given on
    top of the CPU's own, as ``--cpu-features`` spells them; ``host`` says whether this is the
    machine the process runs on (its code runs here; another CPU's only if the host has every
    feature it uses).
    """

    name: str
    features: frozenset[str]
    l1d: int = 32 * KIB
    l2: int = 512 * KIB
    l3: int = 8 * MIB
    l3_sharing: int = 1
    l1d_ways: int = 0
    l2_ways: int = 0
    l3_ways: int = 0
    line_bytes: int = 64
    cores: int = 1
    fma_units: int = 2  # FMA pipes per core
    fma_bits: int = 0  # datapath width of one FMA pipe; 0: the vector width (full-width units)
    fma_latency: int = 4
    llvm_features: tuple[str, ...] = ()
    host: bool = False

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

    @property
    def vector_registers(self) -> int:
        """Architectural vector registers: 32 zmm with AVX-512, else 16."""
        return 32 if "avx512f" in self.features else 16

    @property
    def fma_lanes_per_cycle(self) -> int:
        """f32 FMAs per cycle (all pipes): what a register-only kernel can reach at best."""
        width = min(self.fma_bits or self.vector_bits, self.vector_bits)
        return self.fma_units * width // 32 if self.has_fma else self.vector_bits // 32

    @property
    def llvm_feature_string(self) -> str:
        """The explicit LLVM target features, comma-separated ("" when none)."""
        return ",".join(self.llvm_features)

    def missing_on(self, other: HostCpu) -> list[str]:
        """The ISA features this CPU's code may use that ``other`` lacks (sorted)."""
        return sorted((self.features & MODEL_FEATURES) - other.features)


# The features the model tracks (``/proc/cpuinfo`` spelling): what the library and LLVM's
# choice of instructions depend on. A named CPU has exactly these of its own.
MODEL_FEATURES = frozenset(
    {"avx", "avx2", "fma", "f16c", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}
    | {"avx512_bf16", "avx512_fp16", "avx512_vnni", "avx_vnni"}
)
_V3 = frozenset({"avx", "avx2", "fma", "f16c"})
_V4 = _V3 | {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def _named(
    name: str,
    features: frozenset[str],
    caches: tuple[tuple[int, int], tuple[int, int], tuple[int, int]],
    sharing: int,
    *,
    fma_bits: int = 0,
    latency: int = 4,
) -> HostCpu:
    """A table entry: ``caches`` is ((L1d bytes, ways), (L2 bytes, ways), (L3 bytes, ways))."""
    (l1d, w1), (l2, w2), (l3, w3) = caches
    return HostCpu(
        name,
        frozenset(features),
        l1d=l1d,
        l2=l2,
        l3=l3,
        l3_sharing=sharing,
        l1d_ways=w1,
        l2_ways=w2,
        l3_ways=w3,
        fma_bits=fma_bits,
        fma_latency=latency,
    )


_DESKTOP = ((32 * KIB, 8), (256 * KIB, 4), (8 * MIB, 16))  # Skylake client: a 4-way L2
_HASWELL = ((32 * KIB, 8), (256 * KIB, 8), (8 * MIB, 16))
_SKX = ((32 * KIB, 8), (1 * MIB, 16), (16 * MIB, 11))
_ICX = ((48 * KIB, 12), (1280 * KIB, 20), (32 * MIB, 12))
_SPR = ((48 * KIB, 12), (2 * MIB, 16), (64 * MIB, 15))
_ZEN2 = ((32 * KIB, 8), (512 * KIB, 8), (16 * MIB, 16))
_ZEN3 = ((32 * KIB, 8), (512 * KIB, 8), (32 * MIB, 16))
_ZEN4 = ((32 * KIB, 8), (1 * MIB, 8), (32 * MIB, 16))
_ZEN5 = ((48 * KIB, 12), (1 * MIB, 16), (32 * MIB, 16))

# LLVM CPU names the model knows: ISA features, per-core caches with their associativity and the
# cores sharing the L3 (a typical part's: one socket's or CCD's L3) from the vendors' manuals,
# FMA latency (5 cycles on Haswell and Zen 2, else 4); Zen 4 runs 512-bit FMAs on two 256-bit
# halves. The generic x86-64 levels take Haswell's caches (v4: Skylake-X's).
KNOWN_CPUS: dict[str, HostCpu] = {
    c.name: c
    for c in (
        _named("x86-64", frozenset(), _HASWELL, 4),
        _named("x86-64-v2", frozenset(), _HASWELL, 4),
        _named("x86-64-v3", _V3, _HASWELL, 4),
        _named("x86-64-v4", _V4, _SKX, 12),
        _named("haswell", _V3, _HASWELL, 4, latency=5),
        _named("skylake", _V3, _DESKTOP, 4),
        _named("skylake-avx512", _V4, _SKX, 12),
        _named("cascadelake", _V4 | {"avx512_vnni"}, _SKX, 12),
        _named("icelake-server", _V4 | {"avx512_vnni"}, _ICX, 24),
        _named("sapphirerapids", _V4 | {"avx512_vnni", "avx512_bf16", "avx512_fp16"}, _SPR, 32),
        _named("znver2", _V3, _ZEN2, 4, latency=5),
        _named("znver3", _V3, _ZEN3, 8),
        _named("znver4", _V4 | {"avx512_vnni", "avx512_bf16"}, _ZEN4, 8, fma_bits=256),
        _named("znver5", _V4 | {"avx512_vnni", "avx512_bf16", "avx_vnni"}, _ZEN5, 8),
    )
}

# LLVM target-feature names whose /proc/cpuinfo spelling differs.
_CPUINFO_SPELLING = {
    "avx512bf16": "avx512_bf16",
    "avx512fp16": "avx512_fp16",
    "avx512vnni": "avx512_vnni",
    "avxvnni": "avx_vnni",
}


def _parse_llvm_features(text: str) -> tuple[str, ...]:
    """``+avx512f,-avx512bw`` -> ("+avx512f", "-avx512bw"); a bad entry is an error."""
    out = []
    for item in (t.strip() for t in text.split(",") if t.strip()):
        if not re.fullmatch(r"[+-][A-Za-z0-9_.-]+", item):
            raise TilewrightError(f"bad CPU feature '{item}' (expected +name or -name, as LLVM spells them)")
        out.append(item)
    return tuple(out)


def cpu_model(name: str | None = None, features: str | None = None) -> HostCpu:
    """The model of the CPU ``name`` (an LLVM CPU name; None or "host": this machine) with the
    explicit LLVM ``features`` (``+avx512f,-avx512bw``) applied on top."""
    if name in (None, "", "host") or name == host_cpu().name:
        base = host_cpu()
    elif name in KNOWN_CPUS:
        base = KNOWN_CPUS[name]
    else:
        known = ", ".join(sorted(KNOWN_CPUS))
        raise TilewrightError(f"unknown CPU '{name}' (known: host, {known})")
    extra = _parse_llvm_features(features or "")
    if not extra:
        return base
    feats = set(base.features)
    for item in extra:
        feature = _CPUINFO_SPELLING.get(item[1:], item[1:])
        (feats.add if item[0] == "+" else feats.discard)(feature)
    return replace(base, features=frozenset(feats), llvm_features=extra)


_TARGET: contextvars.ContextVar[HostCpu | None] = contextvars.ContextVar("tilewright_target_cpu", default=None)


@contextlib.contextmanager
def targeting(cpu: HostCpu) -> Iterator[HostCpu]:
    """Compile for ``cpu`` inside the block: :func:`target_cpu` (and so the schedule library's
    choice of tiles) answers ``cpu``."""
    token = _TARGET.set(cpu)
    try:
        yield cpu
    finally:
        _TARGET.reset(token)


def target_cpu() -> HostCpu:
    """The CPU being compiled for: set by :func:`targeting`, else the host."""
    return _TARGET.get() or host_cpu()


def _cache_sizes(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> dict[str, int]:
    """``l1d``, ``l2``, ``l3`` (bytes of one instance), their ``*_ways``, ``line_bytes`` and
    ``l3_sharing`` from sysfs; missing entries are left out (the model keeps its defaults)."""
    out: dict[str, int] = {}
    for index in sorted(root.glob("index*")) if root.is_dir() else []:
        try:
            level = int((index / "level").read_text())
            kind = (index / "type").read_text().strip()
            size = _bytes((index / "size").read_text().strip())
            shared = (index / "shared_cpu_list").read_text().strip()
        except (OSError, ValueError):
            continue
        if kind == "Instruction":
            continue
        key = {1: "l1d", 2: "l2", 3: "l3"}.get(level)
        if key is not None:
            out[key] = size
            if key == "l3":
                out["l3_sharing"] = _count_cpus(shared)
            ways = _optional_int(index / "ways_of_associativity")
            if ways:
                out[f"{key}_ways"] = ways
            line = _optional_int(index / "coherency_line_size")
            if key == "l1d" and line:
                out["line_bytes"] = line
    return out


def _optional_int(path: Path) -> int | None:
    """The integer in a sysfs file, or None when it is absent or not a number."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _bytes(text: str) -> int:
    """``48K``, ``1024K``, ``32M`` -> bytes."""
    match = re.fullmatch(r"(\d+)\s*([KMG]?)", text)
    if match is None:
        raise ValueError(text)
    return int(match.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[match.group(2)]


def _count_cpus(cpu_list: str) -> int:
    """``0-3,8`` -> 5."""
    count = 0
    for part in cpu_list.split(","):
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    return max(count, 1)


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
    known = KNOWN_CPUS.get(name) or HostCpu(name, frozenset())
    return HostCpu(
        name,
        frozenset(features),
        **_cache_sizes(),
        cores=os.cpu_count() or 1,
        fma_bits=known.fma_bits,
        fma_latency=known.fma_latency,
        host=True,
    )


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
