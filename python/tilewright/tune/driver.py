"""``tilewright tune``: search the default schedule's knobs of every distinct op group of a program.

For each group with knobs (contractions, convolutions, attention chains; one per distinct
signature), in program order:

1. the default schedule is measured first, as the baseline;
2. each strategy proposes valid points (:mod:`.strategies`) until the budget is measured;
   every candidate compiles and runs in a worker process with a time limit
   (:mod:`.measure`, or Ray tasks, :mod:`.ray_pool`), its result checked against the default's,
   its time taken in the same interleaved rounds as the baseline's; each outcome is
   committed to the database (:mod:`.database`) at once, and a point an earlier run
   measured is taken from there instead;
3. the best few are timed again together with the baseline, in the same rounds, and only
   one faster than the default there becomes the group's best entry (noise cannot crown a
   loser); later groups are tuned with it applied.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.schedule.knobs import TunableGroup
from tilewright.tune.database import Key, TuningDatabase, knobs_text
from tilewright.tune.measure import LocalPool, Outcome, Program
from tilewright.tune.space import Point, Space, build_space, point_key
from tilewright.tune.strategies import STRATEGIES, Accounting, Observation, make_strategy

# A candidate becomes the group's entry only if, timed again in the same rounds as the default,
# it is at least this much faster: below, the difference is within the noise of a shared machine
# (the GPT block's last matmul was crowned at 1.004x before).
MIN_GAIN = 1.02

Injector = Callable[[int, Point], str | None]
"""Tests only: (candidate number in its group, point) -> "crash" | "hang" | "wrong" | None."""


@dataclass
class TuneConfig:
    file: str
    entry: str = "main"
    strategies: tuple[str, ...] = ("model",)
    budget: int = 16  # measured candidates per group and strategy
    workers: int = 1
    ray_address: str | None = None
    db: str | Path | None = None
    target: str = "cpu"
    threads: int = 1
    seed: int = 0
    timeout_s: float = 60.0
    rounds: int = 7
    # Seconds per calibrated batch: at 0.05 a 40-80 ms program ran one call per batch and the GPT
    # block's crowned entries (1.04-1.22x per group) measured 0.84x the default together, in 9
    # rounds of 0.3 s batches. The final re-measurement batches final_min_time_s.
    min_time_s: float = 0.1
    final_min_time_s: float = 0.3
    top: int = 3  # candidates timed again against the baseline at the end
    final_rounds: int = 9
    inject: Injector | None = None

    def __post_init__(self) -> None:
        where = SourceLocation("tilewright tune")
        bad = [s for s in self.strategies if s not in STRATEGIES]
        if bad or not self.strategies:
            raise TilewrightError(
                f"unknown strategy {', '.join(bad) or '(none)'} (known: {', '.join(STRATEGIES)})", where
            )
        if self.budget < 1:
            raise TilewrightError(f"--budget must be at least 1, got {self.budget}", where)
        if "model" in self.strategies:
            try:
                import sklearn  # noqa: F401
            except ImportError:
                raise TilewrightError(
                    "the model strategy needs scikit-learn: pip install tilewright[tune]", where
                ) from None
        if self.target != "cpu":
            raise TilewrightError(f"--target {self.target}: only the cpu target has tunable schedules yet", where)


@dataclass
class Step:
    """One candidate of a search, in the order it finished."""

    strategy: str
    point: Point
    outcome: Outcome
    gflops: float | None
    from_database: bool = False


@dataclass
class GroupResult:
    group: TunableGroup
    space_size: int
    accounting: dict[str, Accounting] = field(default_factory=dict)  # by strategy
    steps: list[Step] = field(default_factory=list)
    baseline: Outcome | None = None
    best: Point | None = None  # None: the default stays best
    speedup: float = 1.0  # the best's, re-measured against the baseline in the same rounds
    final: list[tuple[Point, float]] = field(default_factory=list)  # (point, speedup) of the re-measurement

    def default_gflops(self) -> float | None:
        """The default's GFLOP/s: over the median of every baseline time of the search (each
        candidate was timed with the default in its rounds), so one slow moment does not set it."""
        times = [s.outcome.baseline_s for s in self.steps if s.outcome.baseline_s and not s.from_database]
        if self.baseline is not None and self.baseline.baseline_s:
            times.append(self.baseline.baseline_s)
        if not times or not self.flops:
            return None
        return self.flops / statistics.median(times) / 1e9

    def best_so_far(self, strategy: str) -> list[float]:
        """Best-so-far speedup over the default after each measurement of ``strategy``: each
        candidate's time over the default's in the same rounds, so load from other processes
        between candidates does not reorder them (absolute GFLOP/s did: a loaded minute made
        the default look 3x slower than the candidates after it)."""
        trace: list[float] = []
        best = 1.0
        for step in (s for s in self.steps if s.strategy == strategy):
            best = max(best, step.outcome.speedup)
            trace.append(best)
        return trace

    flops: int | None = None


@dataclass
class TuneReport:
    file: str
    cpu: str
    db: Path
    groups: list[GroupResult]
    strategies: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "cpu": self.cpu,
            "db": str(self.db),
            "groups": [
                {
                    "group": g.group.what,
                    "signature": g.group.signature,
                    "space": g.space_size,
                    "best": g.best,
                    "speedup": g.speedup,
                    "accounting": {s: a.as_json() for s, a in g.accounting.items()},
                    "final": [{"knobs": p, "speedup": x} for p, x in g.final],
                    "default_gflops": g.default_gflops(),
                    "best_so_far_speedup": {s: g.best_so_far(s) for s in g.accounting},
                }
                for g in self.groups
            ],
        }


def tunable_groups(file: str, entry: str = "main", threads: int = 1) -> tuple[list[TunableGroup], int | None]:
    """The distinct groups with knobs of the program's default schedule, and its flop count."""
    from tilewright.bench.flops import count_flops
    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import read_source
    from tilewright.schedule.context import build_in
    from tilewright.schedule.default import default_schedule
    from tilewright.target.cpu.host import targeting

    options = CompileOptions(entry=entry, schedule="none", threads=threads)
    compilation = start(read_source(file), options)
    flops = count_flops(compilation.module).total
    module = compilation.module
    with targeting(options.cpu_model), module.context, build_in(module.context):
        schedule = default_schedule(module, threads)
    groups: dict[str, TunableGroup] = {}
    for group in getattr(schedule, "tunable", []) if schedule is not None else []:
        groups.setdefault(group.signature, group)
    return list(groups.values()), flops


