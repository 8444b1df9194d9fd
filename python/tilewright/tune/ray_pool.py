"""Measurements as Ray tasks: ``tilewright tune --ray-address ADDR`` (a cluster's address,
``ray://host:port`` through Ray Client, ``auto``) or ``local`` (a Ray instance started here).

Each task is one candidate measured in a fresh worker process on its node
(:func:`tilewright.tune.measure.measure_once`: a crash or a hang stays in that process);
at most one task per node is in flight, spread over the nodes, so timings on a node never
share its cores with another measurement. Outcomes come back to this process, which alone
writes the database. Ray is an optional dependency (``pip install tilewright[tune]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.tune.measure import Outcome, Program, WorkerClient, measure_once


def _final_task(
    program: Program, candidates: list[dict[str, dict[str, int]]], rounds: int
) -> tuple[list[float], float]:
    client = WorkerClient(program)
    try:
        return client.final(candidates, rounds)
    finally:
        client.close()


class RayPool:
    """Measure on Ray: one task per node at a time."""

    def __init__(self, program: Program, address: str, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise TilewrightError(
                "--ray-address: Ray is not installed: pip install tilewright[tune]", SourceLocation("tilewright tune")
            ) from None
        self.ray = ray
        self.program = program
        self._started = False
        if not ray.is_initialized():
            if address == "local":
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=address, log_to_driver=False)
            self._started = True
        self.width = max(1, sum(1 for n in ray.nodes() if n.get("Alive")))
        self._measure = ray.remote(num_cpus=1, max_retries=0)(measure_once).options(scheduling_strategy="SPREAD")
        self._final = ray.remote(num_cpus=1, max_retries=0)(_final_task)

    def measure(
        self, jobs: Sequence[tuple[dict[str, dict[str, int]], str | None]], done: Callable[[int, Outcome], None]
    ) -> None:
        ray = self.ray
        pending: dict[Any, int] = {}
        queue = list(enumerate(jobs))
        while queue or pending:
            while queue and len(pending) < self.width:
                i, (knobs, inject) = queue.pop(0)
                pending[self._measure.remote(self.program, knobs, inject)] = i
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i = pending.pop(ref)
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a lost task or node is that candidate's failure
                    outcome = Outcome("error", detail=f"ray: {type(exc).__name__}: {exc}"[:300])
                done(i, outcome)

    def final(self, candidates: Sequence[dict[str, dict[str, int]]], rounds: int) -> tuple[list[float], float]:
        return self.ray.get(self._final.remote(self.program, list(candidates), rounds))

    def reset(self, program: Program) -> None:
        """Measure ``program`` from now on (each task sets up its own worker anyway)."""
        self.program = program

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
