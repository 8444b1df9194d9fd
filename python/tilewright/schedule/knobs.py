"""The default schedule's knobs: what a tuner may change in each op group's part.

Each part of the default schedule that the library tiles with a microkernel (a contraction,
a convolution, an attention chain) declares its blocking as ``transform.tune.knob`` ops at
the top of its named sequence (``contraction_3.mr``, ``contraction_3.kc``, ...), so the
script itself lists the search space, each knob's options and the value it was built with.
The library's tile arithmetic runs in Python, so a knob's value is fixed when the script is
built: a tuner builds the schedule again with other values (:data:`Chooser`), as
``Schedule(knobs=...)`` does for hand-written schedules.

Values are chosen per **group signature** (the group's kind, op names, loop ranges and element
types), not per part: the same matmul twice in a program takes one tuned entry, and the
tuning database (:mod:`tilewright.schedule.tuned`) is keyed by it. With no value chosen, every
knob takes the library's own value and the part is built exactly as without knobs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tilewright.schedule.info import LinalgOpInfo

if TYPE_CHECKING:
    from tilewright.schedule import Schedule
    from tilewright.schedule.cpu import CpuConfig

Chooser = Callable[[str], Mapping[str, int] | None]
"""Knob values for a group signature (short knob names: ``{"mr": 6, "kc": 128}``), or None."""

TUNED_SUFFIX = "+tuned"
"""Appended to the ``CpuConfig`` name of a tuned contraction: the packed path then takes its
cache tiles from the config (``mc``, ``nc``) instead of the CPU model's blocking."""

MR_OPTIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16)
NR_VECTORS = (1, 2, 3, 4)  # nr options in vector registers
KC_OPTIONS = (32, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
# Cache tiles in whole microkernels, so every option divides into register tiles.
MC_TILES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
NC_TILES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)


@dataclass(frozen=True)
class KnobSpec:
    """One knob of a group: its options and the library's own value."""

    name: str
    options: tuple[int, ...]
    default: int


@dataclass
class TunableGroup:
    """A part of the default schedule with knobs: what the tuner needs to search it."""

    part: str  # the part's named sequence ("contraction_3")
    kind: str  # "contraction" | "convolution" | "attention"
    what: str  # for reports: "contraction linalg.matmul#3"
    signature: str
    knobs: dict[str, KnobSpec]
    dims: dict[str, int]  # the sizes the constraints read (m, n, k, batch; ow, f, c, ...)
    itemsize: int
    values: dict[str, int] = field(default_factory=dict)  # what this schedule was built with
    chosen: bool = False  # values came from the chooser (a tuner or the database)

    @property
    def defaults(self) -> dict[str, int]:
        return {k: spec.default for k, spec in self.knobs.items()}


def _with_default(options: Sequence[int], default: int) -> tuple[int, ...]:
    return tuple(sorted({*options, default}))


