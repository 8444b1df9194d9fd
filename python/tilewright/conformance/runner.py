"""Run conformance cases, each in its own forked child, and summarize them.

Isolation (:mod:`tilewright.isolation`): ``--jobs N`` warm worker processes,
started with ``spawn``, import tilewright, jaxlib's MLIR and the upstream
bindings once, but never JAX, and run no threads, so forking them is safe;
each case then runs in a child forked from a worker, so an MLIR assertion, a
segfault or a hang (killed at ``timeout``) costs one case, never the run. The
child reports the stage it is in as it goes, so a crash is attributed to a
stage; whether it crashed is read from its wait status, not from its stderr.

Outcomes:

``pass``
    every check of the program holds (:mod:`tilewright.conformance.checks`).
``fail``
    wrong numbers, a crash (signal), a timeout, or an error after ingress
    (tilewright accepted the program but could not compile or run it).
``unsupported``
    tilewright reported a :class:`TilewrightError` during check rewriting or
    StableHLO ingress: an op without lowering, an element type without numpy
    equivalent, dynamic shapes. The reason is the error's message.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import random
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tilewright.conformance.cases import DTYPE_CLASSES, Case
from tilewright.isolation import Channel, run_forked

DEFAULT_TIMEOUT_S = 120.0
_UNSUPPORTED_STAGES = ("startup", "rewrite", "ingress")
_ELEMENT_TO_DTYPE = {
    "i1": "bool",
    "i8": "int8",
    "i16": "int16",
    "i32": "int32",
    "i64": "int64",
    "ui8": "uint8",
    "ui16": "uint16",
    "ui32": "uint32",
    "ui64": "uint64",
    "f16": "float16",
    "bf16": "bfloat16",
    "f32": "float32",
    "f64": "float64",
    "complex<f32>": "complex64",
    "complex<f64>": "complex128",
}


@dataclass
class CaseResult:
    """What happened to one case; ``reason`` is short (for grouping), ``detail`` the full message."""

    name: str
    path: str
    op: str
    dtype: str
    dtype_class: str
    variant: str
    status: str  # "pass" | "fail" | "unsupported"
    reason: str = ""
    detail: str = ""
    stage: str = ""
    seconds: float = 0.0


# --------------------------------------------------------------------------- child


def _first_message(exc: Any) -> tuple[str, str]:
    """(short reason, full rendering) of a TilewrightError."""
    errors = [d for d in exc.diagnostics if d.severity == "error"]
    reason = errors[0].message if errors else exc.message
    return reason.splitlines()[0] if reason else type(exc).__name__, exc.format()


def run_case_inline(case: Case, on_stage: Callable[[str], None] = lambda _s: None) -> dict[str, Any]:
    """Rewrite, compile, run and check one case in this process; returns the result fields."""
    from tilewright.compiler import CompileOptions, Executable, start
    from tilewright.conformance.rewrite import rewrite_checks
    from tilewright.diagnostics import InternalError, TilewrightError, enter_stage, set_stage_listener
    from tilewright.ingress.formats import InputFormat, Source

    stage = ["startup"]

    def listen(name: str) -> None:
        stage[0] = name
        on_stage(name)

    set_stage_listener(listen)
    fields: dict[str, Any] = {}
    try:
        enter_stage("rewrite")
        program = rewrite_checks(case.text(), str(case.path))
        fields["element"] = program.check_elements[0] if program.check_elements else ""
        source = Source(program.text, str(case.path), InputFormat.MLIR_TEXT)
        executable = Executable(start(source, CompileOptions(entry=program.entry)))
        enter_stage("run")
        results = executable()
        if not isinstance(results, tuple):
            results = (results,)
        enter_stage("compare")
        for i, check in enumerate(program.checks):
            mismatch = check.compare(results[2 * i], results[2 * i + 1])
            if mismatch is not None:
                kind = {"eq": "expect_eq", "almost_eq": "expect_almost_eq", "close": "expect_close"}[check.kind]
                reason = f"wrong result: {kind} failed"
                return {**fields, "status": "fail", "reason": reason, "detail": f"check #{i}: {mismatch}"}
        return {**fields, "status": "pass", "stage": stage[0]}
    except InternalError as exc:
        reason, detail = _first_message(exc)
        return {**fields, "status": "fail", "reason": reason, "detail": detail, "stage": stage[0]}
    except TilewrightError as exc:
        reason, detail = _first_message(exc)
        status = "unsupported" if stage[0] in _UNSUPPORTED_STAGES else "fail"
        if status == "fail":
            reason = f"error in stage '{stage[0]}': {reason}"
        return {**fields, "status": status, "reason": reason, "detail": detail, "stage": stage[0]}
    except Exception as exc:  # noqa: BLE001 - a bug in tilewright is a failed case, not a dead run
        return {
            **fields,
            "status": "fail",
            "reason": f"internal error: {type(exc).__name__}",
            "detail": f"{type(exc).__name__}: {exc}",
            "stage": stage[0],
        }
    finally:
        set_stage_listener(None)


def run_case_forked(case: Case, timeout: float, run_case: Callable[..., dict[str, Any]] | None = None) -> CaseResult:
    """Run ``case`` in a forked child with a deadline; crashes and hangs become failed results.

    Forks this process, which must be single-threaded (a warm worker is; see
    :mod:`tilewright.isolation`). ``run_case`` stands in for :func:`run_case_inline`.
    """
    run_case = run_case or run_case_inline

    def work(channel: Channel) -> int:
        channel.send(json.dumps(run_case(case, channel.stage)))
        return 0

    outcome = run_forked(work, timeout=timeout, merge_stdout=True, cap_stderr=True)
    base = _base_result(case, outcome.seconds)
    if outcome.messages:
        fields = json.loads(outcome.messages[0])
        element = fields.pop("element", "")
        if base.dtype == "unknown" and element in _ELEMENT_TO_DTYPE:
            base.dtype = _ELEMENT_TO_DTYPE[element]
            if base.variant not in ("dynamic", "quantized"):
                base.dtype_class = DTYPE_CLASSES[base.dtype]
        for key, value in fields.items():
            setattr(base, key, value)
        return base
    base.status = "fail"
    base.stage = outcome.stage
    base.reason = outcome.reason or f"no result from the child in stage '{outcome.stage}'"
    if not outcome.timed_out:
        base.detail = (outcome.signal_name is not None and outcome.assertion) or outcome.stderr[-2000:]
    return base


def _base_result(case: Case, seconds: float) -> CaseResult:
    return CaseResult(
        name=case.name,
        path=str(case.path),
        op=case.op,
        dtype=case.dtype,
        dtype_class=case.dtype_class,
        variant=case.variant,
        status="fail",
        seconds=round(seconds, 3),
    )


# --------------------------------------------------------------------------- workers


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for processes started inside, restoring this process's after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _warm_up() -> None:
    """Import everything a case needs, so forked children start instantly."""
    import mlir.execution_engine  # noqa: F401
    import numpy  # noqa: F401
    from jaxlib.mlir.dialects import chlo, func, stablehlo  # noqa: F401

    import tilewright.compiler
    import tilewright.conformance.rewrite
    import tilewright.ingress.prepare
    import tilewright.runtime  # noqa: F401
    from tilewright.ingress.stablehlo import register_stablehlo_passes

    register_stablehlo_passes()


def _worker_main(tasks: Any, results: Any, timeout: float, run_case: Callable[..., dict[str, Any]] | None) -> None:
    """A warm worker: take cases from ``tasks`` until ``None``, fork one child per case.

    Forking it is safe because it stays single-threaded: it is started with
    ``spawn``, imports jaxlib's MLIR but never JAX, and sends results on its
    own pipe (``Connection.send`` writes from this thread; a
    ``multiprocessing.Queue`` would start a feeder thread).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # stopped: the case in flight is killed on the way out
    _warm_up()
    with results:
        while (item := tasks.get()) is not None:
            index, case = item
            try:
                result = run_case_forked(case, timeout, run_case)
            except Exception as exc:  # noqa: BLE001 - report and keep the worker alive
                result = _base_result(case, 0.0)
                result.reason = f"runner error: {type(exc).__name__}: {exc}"
            results.send((index, result))


