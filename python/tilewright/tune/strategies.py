"""Search strategies: which points of a group's space to measure next.

Every strategy proposes points that satisfy the space's constraints; the points it generated
and threw away are counted in :class:`Accounting` (by constraint, or as already measured),
so a run says exactly how many candidates it looked at and what became of each.

- ``random``: uniform over the options, rejection-sampled against the constraints;
- ``evolutionary``: mutations (a knob moved to a nearby option) and crossovers of the best
  points measured so far, kept within the constraints; random until there are parents;
- ``microkernel``: TTile's order: the register tile first (every valid ``mr x nr``, best
  prior first, cache tiles at the library's values), then the cache tiles grown around
  the best register tile measured;
- ``model``: the whole valid space ranked by a gradient-boosted-trees cost model over cheap
  features (:func:`.space.features`), retrained on every measurement (rank many, measure
  few); before it has enough measurements it ranks microkernel-first by the prior.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tilewright.tune.space import Point, Space, clamp, features, point_key, prior_score

STRATEGIES = ("random", "evolutionary", "microkernel", "model")

MAX_TRIES_PER_POINT = 5000  # random draws per wanted point before the space counts as exhausted (~10 ms)


@dataclass
class Accounting:
    """What became of every candidate of one group's search."""

    generated: int = 0
    rejected: Counter[str] = field(default_factory=Counter)  # by constraint name
    duplicates: int = 0  # proposed again (already measured or pending)
    from_database: int = 0  # measured by an earlier run: taken from the database
    outcomes: Counter[str] = field(default_factory=Counter)  # measured, crashed, timeout, wrong, compile-failed

    def lines(self) -> list[str]:
        rejected = ", ".join(f"{n} {c}" for n, c in sorted(self.rejected.items())) or "none"
        outcomes = ", ".join(f"{n} {c}" for n, c in sorted(self.outcomes.items())) or "none"
        return [
            f"generated {self.generated}: rejected by constraint {sum(self.rejected.values())} ({rejected}), "
            f"already seen {self.duplicates}",
            f"candidates {sum(self.outcomes.values())}: {outcomes}; of them from the database {self.from_database}",
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "generated": self.generated,
            "rejected_by_constraint": dict(self.rejected),
            "duplicates": self.duplicates,
            "from_database": self.from_database,
            "outcomes": dict(self.outcomes),
        }


@dataclass
class Observation:
    """A point's outcome: ``speedup`` over the default (0 for a failed candidate)."""

    point: Point
    speedup: float


class Strategy:
    name = ""

    def __init__(self, space: Space, accounting: Accounting, seed: int = 0) -> None:
        self.space = space
        self.accounting = accounting
        self.rng = random.Random(seed)
        self.seen: set[str] = {point_key(space.default)}  # the baseline is measured anyway

    def propose(self, count: int, history: Sequence[Observation]) -> list[Point]:
        """Up to ``count`` new valid points (fewer when the space is exhausted)."""
        raise NotImplementedError

    def _admit(self, point: Point, out: list[Point]) -> bool:
        """Count ``point`` and keep it if valid and new."""
        self.accounting.generated += 1
        broken = self.space.violated(point)
        if broken:
            self.accounting.rejected[broken[0]] += 1
            return False
        key = point_key(point)
        if key in self.seen:
            self.accounting.duplicates += 1
            return False
        self.seen.add(key)
        out.append(point)
        return True

    def _random(self, count: int) -> list[Point]:
        out: list[Point] = []
        tries = 0
        while len(out) < count and tries < MAX_TRIES_PER_POINT * count:
            tries += 1
            self._admit(self.space.random_point(self.rng), out)
        return out


class RandomStrategy(Strategy):
    name = "random"

    def propose(self, count: int, history: Sequence[Observation]) -> list[Point]:
        return self._random(count)


class EvolutionaryStrategy(Strategy):
    name = "evolutionary"
    population = 6

    def propose(self, count: int, history: Sequence[Observation]) -> list[Point]:
        parents = sorted((o for o in history if o.speedup > 0), key=lambda o: -o.speedup)[: self.population]
        if len(parents) < 2:
            return self._random(count)
        out: list[Point] = []
        tries = 0
        while len(out) < count and tries < MAX_TRIES_PER_POINT * count:
            tries += 1
            a = self._tournament(parents)
            child = dict(a.point)
            if self.rng.random() < 0.3:
                b = self._tournament(parents)
                child = {k: (a.point if self.rng.random() < 0.5 else b.point)[k] for k in child}
            for name in self.rng.sample(self.space.names, k=self.rng.choice((1, 1, 2))):
                child = self.space.neighbor(child, name, self.rng.choice((-2, -1, 1, 2)))
            self._admit(child, out)
        return out or self._random(count)

    def _tournament(self, parents: list[Observation]) -> Observation:
        a, b = self.rng.choice(parents), self.rng.choice(parents)
        return a if a.speedup >= b.speedup else b


