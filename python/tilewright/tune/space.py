"""The search space of one op group: the knobs its part declares, and the constraints between them.

The knobs and their options are read from the schedule itself (``transform.tune.knob`` ops,
:mod:`tilewright.schedule.knobs`); the constraints are the project's knowledge of the
machine, checked before anything is compiled (an invalid point is never compiled):

- ``registers``: the microkernel's accumulators, one row of B and a broadcast of A fit the
  vector register file (``mr * nr / lanes + nr / lanes + 1 <= registers``);
- ``L1``: a ``kc x nr`` micro-panel of B stays in the L1 data cache;
- ``L2``: an ``mc x kc`` block of packed A stays in L2;
- ``L3``: a ``kc x nc`` panel of B fits this core's share of L3;
- ``vectors`` (contractions): ``nr`` a power-of-two number of vectors: with 3 (``nr`` 48 on
  AVX-512) the packed path ran 0.03-0.14x the default (matmul 1000x999x1001, the GPT block's
  MLP; measured on Zen 5), a library limit the search need not rediscover;
- ``divides`` (attention): ``nr`` divides the head dim: its kernels are not packed, so a
  partial tile is masked in every row (``nr`` 48 at head dim 64: 50x slower, measured);
- ``model``: within the bounds of the CPU model's blocking (:meth:`.cpu.blocking.Blocking.bounds`:
  ``mr`` from the FMA latency cover to the register file, ``kc``/``mc``/``nc`` within L1/L2/L3);
- ``problem``: a tile no larger than needed (a point past the problem's size builds the same
  schedule as a smaller one: it would only be measured twice).

Divisibility holds by construction: ``nr`` is a whole number of vectors, the cache tiles whole
microkernels (``mc = mc_tiles * mr``, ``nc = nc_tiles * nr``).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tilewright.schedule.knobs import TunableGroup
from tilewright.target.cpu.host import HostCpu

Point = dict[str, int]


def point_key(point: Point) -> str:
    """A point as stable text (the database's ``knobs`` column)."""
    return ",".join(f"{k}={point[k]}" for k in sorted(point))


@dataclass
class Constraint:
    name: str
    holds: Callable[[Point], bool]
    why: str


@dataclass
class Space:
    """The knobs of one group (``group.knobs``) and the constraints they must satisfy."""

    group: TunableGroup
    cpu: HostCpu
    constraints: list[Constraint] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(self.group.knobs)

    @property
    def default(self) -> Point:
        return self.group.defaults

    @property
    def size(self) -> int:
        return math.prod(len(spec.options) for spec in self.group.knobs.values())

    def violated(self, point: Point) -> list[str]:
        """Names of the constraints ``point`` breaks (empty: valid)."""
        return [c.name for c in self.constraints if not c.holds(point)]

    def random_point(self, rng: random.Random) -> Point:
        return {name: rng.choice(spec.options) for name, spec in self.group.knobs.items()}

    def all_points(self) -> Iterator[Point]:
        names = self.names
        for values in itertools.product(*(self.group.knobs[n].options for n in names)):
            yield dict(zip(names, values, strict=True))

    def neighbor(self, point: Point, name: str, step: int) -> Point:
        """``point`` with knob ``name`` moved ``step`` options up or down (clamped)."""
        options = self.group.knobs[name].options
        i = options.index(point[name]) if point[name] in options else 0
        return {**point, name: options[min(len(options) - 1, max(0, i + step))]}


def clamp(space: Space, point: Point, keep: tuple[str, ...] = ("mr", "nr")) -> Point:
    """``point`` with its other knobs stepped down, one option at a time, until it satisfies
    the constraints (or they cannot go lower): a register tile with cache tiles that fit."""
    out = dict(point)
    for name in [n for n in space.names if n not in keep]:
        options = space.group.knobs[name].options
        while space.violated(out) and out[name] != options[0]:
            out = space.neighbor(out, name, -1)
    return out


def _model_bounds(space: Space, cpu: HostCpu, m: int) -> None:
    """The ranges within which the CPU model's blocking (:mod:`tilewright.schedule.cpu.blocking`)
    holds: ``mr`` between the latency cover and the register file (its floor only where M has
    that many rows), ``kc`` within L1, ``mc`` within L2, ``nc`` within the L3 share."""
    from tilewright.schedule.cpu import config_for

    blocking = config_for(cpu).blocking
    if blocking is None:
        return
    bounds = blocking.bounds()
    mr_low, mr_high, _ = bounds["mr"]
    mr_low = mr_low if m >= mr_low else 1
    kc_high, mc_high, nc_high = bounds["kc"][1], bounds["mc"][1], bounds["nc"][1]

    def within(p: Point) -> bool:
        if not mr_low <= p["mr"] <= mr_high or p["kc"] > kc_high:
            return False
        return p["mc_tiles"] * p["mr"] <= mc_high and p["nc_tiles"] * p["nr"] <= nc_high

    space.constraints.append(
        Constraint(
            "model",
            within,
            f"the CPU model's bounds: mr {mr_low}..{mr_high}, kc <= {kc_high}, mc <= {mc_high}, nc <= {nc_high}",
        )
    )


def _smallest_covering(options: tuple[int, ...], need: int) -> int:
    """The smallest option at least ``need`` (the largest when none is)."""
    return min((o for o in options if o >= need), default=max(options))


def build_space(group: TunableGroup, cpu: HostCpu) -> Space:
    """The space of ``group`` on ``cpu``, with the constraints that apply to its knobs."""
    lanes = cpu.vector_bits // 32
    registers = cpu.vector_registers
    size = group.itemsize
    knobs = group.knobs
    dims = group.dims
    space = Space(group, cpu)

    def add(name: str, holds: Callable[[Point], bool], why: str) -> None:
        space.constraints.append(Constraint(name, holds, why))

    add(
        "registers",
        lambda p: p["mr"] * (p["nr"] // lanes) + p["nr"] // lanes + 1 <= registers,
        f"mr*nr/{lanes} accumulators + a row of B + a broadcast <= {registers} vector registers",
    )
    if "kc" in knobs:
        l3_share = cpu.l3 // max(1, cpu.l3_sharing)
        add("L1", lambda p: p["kc"] * p["nr"] * size <= cpu.l1d, f"kc x nr panel of B <= L1d ({cpu.l1d} B)")
        add(
            "L2",
            lambda p: p["mc_tiles"] * p["mr"] * p["kc"] * size <= cpu.l2,
            f"mc x kc block of A <= L2 ({cpu.l2} B)",
        )
        add(
            "L3",
            lambda p: p["kc"] * p["nc_tiles"] * p["nr"] * size <= l3_share,
            f"kc x nc panel of B <= L3 share ({l3_share} B)",
        )
    m, n, k = dims.get("m"), dims.get("n"), dims.get("k")
    if group.kind == "contraction":
        _model_bounds(space, cpu, dims.get("m") or 0)
    if group.kind == "contraction":  # measured: 3-vector kernels ran 0.03-0.14x the default (see README)
        add(
            "vectors",
            lambda p: (p["nr"] // lanes) & (p["nr"] // lanes - 1) == 0,
            "nr a power-of-two number of vectors (the packed path is 7-30x slower at 3)",
        )
    if group.kind == "attention" and n:  # unpacked kernels: a partial nr tile is masked on every row
        add("divides", lambda p: n % p["nr"] == 0, f"nr divides the head dim ({n})")
    if m and n:
        kc_max = _smallest_covering(knobs["kc"].options, k) if "kc" in knobs and k else None

        def within(p: Point) -> bool:
            if p["mr"] > m or p["nr"] > max(lanes, -(-n // lanes) * lanes):
                return False
            if kc_max is not None and p["kc"] > kc_max:
                return False
            if "mc_tiles" in p:
                mc_max = _smallest_covering(knobs["mc_tiles"].options, -(-m // p["mr"]))
                nc_max = _smallest_covering(knobs["nc_tiles"].options, -(-n // p["nr"]))
                return p["mc_tiles"] <= mc_max and p["nc_tiles"] <= nc_max
            return True

        add("problem", within, "tiles no larger than the problem (a larger one builds the same schedule)")
    return space


def features(space: Space, point: Point) -> list[float]:
    """Cheap features of a point for the cost model: tile sizes, register use, footprints per
    cache level, the microkernel's arithmetic intensity, padding waste."""
    cpu, group = space.cpu, space.group
    lanes = cpu.vector_bits // 32
    size = group.itemsize
    mr, nr = point["mr"], point["nr"]
    kc = point.get("kc", 256)
    mc = point.get("mc_tiles", 1) * mr
    nc = point.get("nc_tiles", 1) * nr
    m = group.dims.get("m", mr)
    n = group.dims.get("n", nr)
    accumulators = mr * nr / lanes
    padded = (-(-m // mr) * mr) * (-(-n // nr) * nr) / max(1, m * n)
    return [
        mr,
        nr,
        kc,
        mc,
        nc,
        accumulators / cpu.vector_registers,
        accumulators / (mr + nr / lanes),  # FMAs per load or broadcast in the microkernel's k loop
        kc * nr * size / cpu.l1d,
        mc * kc * size / cpu.l2,
        kc * nc * size / max(1, cpu.l3),
        padded,
        math.log2(max(1, -(-m // max(1, mc)) * -(-n // max(1, nc)))),
    ]


def prior_score(space: Space, point: Point) -> float:
    """A score before anything is measured (higher: more promising), in TTile's spirit: a
    microkernel that keeps many accumulators busy with little padding, cache tiles that fit."""
    f = features(space, point)
    register_use, intensity, l1, l2, padded = f[5], f[6], f[7], f[8], f[10]
    score = math.log(intensity) + register_use - 2.0 * (padded - 1.0)
    for use, ideal in ((l1, 0.5), (l2, 0.5)):
        if "kc" in point:
            score -= abs(math.log((use + 1e-9) / ideal)) * 0.3
    return score