def _backend(config: TuneConfig, program: Program) -> Any:
    if config.ray_address:
        from tilewright.tune.ray_pool import RayPool

        return RayPool(program, config.ray_address)
    return LocalPool(program, config.workers)


def tune(config: TuneConfig, log: Callable[[str], None] | None = None, progress: Any = None) -> TuneReport:
    """Run the search (see the module docstring); ``progress`` is a :class:`.report.Progress`."""
    from tilewright.schedule.tuned import cpu_key
    from tilewright.target.cpu.host import cpu_model

    say = log or (lambda _m: None)
    cpu = cpu_model(None)
    groups, flops = tunable_groups(config.file, config.entry, config.threads)
    database = TuningDatabase(config.db)
    report = TuneReport(config.file, cpu_key(cpu), database.path, [], config.strategies)
    if not groups:
        say("no op group of this program has knobs (no contraction, convolution or attention): nothing to tune")
    base: dict[str, dict[str, int]] = {}
    backend: Any = None  # one for the run (a Ray instance starts once), set up anew per group
    try:
        for group in groups:
            space = build_space(group, cpu)
            result = GroupResult(group, space.size, flops=flops)
            report.groups.append(result)
            key = Key(group.signature, config.target, report.cpu)
            program = Program(
                os.fspath(config.file),
                config.entry,
                config.threads,
                config.seed,
                dict(base),  # the groups tuned so far, applied
                config.rounds,
                config.min_time_s,
                config.timeout_s,
                config.final_min_time_s,
            )
            if backend is None:
                backend = _backend(config, program)
            else:
                backend.reset(program)
            search = GroupSearch(config, space, key, result, backend, database, say, progress)
            _search_group(search)
            _crown(search)
            if result.best is not None:
                base[group.signature] = result.best
    finally:
        if backend is not None:
            backend.close()
        database.close()
    return report


@dataclass
class GroupSearch:
    """What the search of one group works with."""

    config: TuneConfig
    space: Space
    key: Key
    result: GroupResult
    backend: Any
    database: TuningDatabase
    say: Callable[[str], None]
    progress: Any = None