class MicrokernelStrategy(Strategy):
    """Register tile first, then cache tiles around the best one measured."""

    name = "microkernel"

    def __init__(self, space: Space, accounting: Accounting, seed: int = 0) -> None:
        super().__init__(space, accounting, seed)
        self._kernels: list[Point] | None = None
        self._kernel_budget = 0

    def propose(self, count: int, history: Sequence[Observation]) -> list[Point]:
        out: list[Point] = []
        if self._kernels is None:
            self._kernels = []
            for point in self._register_tiles():
                self._admit(point, self._kernels)
            self._kernels.sort(key=lambda p: -prior_score(self.space, p))
        kernel_phase = [p for p in self._kernels if point_key(p) not in {point_key(o.point) for o in history}]
        if self._kernel_budget < 4 and kernel_phase:  # a few register tiles, then grow the best one
            take = kernel_phase[: min(count, 4 - self._kernel_budget)]
            self._kernel_budget += len(take)
            self._kernels = [p for p in self._kernels if p not in take]
            return take
        best = max(history, key=lambda o: o.speedup, default=None)
        base = best.point if best is not None and best.speedup > 0 else self.space.default
        cache = [n for n in self.space.names if n not in ("mr", "nr")]
        if not cache:
            return self._kernels[:count] if self._kernels else self._random(count)
        grown: list[Point] = []
        for name in cache:
            for step in (-2, -1, 1, 2):
                self._admit(self.space.neighbor(base, name, step), grown)
        grown.sort(key=lambda p: -prior_score(self.space, p))
        out = grown[:count]
        for p in grown[count:]:  # not proposed this time: may come back later
            self.seen.discard(point_key(p))
        return out or self._random(count)

    def _register_tiles(self) -> list[Point]:
        knobs = self.space.group.knobs
        base = self.space.default
        return [
            clamp(self.space, {**base, "mr": mr, "nr": nr}) for mr in knobs["mr"].options for nr in knobs["nr"].options
        ]


class ModelStrategy(Strategy):
    """Rank the whole valid space with a cost model trained on the measurements."""

    name = "model"
    min_samples = 4  # below this, the prior ranks (microkernel-first)
    explore = 0.15  # the share of picks taken at random among the model's top tenth

    def __init__(self, space: Space, accounting: Accounting, seed: int = 0) -> None:
        super().__init__(space, accounting, seed)
        self._valid: list[Point] | None = None

    def _pool(self) -> list[Point]:
        if self._valid is None:
            self._valid = []
            for point in self.space.all_points():
                self.accounting.generated += 1
                broken = self.space.violated(point)
                if broken:
                    self.accounting.rejected[broken[0]] += 1
                else:
                    self._valid.append(point)
        return [p for p in self._valid if point_key(p) not in self.seen]

    def propose(self, count: int, history: Sequence[Observation]) -> list[Point]:
        pool = self._pool()
        if not pool:
            return []
        if len(history) < self.min_samples:
            ranked = self._microkernel_first(pool)
        else:
            ranked = self._rank(pool, history)
        out: list[Point] = []
        top = ranked[: max(count, len(ranked) // 10)]
        for point in ranked:
            if len(out) >= count:
                break
            if self.rng.random() < self.explore and len(top) > count:
                point = self.rng.choice(top)
            key = point_key(point)
            if key in self.seen:
                continue
            self.seen.add(key)
            out.append(point)
        return out

    def _microkernel_first(self, pool: list[Point]) -> list[Point]:
        """The best register tiles by the prior, each with the library's cache tiles where valid."""
        default = self.space.default
        cache = [n for n in self.space.names if n not in ("mr", "nr")]
        same_cache = [p for p in pool if all(p[n] == default[n] for n in cache)]
        rest = [p for p in pool if not all(p[n] == default[n] for n in cache)]
        return sorted(same_cache, key=lambda p: -prior_score(self.space, p)) + sorted(
            rest, key=lambda p: -prior_score(self.space, p)
        )

    def _rank(self, pool: list[Point], measured: Sequence[Observation]) -> list[Point]:
        from sklearn.ensemble import HistGradientBoostingRegressor

        samples = [Observation(self.space.default, 1.0), *measured]  # the baseline is a measurement too
        x = [[*features(self.space, o.point), prior_score(self.space, o.point)] for o in samples]
        y = [math.log(max(o.speedup, 0.05)) for o in samples]
        model = HistGradientBoostingRegressor(max_iter=80, learning_rate=0.15, min_samples_leaf=2, random_state=0)
        model.fit(x, y)
        priors = [prior_score(self.space, p) for p in pool]
        predicted = model.predict([[*features(self.space, p), prior] for p, prior in zip(pool, priors, strict=True)])
        # Trees predict in steps: among equal predictions the prior decides, not the enumeration order.
        order = sorted(range(len(pool)), key=lambda i: (-round(float(predicted[i]), 3), -priors[i]))
        return [pool[i] for i in order]


def make_strategy(name: str, space: Space, accounting: Accounting, seed: int = 0) -> Strategy:
    kinds = {
        "random": RandomStrategy,
        "evolutionary": EvolutionaryStrategy,
        "microkernel": MicrokernelStrategy,
        "model": ModelStrategy,
    }
    return kinds[name](space, accounting, seed)
