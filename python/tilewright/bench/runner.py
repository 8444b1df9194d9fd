"""One benchmark: compile with tilewright, check every peer's result against ours, time all interleaved.

The report is a plain dict (what ``--json`` writes). Its ratios are
``speedup = peer median / tilewright median``: above 1 tilewright is faster.
A peer whose result differs from tilewright's is not timed: a ratio against a
wrong result means nothing, and the mismatch is the finding.
"""

from __future__ import annotations

import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tilewright.bench.flops import count_flops
from tilewright.bench.peers import (
    PeerError,
    StableHLOProgram,
    Worker,
    bench_error,
    iree_available,
    read_stablehlo,
)
from tilewright.bench.timing import Contender, TimeStats, time_interleaved

SPEEDUP_DEFINITION = "peer median time / tilewright median time (> 1: tilewright is faster)"
TILEWRIGHT = "tilewright"


@dataclass(frozen=True)
class BenchConfig:
    """What ``tilewright bench`` was asked to do."""

    file: str
    entry: str = "main"
    schedule: Any = None
    opt_level: int = 3
    threads: int | None = None  # None: every core this process may use
    cpu: str | None = None  # LLVM CPU name to compile for (None: host); must run on this host
    cpu_features: str | None = None
    inputs: str | None = None  # npz file; None: seeded random inputs
    seed: int = 0
    compare: tuple[str, ...] | None = None  # None: numpy when applicable, plus jax
    repetitions: int = 10
    min_time_s: float = 0.2
    peak: bool = False  # also measure the core's FMA peak (bench/peak.py) and report the fraction of it

    def __post_init__(self) -> None:
        if self.repetitions < 1:
            raise bench_error(f"--repetitions must be at least 1 (got {self.repetitions})")
        if not self.min_time_s > 0:
            raise bench_error(f"--min-time must be positive (got {self.min_time_s:g})")
        if self.threads is not None and self.threads < 1:
            raise bench_error(f"--threads must be at least 1 (got {self.threads})")


@dataclass
class PeerOutcome:
    name: str
    status: str = "ok"  # ok | mismatch | error
    reason: str = ""
    check: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    compile_s: float | None = None
    worker: Worker | None = None


def tolerance(dtype: np.dtype) -> float | None:
    """Relative tolerance for comparing implementations (``None``: exact); scaled by the result's magnitude."""
    name = str(dtype)
    if name in ("float16", "bfloat16"):
        return 2e-2
    if name in ("float32", "complex64"):
        return 1e-3  # deep f32 programs (a GPT block on unscaled random weights) differ by ~1e-4 of max|result|
    if name in ("float64", "complex128"):
        return 1e-9
    return None


def compare_results(ours: list[np.ndarray], theirs: list[np.ndarray]) -> dict[str, Any]:
    """allclose per result with ``atol = rtol * max|ours|``: summation order may differ, magnitudes may not."""
    if len(ours) != len(theirs):
        return {"passed": False, "reason": f"{len(theirs)} result(s), tilewright has {len(ours)}"}
    worst = 0.0
    details = []
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        b = np.asarray(b)
        if a.shape != b.shape:
            return {"passed": False, "reason": f"result {i}: shape {list(b.shape)}, tilewright has {list(a.shape)}"}
        rtol = tolerance(a.dtype)
        if rtol is None:
            equal = bool(np.array_equal(a, b))
            details.append({"result": i, "exact": True, "passed": equal})
            if not equal:
                mismatches = int(np.count_nonzero(a != b))
                return {"passed": False, "reason": f"result {i}: {mismatches} element(s) differ", "results": details}
            continue
        wide = np.complex128 if np.iscomplexobj(a) else np.float64
        a64, b64 = a.astype(wide), b.astype(wide)
        finite = np.isfinite(a64)
        scale = float(np.max(np.abs(a64[finite]))) if finite.any() else 0.0
        atol = rtol * max(scale, 1e-30)
        passed = bool(np.allclose(b64, a64, rtol=rtol, atol=atol, equal_nan=True))
        both = finite & np.isfinite(b64)
        max_abs = float(np.max(np.abs(a64[both] - b64[both]))) if both.any() else 0.0
        relative = max_abs / scale if scale > 0 else max_abs
        worst = max(worst, relative)
        details.append({"result": i, "rtol": rtol, "atol": atol, "max_abs_err": max_abs, "passed": passed})
        if not passed:
            return {
                "passed": False,
                "reason": f"result {i}: max |diff| {max_abs:.3g} = {relative:.2g} of max|result| (tolerance {rtol:g})",
                "results": details,
            }
    return {"passed": True, "max_err_relative_to_max": worst, "results": details}


