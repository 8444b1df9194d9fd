"""The measurement worker: a process of its own that compiles and times candidates of one program.

Started by :class:`tilewright.tune.measure.WorkerClient` as ``python -m tilewright.tune.worker``
and driven over a pipe (length-prefixed pickles, :mod:`tilewright.bench.worker`'s protocol).
A candidate that crashes the compiler or its own code kills only this process, one that hangs
is killed at the parent's deadline; the parent records it and starts a fresh worker.

Requests:

- ``{"op": "setup", "file", "entry", "threads", "seed", "base": {signature: knobs}}`` ->
  ``{"ok"}``: compiles the baseline (the default schedule with ``base``,
  the groups tuned so far), makes seeded inputs and the reference result;
- ``{"op": "measure", "knobs": {signature: knobs}, "rounds", "min_time_s", "inject"}`` ->
  ``{"ok", "status", "median_s", "baseline_s", "compile_s", "detail"}``: compiles the candidate,
  checks its result against the baseline's, then times both interleaved (same rounds);
- ``{"op": "final", "candidates": [knobs...], "rounds", "min_time_s"}`` -> ``{"ok", "medians",
  "baseline_s"}``: the baseline and every candidate timed in the same rounds;
- ``{"op": "quit"}``.

``inject`` (tests only) makes the candidate crash (``SIGABRT``), hang, or compute a wrong
result, so the isolation is tested on real failures.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from typing import Any

from tilewright.bench.worker import receive, send


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class Session:
    """The program, its inputs, and the baseline executable with its reference result."""

    def __init__(self, request: dict[str, Any]) -> None:
        from tilewright.ingress.formats import read_source
        from tilewright.runtime.inputs import random_inputs

        self.source = read_source(request["file"])
        self.entry = request.get("entry", "main")
        self.threads = request.get("threads", 1)
        self.base: dict[str, dict[str, int]] = request.get("base", {})
        baseline, _, self.base_warnings = self._compile({})
        self.baseline = baseline
        self.inputs = random_inputs(baseline.signature, request.get("seed", 0))
        self.reference = self._results(baseline)

    def _compile(self, knobs: dict[str, dict[str, int]]) -> tuple[Any, Any, list[str]]:
        from tilewright.compiler import CompileOptions, Executable, start
        from tilewright.schedule.source import DefaultSchedule

        schedule = DefaultSchedule(tuned=False, knobs={**self.base, **knobs})
        options = CompileOptions(entry=self.entry, schedule=schedule, threads=self.threads)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            compilation = start(self.source, options)
            executable = Executable(compilation)
        messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        return executable, compilation, messages

    def _results(self, executable: Any) -> list[Any]:
        import numpy as np

        out = executable(*self.inputs)
        return [np.array(r) for r in (out if isinstance(out, tuple) else (out,))]

    def _batch(self, executable: Any) -> Any:
        inputs = self.inputs

        def run(calls: int) -> tuple[float, float]:
            cpu0, wall0 = _cpu_seconds(), time.perf_counter()
            for _ in range(calls):
                executable(*inputs)
            return time.perf_counter() - wall0, _cpu_seconds() - cpu0

        return run

    def measure(self, request: dict[str, Any]) -> dict[str, Any]:
        from tilewright.bench.runner import compare_results
        from tilewright.bench.timing import Contender, time_interleaved
        from tilewright.diagnostics import TilewrightError

        inject = request.get("inject")
        began = time.perf_counter()
        try:
            if inject == "crash":
                os.abort()
            if inject == "hang":
                time.sleep(1e6)
            candidate, _, messages = self._compile(request["knobs"])
        except TilewrightError as exc:
            return {"ok": True, "status": "compile-failed", "detail": exc.summary()}
        compile_s = time.perf_counter() - began
        new = [m for m in messages if m not in self.base_warnings]
        if new:  # a part of the default schedule failed and fell back: not this candidate's schedule
            return {"ok": True, "status": "compile-failed", "detail": new[0][:300], "compile_s": compile_s}
        results = self._results(candidate)
        if inject == "wrong":
            results = [r + 1 for r in results]
        check = compare_results(self.reference, results)
        if not check["passed"]:
            return {"ok": True, "status": "wrong", "detail": check["reason"], "compile_s": compile_s}
        contenders = [Contender("baseline", self._batch(self.baseline)), Contender("candidate", self._batch(candidate))]
        stats = time_interleaved(contenders, request.get("rounds", 5), request.get("min_time_s", 0.05))
        return {
            "ok": True,
            "status": "measured",
            "median_s": stats["candidate"].median_s,
            "baseline_s": stats["baseline"].median_s,
            "iqr_pct": stats["candidate"].iqr_pct,
            "compile_s": compile_s,
        }

    def final(self, request: dict[str, Any]) -> dict[str, Any]:
        from tilewright.bench.timing import Contender, time_interleaved

        contenders = [Contender("baseline", self._batch(self.baseline))]
        for i, knobs in enumerate(request["candidates"]):
            executable, _, _ = self._compile(knobs)
            contenders.append(Contender(str(i), self._batch(executable)))
        stats = time_interleaved(contenders, request.get("rounds", 7), request.get("min_time_s", 0.05))
        medians = [stats[str(i)].median_s for i in range(len(request["candidates"]))]
        return {"ok": True, "medians": medians, "baseline_s": stats["baseline"].median_s}


def serve() -> int:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # library chatter goes to stderr, never into the protocol
    sys.stdout = sys.stderr
    session: Session | None = None
    while True:
        request = receive(sys.stdin.buffer)
        if request is None or request.get("op") == "quit":
            return 0
        try:
            if request["op"] == "setup":
                session = Session(request)
                reply = {"ok": True}
            elif request["op"] == "ping":
                reply = {"ok": session is not None}
            elif session is None:
                reply = {"ok": False, "error": "measure before setup"}
            elif request["op"] == "measure":
                reply = session.measure(request)
            elif request["op"] == "final":
                reply = session.final(request)
            else:
                reply = {"ok": False, "error": f"unknown request {request['op']!r}"}
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as a message
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        send(replies, reply)


if __name__ == "__main__":
    sys.exit(serve())