def contraction_knobs(cfg: CpuConfig, m: int, n: int, k: int, *, packs: bool) -> dict[str, KnobSpec]:
    """mr x nr microkernel, K slab, cache tiles in microkernels; defaults: ``cfg`` and the cache
    tiles the library uses for this contraction (the packed path's own, where ``packs``, a fill
    to fuse, lets it take that path)."""
    from tilewright.schedule.cpu import matmul

    lanes = cfg.lanes
    if packs and matmul.packing_pays(m, n, k, cfg):
        packed = matmul.choose_packed_tiles(m, n, k, cfg)
        mc, nc = packed.mc, packed.nc
    else:
        tiles = matmul.choose_tiles(m, n, k, cfg)
        mc, nc = tiles.mc, tiles.nc
    mc, nc = max(mc, cfg.mr), max(nc, cfg.nr)
    specs = [
        KnobSpec("mr", _with_default(MR_OPTIONS, cfg.mr), cfg.mr),
        KnobSpec("nr", _with_default([v * lanes for v in NR_VECTORS], cfg.nr), cfg.nr),
        KnobSpec("kc", _with_default(KC_OPTIONS, cfg.kc), cfg.kc),
        KnobSpec("mc_tiles", _with_default(MC_TILES, -(-mc // cfg.mr)), -(-mc // cfg.mr)),
        KnobSpec("nc_tiles", _with_default(NC_TILES, -(-nc // cfg.nr)), -(-nc // cfg.nr)),
    ]
    return {s.name: s for s in specs}


def kernel_knobs(cfg: CpuConfig) -> dict[str, KnobSpec]:
    """The microkernel alone (convolutions, attention: their other tiles follow the problem)."""
    specs = [
        KnobSpec("mr", _with_default(MR_OPTIONS, cfg.mr), cfg.mr),
        KnobSpec("nr", _with_default([v * cfg.lanes for v in NR_VECTORS], cfg.nr), cfg.nr),
    ]
    return {s.name: s for s in specs}


def resolve(knobs: Mapping[str, KnobSpec], chosen: Mapping[str, int] | None) -> tuple[dict[str, int], bool]:
    """(values, whether any came from ``chosen``): a chosen value that is not one of the knob's
    options (a database written by another version) is ignored for the library's."""
    values = {name: spec.default for name, spec in knobs.items()}
    used = False
    for name, value in (chosen or {}).items():
        if name in knobs and value in knobs[name].options:
            values[name] = int(value)
            used = True
    return values, used


def config_with(cfg: CpuConfig, values: Mapping[str, int], defaults: Mapping[str, int]) -> CpuConfig:
    """``cfg`` with the knobs' values; ``cfg`` itself when they are the library's own."""
    if dict(values) == dict(defaults):
        return cfg
    mr, nr = values.get("mr", cfg.mr), values.get("nr", cfg.nr)
    changes: dict[str, object] = {"mr": mr, "nr": nr}
    if "kc" in values:
        changes["kc"] = values["kc"]
    if "mc_tiles" in values:
        # No CPU model's blocking: the packed path takes mc, nc from the config (CpuConfig.packed_blocks).
        changes.update(
            mc=values["mc_tiles"] * mr, nc=values["nc_tiles"] * nr, name=cfg.name + TUNED_SUFFIX, blocking=None
        )
    return replace(cfg, **changes)  # type: ignore[arg-type]


def group(
    part: str,
    kind: str,
    what: str,
    ops: Sequence[LinalgOpInfo],
    specs: dict[str, KnobSpec],
    dims: dict[str, int],
    chooser: Chooser | None,
) -> TunableGroup:
    """The tunable group of a part over ``ops`` (in module order), its knob values chosen by
    ``chooser`` for its signature, else the library's."""
    size = max(itemsize(op) for op in ops)
    found = TunableGroup(part, kind, what, signature(kind, ops), specs, dims, size)
    found.values, found.chosen = resolve(specs, chooser(found.signature) if chooser else None)
    return found


def declare(s: Schedule, group: TunableGroup) -> None:
    """The group's ``transform.tune.knob`` ops, each selecting the value the part is built with."""
    for name, spec in group.knobs.items():
        s.knob(f"{group.part}.{name}", list(spec.options), default=group.values[name])


def signature(kind: str, ops: Sequence[LinalgOpInfo], extra: str = "") -> str:
    """What identifies a group across programs: kind, each op's name, loop ranges and element types."""
    parts = []
    for op in ops:
        types = ",".join(t.dtype for t in (*op.inputs, *op.outputs) if t is not None)
        ranges = "x".join(str(r) for r in op.loop_ranges)
        parts.append(f"{op.name.removeprefix('linalg.')}[{ranges}]({types})")
    return f"{kind}:" + ";".join(parts) + (f";{extra}" if extra else "")


def itemsize(op: LinalgOpInfo) -> int:
    """Bytes of the op's widest input element (what its tiles hold in cache)."""
    bits = []
    for t in op.inputs:
        digits = "".join(ch for ch in (t.dtype if t else "") if ch.isdigit())
        bits.append(int(digits) if digits else 32)
    return max(1, math.ceil(max(bits, default=32) / 8))


__all__ = [
    "TUNED_SUFFIX",
    "Chooser",
    "KnobSpec",
    "TunableGroup",
    "config_with",
    "contraction_knobs",
    "declare",
    "group",
    "itemsize",
    "kernel_knobs",
    "resolve",
    "signature",
]
