"""Measuring candidates in worker processes with a time limit (:mod:`tilewright.tune.worker`).

A :class:`WorkerClient` owns one worker process for one program. A candidate that crashes
the worker (a compiler assertion, a segfault in its code) ends as ``crashed`` with the
signal, one that outlives the time limit is killed and ends as ``timeout``; either way the
next candidate gets a fresh worker. A :class:`LocalPool` runs ``workers`` of them side by
side (one is the default: timings on the same cores interfere); :mod:`tilewright.tune.ray_pool`
runs the same measurements as Ray tasks.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tilewright.bench import worker as protocol


@dataclass(frozen=True)
class Program:
    """What every worker sets up: the program, its inputs, and the groups tuned so far (``base``)."""

    file: str
    entry: str = "main"
    threads: int = 1
    seed: int = 0
    base: dict[str, dict[str, int]] = field(default_factory=dict)
    rounds: int = 5
    min_time_s: float = 0.05
    timeout_s: float = 60.0
    # The final re-measurement (the best few with the default) decides what is recorded: longer
    # batches than the search's.
    final_min_time_s: float = 0.3

    def setup_request(self) -> dict[str, Any]:
        return {
            "op": "setup",
            "file": self.file,
            "entry": self.entry,
            "threads": self.threads,
            "seed": self.seed,
            "base": self.base,
        }


@dataclass
class Outcome:
    """What one candidate's measurement gave. ``status``: measured | wrong | compile-failed |
    crashed | timeout | error."""

    status: str
    median_s: float | None = None
    baseline_s: float | None = None
    compile_s: float | None = None
    detail: str = ""

    @property
    def speedup(self) -> float:
        """Baseline median / candidate median, timed in the same rounds (0 when not measured)."""
        if self.status != "measured" or not self.median_s or not self.baseline_s:
            return 0.0
        return self.baseline_s / self.median_s


class WorkerDied(Exception):
    def __init__(self, status: str, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class WorkerClient:
    """One worker process set up for ``program``; restarted after a candidate kills it."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None

    def _start(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        env.setdefault("OMP_NUM_THREADS", "1")
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "tilewright.tune.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        reply = self._request(self.program.setup_request(), self.program.timeout_s * 2)
        if not reply.get("ok"):
            raise WorkerDied("error", f"the baseline does not compile: {reply.get('error')}")

    def _request(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            protocol.send(process.stdin, message)
            ready, _, _ = select.select([process.stdout], [], [], timeout_s)
            if not ready:
                self.kill()
                raise WorkerDied("timeout", f"no answer within {timeout_s:g} s: killed")
            reply = protocol.receive(process.stdout)
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:
            code = process.wait()
            tail = self._stderr_tail()
            self._process = None
            if code < 0:
                raise WorkerDied("crashed", f"{signal.Signals(-code).name}{tail}")
            raise WorkerDied("crashed", f"exited with status {code}{tail}")
        return reply

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = [ln for ln in self._stderr.read().decode(errors="replace").splitlines() if ln.strip()]
        return f": {lines[-1].strip()[:200]}" if lines else ""

    def call(self, message: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        """One request (the worker started first if needed); WorkerDied when it did not survive."""
        if self._process is None:
            self._start()
        return self._request(message, timeout_s or self.program.timeout_s)

    def measure(self, knobs: dict[str, dict[str, int]], inject: str | None = None) -> Outcome:
        try:
            reply = self.call(
                {
                    "op": "measure",
                    "knobs": knobs,
                    "rounds": self.program.rounds,
                    "min_time_s": self.program.min_time_s,
                    "inject": inject,
                }
            )
        except WorkerDied as died:
            return Outcome(died.status, detail=died.detail)
        if not reply.get("ok"):
            return Outcome("error", detail=reply.get("error", ""))
        return Outcome(
            reply["status"],
            reply.get("median_s"),
            reply.get("baseline_s"),
            reply.get("compile_s"),
            reply.get("detail", ""),
        )

    def final(self, candidates: Sequence[dict[str, dict[str, int]]], rounds: int) -> tuple[list[float], float]:
        """(medians, baseline median) of ``candidates`` and the baseline timed in the same rounds."""
        timeout = self.program.timeout_s * (len(candidates) + 1)
        request = {
            "op": "final",
            "candidates": list(candidates),
            "rounds": rounds,
            "min_time_s": self.program.final_min_time_s,
        }
        reply = self.call(request, timeout)
        if not reply.get("ok"):
            raise WorkerDied("error", reply.get("error", ""))
        return reply["medians"], reply["baseline_s"]

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def close(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            try:
                assert process.stdin is not None
                protocol.send(process.stdin, {"op": "quit"})
                process.stdin.close()
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


Job = tuple[dict[str, dict[str, int]], str | None]  # (knobs by signature, injected failure)


class LocalPool:
    """``workers`` worker processes on this machine, one candidate each at a time."""

    def __init__(self, program: Program, workers: int = 1) -> None:
        self.program = program
        self.clients = [WorkerClient(program) for _ in range(max(1, workers))]
        self.width = len(self.clients)

    def measure(self, jobs: Sequence[Job], done: Callable[[int, Outcome], None]) -> None:
        """Measure ``jobs`` (at most ``width`` at once); ``done(index, outcome)`` as each finishes."""
        if self.width == 1:
            for i, (knobs, inject) in enumerate(jobs):
                done(i, self.clients[0].measure(knobs, inject))
            return
        with ThreadPoolExecutor(self.width) as pool:
            for start in range(0, len(jobs), self.width):
                batch = list(enumerate(jobs))[start : start + self.width]
                futures = [
                    (i, pool.submit(client.measure, knobs, inject))
                    for client, (i, (knobs, inject)) in zip(self.clients, batch, strict=False)
                ]
                for i, future in futures:
                    done(i, future.result())

    def final(self, candidates: Sequence[dict[str, dict[str, int]]], rounds: int) -> tuple[list[float], float]:
        return self.clients[0].final(candidates, rounds)

    def reset(self, program: Program) -> None:
        """Measure ``program`` from now on (fresh workers: their baseline changed)."""
        self.close()
        self.program = program
        self.clients = [WorkerClient(program) for _ in range(self.width)]

    def close(self) -> None:
        for client in self.clients:
            client.close()


def measure_once(program: Program, knobs: dict[str, dict[str, int]], inject: str | None = None) -> Outcome:
    """One candidate in a fresh worker (a Ray task's body: nothing is kept between tasks)."""
    began = time.perf_counter()
    client = WorkerClient(program)
    try:
        try:
            client.call({"op": "ping"}, program.timeout_s * 2)  # starts and sets up the worker
        except WorkerDied as died:
            return Outcome(died.status, detail=died.detail)
        outcome = client.measure(knobs, inject)
    finally:
        client.close()
    outcome.detail = outcome.detail or f"worker {time.perf_counter() - began:.1f} s"
    return outcome
