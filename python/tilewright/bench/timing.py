"""Interleaved, calibrated timing of several implementations of one program.

Every implementation gets a batch size calibrated so one batch lasts at
least ``min_time`` (timer resolution and call overhead become negligible).
Then the implementations are timed in rounds: each round runs one batch of
each, in an order rotated from round to round, so a burst of load from other
processes on a shared machine hits all of them alike instead of whichever
happened to run then. The statistic is the median over rounds of the per-call
time; the spread is the interquartile range relative to the median.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# n calls -> (wall seconds, CPU seconds of the process that ran them)
BatchRunner = Callable[[int], tuple[float, float]]

MAX_CALLS_PER_BATCH = 1 << 24


@dataclass
class Contender:
    """One implementation under test: a name and how to run a batch of calls."""

    name: str
    run_batch: BatchRunner
    calls_per_batch: int = 1
    per_call_s: list[float] = field(default_factory=list)
    cpu_per_wall: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class TimeStats:
    """Per-call time over rounds (seconds)."""

    median_s: float
    q1_s: float
    q3_s: float
    min_s: float
    max_s: float
    samples_s: tuple[float, ...]
    calls_per_batch: int
    cpu_per_wall: float  # CPU time / wall time while timing: ~ the number of busy cores

    @property
    def iqr_pct(self) -> float:
        """Interquartile range as a percentage of the median."""
        return 100.0 * (self.q3_s - self.q1_s) / self.median_s if self.median_s > 0 else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "median_s": self.median_s,
            "q1_s": self.q1_s,
            "q3_s": self.q3_s,
            "iqr_pct": self.iqr_pct,
            "min_s": self.min_s,
            "max_s": self.max_s,
            "rounds": len(self.samples_s),
            "calls_per_batch": self.calls_per_batch,
            "cpu_per_wall": self.cpu_per_wall,
            "samples_s": list(self.samples_s),
        }


def quartiles(samples: Sequence[float]) -> tuple[float, float, float]:
    """(Q1, median, Q3) with linear interpolation; a single sample is all three."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    q1, q2, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return q1, q2, q3


def summarize(per_call_s: Sequence[float], calls_per_batch: int, cpu_per_wall: Sequence[float]) -> TimeStats:
    if not per_call_s:
        raise ValueError("no samples")
    q1, median, q3 = quartiles(per_call_s)
    return TimeStats(
        median_s=median,
        q1_s=q1,
        q3_s=q3,
        min_s=min(per_call_s),
        max_s=max(per_call_s),
        samples_s=tuple(per_call_s),
        calls_per_batch=calls_per_batch,
        cpu_per_wall=statistics.median(cpu_per_wall) if cpu_per_wall else 0.0,
    )


def calibrate(run_batch: BatchRunner, min_time_s: float) -> int:
    """Calls per batch so that one batch takes at least ``min_time_s`` (the first batch is a warm-up)."""
    calls = 1
    run_batch(1)  # warm-up: first-call costs (page faults, lazy initialization) are not measured
    while calls < MAX_CALLS_PER_BATCH:
        wall, _ = run_batch(calls)
        if wall >= min_time_s:
            return calls
        # Aim 20% past the target, but grow at most 100x per step in case the first batch was a fluke.
        grow = min_time_s * 1.2 / wall if wall > 0 else 100.0
        calls = min(MAX_CALLS_PER_BATCH, max(calls + 1, math.ceil(calls * min(grow, 100.0))))
    return calls


def time_interleaved(
    contenders: Sequence[Contender],
    rounds: int,
    min_time_s: float,
    on_round: Callable[[int], None] | None = None,
) -> dict[str, TimeStats]:
    """Calibrate each contender, then time ``rounds`` rounds of one batch each, interleaved."""
    for c in contenders:
        c.calls_per_batch = calibrate(c.run_batch, min_time_s)
    for r in range(rounds):
        shift = r % len(contenders)
        for c in [*contenders[shift:], *contenders[:shift]]:
            wall, cpu = c.run_batch(c.calls_per_batch)
            c.per_call_s.append(wall / c.calls_per_batch)
            c.cpu_per_wall.append(cpu / wall if wall > 0 else 0.0)
        if on_round is not None:
            on_round(r + 1)
    return {c.name: summarize(c.per_call_s, c.calls_per_batch, c.cpu_per_wall) for c in contenders}