def _search_group(search: GroupSearch) -> None:
    config, space, key, result = search.config, search.space, search.key, search.result
    backend, database, say, progress = search.backend, search.database, search.say, search.progress
    group = space.group
    signature = group.signature
    say(f"{group.what}: {signature}; {space.size} points, {len(space.constraints)} constraints")
    baseline: Outcome | None = None

    def first(_i: int, outcome: Outcome) -> None:
        nonlocal baseline
        baseline = outcome

    backend.measure([({signature: space.default}, None)], first)
    assert baseline is not None
    if baseline.status != "measured":
        raise TilewrightError(
            f"the default schedule of {group.what} did not run: {baseline.status}: {baseline.detail}",
            SourceLocation(config.file),
        )
    result.baseline = baseline
    database.record(key, space.default, "baseline", config.file, median_s=baseline.baseline_s, speedup=1.0)
    earlier = database.earlier(key)
    number = 0
    for index, name in enumerate(config.strategies):
        accounting = result.accounting.setdefault(name, Accounting())
        strategy = make_strategy(name, space, accounting, config.seed + index)
        history: list[Observation] = []
        done_count = 0
        if progress is not None:
            progress.start(f"{group.what} [{name}]", config.budget)
        while done_count < config.budget:
            points = strategy.propose(min(max(1, backend.width), config.budget - done_count), history)
            if not points:
                say(f"{group.what} [{name}]: the valid space is exhausted after {done_count} candidates")
                break
            jobs: list[tuple[dict[str, dict[str, int]], str | None]] = []
            fresh: list[Point] = []
            for point in points:
                row = earlier.get(knobs_text(point))
                number += 1
                if row is not None:  # measured by an earlier run: not measured again
                    outcome = Outcome(
                        row["status"], row["median_s"], row["baseline_s"], row["compile_s"], row["detail"] or ""
                    )
                    _note(result, accounting, history, name, point, outcome, True, say, progress)
                    done_count += 1
                    continue
                inject = config.inject(number, point) if config.inject else None
                jobs.append(({signature: point}, inject))
                fresh.append(point)

            def done(
                i: int,
                outcome: Outcome,
                fresh: list[Point] = fresh,
                name: str = name,
                accounting: Accounting = accounting,
                history: list[Observation] = history,
            ) -> None:
                point = fresh[i]
                gflops = result.flops / outcome.median_s / 1e9 if result.flops and outcome.median_s else None
                database.record(
                    key,
                    point,
                    outcome.status,
                    config.file,
                    median_s=outcome.median_s,
                    baseline_s=outcome.baseline_s,
                    speedup=outcome.speedup,
                    gflops=gflops,
                    compile_s=outcome.compile_s,
                    detail=outcome.detail[:500],
                    strategy=name,
                )
                earlier[knobs_text(point)] = {
                    "status": outcome.status,
                    "median_s": outcome.median_s,
                    "baseline_s": outcome.baseline_s,
                    "compile_s": outcome.compile_s,
                    "detail": outcome.detail,
                }
                _note(result, accounting, history, name, point, outcome, False, say, progress)

            backend.measure(jobs, done)
            done_count += len(jobs)
        if progress is not None:
            progress.stop()


def _note(
    result: GroupResult,
    accounting: Accounting,
    history: list[Observation],
    strategy: str,
    point: Point,
    outcome: Outcome,
    from_database: bool,
    say: Callable[[str], None],
    progress: Any,
) -> None:
    gflops = result.flops / outcome.median_s / 1e9 if result.flops and outcome.median_s else None
    result.steps.append(Step(strategy, point, outcome, gflops, from_database))
    accounting.outcomes[outcome.status] += 1
    accounting.from_database += from_database
    history.append(Observation(point, outcome.speedup))
    best = max((s.outcome.speedup for s in result.steps if s.strategy == strategy), default=0.0)
    where = " (from the database)" if from_database else ""
    shown = f"{outcome.speedup:.2f}x" if outcome.status == "measured" else f"{outcome.status}: {outcome.detail[:120]}"
    say(f"  [{strategy}] {point_key(point)}: {shown}{where}; best {best:.2f}x")
    if progress is not None:
        progress.advance(best, gflops)


def _crown(search: GroupSearch) -> None:
    """Time the best few again with the baseline in the same rounds; record the group's best."""
    config, space, key, result = search.config, search.space, search.key, search.result
    backend, database, say = search.backend, search.database, search.say
    signature = space.group.signature
    ranked: dict[str, tuple[Point, float]] = {}
    for step in result.steps:
        if step.outcome.status == "measured":
            k = point_key(step.point)
            ranked[k] = max(ranked.get(k, (step.point, 0.0)), (step.point, step.outcome.speedup), key=lambda t: t[1])
    top = sorted(ranked.values(), key=lambda t: -t[1])[: config.top]
    top = [t for t in top if t[1] > 1.0]
    measurements = database.count(key) - database.count(key, "baseline")
    if not top:
        say(f"{space.group.what}: no candidate beat the default; the default stays")
        database.set_best(
            key, {}, 1.0, result.baseline.baseline_s or 0.0, result.baseline.baseline_s or 0.0, measurements
        )  # type: ignore[union-attr]
        return
    medians, baseline_s = backend.final([{signature: p} for p, _ in top], config.final_rounds)
    result.final = [(p, baseline_s / m) for (p, _), m in zip(top, medians, strict=True)]
    winner, speedup = max(result.final, key=lambda t: t[1])
    if speedup < MIN_GAIN:
        say(f"{space.group.what}: re-measured with the default, none of the best {len(top)} gained {MIN_GAIN}x: kept")
        database.set_best(key, {}, 1.0, baseline_s, baseline_s, measurements)
        return
    result.best, result.speedup = winner, speedup
    say(f"{space.group.what}: best {point_key(winner)}: {speedup:.2f}x the default (re-measured in the same rounds)")
    database.set_best(key, winner, speedup, baseline_s / speedup, baseline_s, measurements)


def run(
    file: str,
    *,
    strategies: Sequence[str] = ("model",),
    log: Callable[[str], None] | None = None,
    progress: Any = None,
    **options: Any,
) -> TuneReport:
    """:func:`tune` from keyword options (``tilewright.tune(...)``)."""
    return tune(TuneConfig(str(file), strategies=tuple(strategies), **options), log, progress)