def _exit_on_sigterm(_signum: int, _frame: Any) -> None:
    raise SystemExit(143)


def run_cases(
    cases: list[Case],
    jobs: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
    on_result: Callable[[CaseResult], None] = lambda _r: None,
    run_case: Callable[..., dict[str, Any]] | None = None,
) -> list[CaseResult]:
    """Run every case on ``jobs`` warm workers; results come back in ``cases`` order.

    ``run_case`` (a module-level function: it is pickled by name for the
    workers) stands in for :func:`run_case_inline`.
    """
    if not cases:
        return []
    ctx = multiprocessing.get_context("spawn")
    tasks = ctx.Queue()
    # A fixed shuffle: the cases done so far are a fair sample at any moment (files are sorted by op).
    order = list(enumerate(cases))
    random.Random(0).shuffle(order)
    for item in order:
        tasks.put(item)
    jobs = max(1, min(jobs, len(cases)))
    for _ in range(jobs):
        tasks.put(None)
    pipes = [ctx.Pipe(duplex=False) for _ in range(jobs)]
    workers = [
        ctx.Process(target=_worker_main, args=(tasks, sender, timeout, run_case), daemon=True) for _, sender in pipes
    ]
    # Each worker forks a child per case and refuses to while it runs other threads; numpy's
    # OpenBLAS would start a pool of them at import on a multi-core machine. The workers inherit
    # the environment at start, so their BLAS is single-threaded; this process's is left alone.
    with _environment(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"):
        for w in workers:
            w.start()
    for _, sender in pipes:
        sender.close()  # the worker holds its end now: the pipe reads as closed once the worker is gone
    readers = [reader for reader, _ in pipes]
    collected: dict[int, CaseResult] = {}
    try:
        while readers and len(collected) < len(cases):
            for reader in multiprocessing.connection.wait(readers):
                try:
                    index, result = reader.recv()
                except EOFError:
                    readers.remove(reader)
                    continue
                collected[index] = result
                on_result(result)
    finally:
        for w in workers:
            if w.is_alive() and len(collected) < len(cases):
                w.terminate()
            w.join(timeout=10)
        for reader, _ in pipes:
            reader.close()
        # Cases never handed out would keep the queue's feeder thread (and this process) alive at exit.
        tasks.cancel_join_thread()
    out = []
    for i, case in enumerate(cases):
        if i in collected:
            out.append(collected[i])
        else:
            lost = _base_result(case, 0.0)
            lost.reason = "not run: its worker died"
            out.append(lost)
    return out


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Totals:
    passed: int
    failed: int
    unsupported: int

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.unsupported

    @property
    def pass_rate(self) -> float:
        """Passed over all cases (unsupported count against it)."""
        return self.passed / self.total if self.total else 0.0

    @property
    def supported_pass_rate(self) -> float:
        """Passed over the cases tilewright accepted (passed + failed)."""
        run = self.passed + self.failed
        return self.passed / run if run else 0.0


def totals(results: Iterable[CaseResult]) -> Totals:
    counts = Counter(r.status for r in results)
    return Totals(counts["pass"], counts["fail"], counts["unsupported"])


def breakdown(results: list[CaseResult], key: str) -> dict[str, Totals]:
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(getattr(r, key), []).append(r)
    return {k: totals(v) for k, v in sorted(groups.items())}


def top_reasons(results: list[CaseResult], status: str, limit: int = 15) -> list[tuple[str, int, list[str]]]:
    """Most common reasons for ``status``, each with the ops it hit."""
    by_reason: dict[str, list[CaseResult]] = {}
    for r in results:
        if r.status == status:
            by_reason.setdefault(_generic_reason(r.reason), []).append(r)
    ranked = sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    return [(reason, len(rs), sorted({r.op for r in rs})) for reason, rs in ranked]


def _generic_reason(reason: str) -> str:
    """Group reasons that differ only in numbers (sizes, values) together."""
    import re

    reason = re.sub(r"tensor<[^<>]*(<[^<>]*(<[^<>]*>[^<>]*)*>[^<>]*)*>", "tensor<...>", reason)
    return re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "N", reason)[:200]


def write_report(
    path: Path, directory: str, results: list[CaseResult], argv: list[str], planned: int | None = None
) -> None:
    """The JSON report; ``planned`` > ``len(results)`` marks a partial report written during a run."""
    t = totals(results)
    report = {
        "directory": directory,
        "command": argv,
        "complete": planned is None or planned == len(results),
        "cases_planned": planned if planned is not None else len(results),
        "totals": {
            **asdict(t),
            "total": t.total,
            "pass_rate": t.pass_rate,
            "supported_pass_rate": t.supported_pass_rate,
        },
        "by_dtype_class": {k: asdict(v) for k, v in breakdown(results, "dtype_class").items()},
        "by_dtype": {k: asdict(v) for k, v in breakdown(results, "dtype").items()},
        "by_op": {k: asdict(v) for k, v in breakdown(results, "op").items()},
        "top_unsupported": top_reasons(results, "unsupported", 30),
        "top_failures": top_reasons(results, "fail", 30),
        "cases": [asdict(r) for r in results],
    }
    Path(path).write_text(json.dumps(report, indent=1))