def _count_linalg_ops(compilation: Any) -> int:
    """Linalg ops of the program's linalg stage: what a schedule has to schedule."""
    from tilewright.mlir_env import find_ops

    module = compilation.artifacts.operation("linalg")
    if module is None:
        return 0
    return len(
        find_ops(module, lambda op: op.name.startswith("linalg.") and op.name not in ("linalg.yield", "linalg.index"))
    )


def host_description(threads: int) -> dict[str, Any]:
    from tilewright.target.cpu import host_cpu

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cpu = host_cpu()
    return {
        "cpu": model or platform.processor(),
        "llvm_cpu": cpu.name,
        "isa": sorted(f for f in cpu.features if f in ("avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl")),
        "affinity": sorted(os.sched_getaffinity(0)),
        "threads": threads,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def _not_applicable(name: str, config: BenchConfig, program: StableHLOProgram | None) -> str:
    """Why peer ``name`` cannot run this program (empty if it can)."""
    if program is None:
        return f"the program is not StableHLO, so {name} cannot run it"
    if name == "numpy" and program.numpy_plan is None:
        return f"not applicable: {program.numpy_reason}"
    if name == "jax" and config.entry != "main":
        return "XLA compiles '@main' only; drop --entry or compare without jax"
    return ""


def choose_peers(config: BenchConfig, program: StableHLOProgram | None) -> tuple[list[str], dict[str, str]]:
    """The peers to run, and the requested ones skipped because they do not apply (name -> why).

    Without ``--compare``, the peers that apply. A requested peer that does not apply is
    skipped with a note, unless no requested peer applies (then it is a user error, as is
    asking for IREE when it is not installed).
    """
    if config.compare is None:
        names = [n for n in ("numpy", "jax") if not _not_applicable(n, config, program)]
        return names, {}
    for name in config.compare:
        if name == "iree" and not iree_available():
            raise bench_error("--compare iree: IREE is not installed: install tilewright[bench]")
    skipped = {n: why for n in config.compare if (why := _not_applicable(n, config, program))}
    peers = [n for n in config.compare if n not in skipped]
    if not peers:
        name, why = next(iter(skipped.items()))
        raise bench_error(f"--compare {name}: {why}")
    return peers, skipped


def _stats_json(stats: TimeStats, flops: int | None) -> dict[str, Any]:
    out = stats.as_json()
    out["gflops"] = flops / stats.median_s / 1e9 if flops and stats.median_s > 0 else None
    return out


def run_bench(config: BenchConfig, log: Callable[[str], None] = lambda _msg: None) -> dict[str, Any]:
    """Compile, check and time; returns the report (see ``tilewright bench --json``)."""
    from tilewright.compiler import CompileOptions, Executable, start
    from tilewright.diagnostics import enter_stage
    from tilewright.ingress.formats import read_source
    from tilewright.runtime.inputs import load_npz_inputs, match_inputs, random_inputs

    source = read_source(config.file)
    given = load_npz_inputs(config.inputs) if config.inputs else None
    threads = config.threads if config.threads is not None else len(os.sched_getaffinity(0))
    options = CompileOptions(
        entry=config.entry,
        schedule=config.schedule,
        opt_level=config.opt_level,
        threads=threads,
        cpu=config.cpu,
        cpu_features=config.cpu_features,
    )

    log("compiling with tilewright")
    with warnings.catch_warnings(record=True) as caught:  # kept in the report, shown as before
        warnings.simplefilter("always", RuntimeWarning)
        began = time.perf_counter()
        compilation = start(source, options)
        linalg_done = time.perf_counter()
        flop_count = count_flops(compilation.module)  # linalg on tensors; not part of the compile time
        resumed = time.perf_counter()
        executable = Executable(compilation)
        compile_s = (linalg_done - began) + (time.perf_counter() - resumed)
    for w in caught:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    compile_warnings = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    # The default schedule's outcome: applied, or not (with a warning when it failed, silently
    # when the library does not apply to the payload); None for any other schedule.
    default_applied = compilation.scheduled_by_default if options.schedule_source.falls_back else None
    linalg_ops = _count_linalg_ops(compilation)

    signature = executable.signature
    if given is not None:
        inputs = match_inputs(given, signature, config.entry, str(config.inputs))
    else:
        inputs = random_inputs(signature, config.seed)
    program = read_stablehlo(source, config.entry)
    peer_names, skipped = choose_peers(config, program)
    for name, why in skipped.items():
        log(f"skipping {name}: {why}")

    enter_stage("run")
    reference = executable(*inputs)
    reference = [np.array(r) for r in (reference if isinstance(reference, tuple) else (reference,))]

    # In the order asked for; a skipped peer keeps its place in the table.
    outcomes: dict[str, PeerOutcome] = {
        n: PeerOutcome(n, status="skipped", reason=skipped[n]) if n in skipped else PeerOutcome(n)
        for n in (config.compare if config.compare is not None else peer_names)
    }
    try:
        for name in peer_names:
            log(f"preparing {name}")
            outcome = outcomes[name] = PeerOutcome(name)
            assert program is not None
            try:
                outcome.worker = Worker(name, threads)
                reply = outcome.worker.request(
                    {
                        "op": "setup",
                        "peer": name,
                        "threads": threads,
                        "entry": config.entry,
                        "program": program.text,
                        "plan": program.numpy_plan,
                        "inputs": inputs,
                    }
                )
            except PeerError as exc:
                outcome.status, outcome.reason = "error", exc.reason
                continue
            outcome.info, outcome.compile_s = reply["info"], reply["compile_s"]
            outcome.check = compare_results(reference, reply["result"])
            if not outcome.check["passed"]:
                outcome.status, outcome.reason = "mismatch", outcome.check["reason"]
                outcome.worker.close()  # not timed: a ratio against a wrong result means nothing
                outcome.worker = None

        def ours(calls: int) -> tuple[float, float]:
            cpu0, wall0 = _cpu_seconds(), time.perf_counter()
            for _ in range(calls):
                executable(*inputs)
            return time.perf_counter() - wall0, _cpu_seconds() - cpu0

        contenders = [Contender(TILEWRIGHT, ours)]
        for outcome in outcomes.values():
            if outcome.status == "ok" and outcome.worker is not None:
                contenders.append(Contender(outcome.name, _remote_batch(outcome)))
        log(f"timing {', '.join(c.name for c in contenders)}: {config.repetitions} rounds")
        try:
            stats = time_interleaved(contenders, config.repetitions, config.min_time_s)
        except PeerError as exc:
            outcomes[exc.peer].status, outcomes[exc.peer].reason = "error", exc.reason
            raise bench_error(f"{exc.peer} failed while timing: {exc.reason}") from None
    finally:
        for outcome in outcomes.values():
            if outcome.worker is not None:
                outcome.worker.close()

    flops = flop_count.total
    ours_stats = stats[TILEWRIGHT]
    report: dict[str, Any] = {
        "program": config.file,
        "entry": config.entry,
        "schedule": config.schedule if isinstance(config.schedule, str | None) else repr(config.schedule),
        "opt_level": config.opt_level,
        "threads": threads,
        "repetitions": config.repetitions,
        "min_time_s": config.min_time_s,
        "inputs": config.inputs or f"random (seed {config.seed})",
        "signature": str(signature),
        "host": host_description(threads),
        "flops": flops,
        "flop_ops": [op.as_json() for op in flop_count.ops],
        # The arguments read and results written once: the compulsory memory traffic, for the
        # roofline's arithmetic intensity (flops per byte).
        "bytes": sum(np.asarray(x).nbytes for x in inputs) + sum(r.nbytes for r in reference),
        "speedup_definition": SPEEDUP_DEFINITION,
        TILEWRIGHT: {
            "compile_s": compile_s,
            "time": _stats_json(ours_stats, flops),
            "default_schedule_applied": default_applied,
            "linalg_ops": linalg_ops,  # 0: nothing for a schedule to do (e.g. lowered to vectors at ingress)
            "compile_warnings": compile_warnings,
        },
        "peers": {},
    }
    for name, outcome in outcomes.items():
        entry: dict[str, Any] = {
            "status": outcome.status,
            "reason": outcome.reason,
            "check": outcome.check,
            "kernel": outcome.info,
            "compile_s": outcome.compile_s,
            "time": None,
            "speedup": None,
        }
        if name in stats:
            entry["time"] = _stats_json(stats[name], flops)
            entry["speedup"] = stats[name].median_s / ours_stats.median_s
        report["peers"][name] = entry
    if config.peak:
        from tilewright.bench.peak import measure_bandwidth, measure_peak

        log("measuring the FMA peak and the memory bandwidth")
        peak = measure_peak(options.cpu_model, config.min_time_s)
        report["peak"] = peak.as_json() | {"threads": threads, "bandwidth_gbs": measure_bandwidth(options.cpu_model)}
        for entry in [report[TILEWRIGHT], *report["peers"].values()]:
            t = entry.get("time")
            if t and t.get("gflops"):
                t["of_peak"] = t["gflops"] / (peak.gflops * threads)
    report["ok"] = all(o.status in ("ok", "skipped") for o in outcomes.values())
    return report


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def _remote_batch(outcome: PeerOutcome) -> Callable[[int], tuple[float, float]]:
    worker = outcome.worker
    assert worker is not None

    def run(calls: int) -> tuple[float, float]:
        reply = worker.request({"op": "batch", "calls": calls})
        return reply["wall_s"], reply["cpu_s"]

    return run
