"""BLIS blocking derived from the CPU model, after Low et al., "Analytical Modeling Is Enough
for High-Performance BLIS" (ACM TOMS 43(2), 2016).

The packed matmul (:mod:`.matmul`) runs BLIS's loops: a ``kc`` x ``nr`` micro-panel of packed B
stays in L1 while ``mr`` x ``kc`` micro-panels of packed A stream past it from L2, where an
``mc`` x ``kc`` block of A stays; ``kc`` x ``nc`` of B is shared through the L3. Every size
follows from the :class:`~tilewright.target.cpu.host.HostCpu` model, none is tuned here:

- **Register tile** ``mr`` x ``nr``. ``nr`` is ``B_VECTORS`` vectors of ``lanes`` f32 (loaded per k
  step) and ``mr`` rows of A are broadcast one at a time, so the tile holds ``mr * B_VECTORS``
  vector accumulators. Enough of them must be in flight to cover the FMA latency on every FMA
  unit (the paper's ``mr * nr / lanes >= latency * units``: ``mr_min``), and the accumulators,
  the B vectors and one broadcast must fit the register file (``mr_max = (registers - B_VECTORS
  - 1) // B_VECTORS``: 6 on AVX2's 16 ymm, 14 on AVX-512's 32 zmm). ``mr`` covers the latency
  ``LATENCY_COVER`` times over within ``mr_max``: 6 x 16 with AVX2, 8 x 32 with AVX-512.
- **kc** (L1, the paper's way-based rule): with ``W1`` ways of ``S1`` sets of ``L``-byte lines,
  the B micro-panel takes ``C_B = floor((W1 - 1) / (1 + mr / nr))`` ways, so that the A
  micro-panels, ``mr / nr`` of B's size, get the rest but one way (left for C and the stack):
  ``kc = C_B * S1 * L / (nr * 4)``, rounded down to a multiple of ``lanes``.
- **mc** (L2): the B micro-panel takes ``C_B2 = ceil(kc * nr * 4 / (S2 * L))`` ways, one more is
  left to the streaming C, and the ``mc`` x ``kc`` block of A fills the rest:
  ``mc = (W2 - 1 - C_B2) * S2 * L / (kc * 4)``, rounded down to a multiple of ``mr``; for a given
  K, :meth:`Blocking.rows_for` cuts it where the packed A's slices alias in the L2's sets.
- **nc** (L3, divided among the cores that share it): the ``mc`` x ``kc`` block of A takes
  ``C_A3 = ceil(mc * kc * 4 / (S3 * L))`` ways and the ``kc`` x ``nc`` block of B the rest but one:
  ``nc = (W3 - 1 - C_A3) * S3 * L / (kc * 4 * sharing)``, rounded down to a multiple of ``nr``.

:class:`Blocking` carries these values and the bounds a tuner may search within (see
:meth:`Blocking.bounds`). When the model lacks a figure (a cache whose associativity is
unknown), the ISA's constant takes its place (``fallback``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tilewright.target.cpu.host import HostCpu

# Vectors of B loaded per k step: two (BLIS's 6 x 16 on Haswell, its 32 x 12 on Skylake-X
# transposed), so a row of A's broadcasts feeds two FMAs each and the B micro-panel stays
# narrow enough for a deep kc in L1.
B_VECTORS = 2

F32_BYTES = 4

# Accumulators per FMA in flight: twice the paper's minimum (latency x units). The minimum
# assumes every FMA's operands are ready; a broadcast that misses L1 then idles a pipe. More
# only shrinks kc and widens the padded edges: on Zen 5 (AVX-512), 14 x 32 (28 accumulators,
# what the 32 zmm allow) measured 5-15% slower than 8 x 32 (16) at 1024^3, 12 x 32 9% slower.
LATENCY_COVER = 2


@dataclass(frozen=True)
class Blocking:
    """Register and cache blocking of the packed f32 matmul for one CPU (see the module docstring).

    ``mr`` x ``nr`` is the microkernel (``nr`` a multiple of ``lanes``); ``kc``, ``mc``, ``nc``
    the cache blocks (``mc`` a multiple of ``mr``, ``nc`` of ``nr``). The ``*_min``/``*_max``
    fields bound a search around these values: ``mr_min`` is the fewest rows that still hide the
    FMA latency, ``mr_max`` the most the registers hold; ``kc_max`` lets B's micro-panel take
    every L1 way but one, ``mc_max`` A's block every L2 way but one, ``nc_max`` B's block the
    whole L3 share. ``derived`` names the figures the model supplied (the rest are fallbacks).
    """

    lanes: int
    mr: int
    nr: int
    kc: int
    mc: int
    nc: int
    mr_min: int
    mr_max: int
    kc_max: int
    mc_max: int
    nc_max: int
    derived: frozenset[str] = field(default_factory=frozenset)
    l2: CacheLevel | None = None  # the L2's geometry, for :meth:`rows_for`
    a_ways: int = 0  # L2 ways the block of A may take

    @property
    def accumulators(self) -> int:
        """Vector registers the microkernel's C tile takes."""
        return self.mr * self.nr // self.lanes

    def rows_for(self, k: int, kc: int, itemsize: int = F32_BYTES) -> int:
        """``mc`` for a packed A of K = ``k`` in slabs of ``kc``: the packed A is ``[M/mr][K][mr]``,
        so its ``mc`` x ``kc`` block is ``mc / mr`` slices of ``kc * mr`` elements, ``k * mr``
        apart, not the contiguous block the L2 rule assumes. When that stride is a multiple of a
        large power of two (K = 1024: 32 KiB, half of Zen 5's 64 KiB L2 way), the slices pile
        onto the same sets; ``mc`` is cut to the rows whose lines fill no set past ``a_ways``."""
        if self.l2 is None or not self.a_ways:
            return self.mc
        rows = rows_within_sets(
            self.l2, self.a_ways, kc * self.mr * itemsize, k * self.mr * itemsize, self.mc // self.mr
        )
        return max(self.mr, rows * self.mr)

    def task_block(self, k: int, kc: int, itemsize: int = F32_BYTES) -> tuple[int, int]:
        """(``mc``, ``nc``) of one task of the packed matmul for K = ``k`` in slabs of ``kc``.

        The packed matmul runs the K slabs outside the panel loops of a task (its forall), so a
        task sweeps its packed ``mc`` x ``nc`` block of C once per slab: C is a third L2 resident
        beside A's block, which the paper's rule (C streamed from memory by a BLIS microkernel
        that prefetches it) leaves out. A's block and C's share A's L2 ways,
        ``mc * (kc + nc) <= a_ways * way``, square (``mc = nc``: the fewest bytes of A and B
        per flop) unless A's slices alias (:meth:`rows_for`), when ``nc`` takes the rest;
        at most the paper's ``mc`` and ``nc``. Without the L2's geometry: ``(mc, nc)``."""
        if self.l2 is None or not self.a_ways:
            return self.mc, self.nc
        budget = self.a_ways * self.l2.way_bytes // itemsize  # elements of A's and C's blocks
        square = int((math.sqrt(kc * kc + 4 * budget) - kc) / 2)
        mc = max(self.mr, min(round_down(square, self.mr), self.rows_for(k, kc, itemsize)))
        nc = max(self.nr, min(self.nc, round_down(budget // mc - kc, self.nr)))
        return mc, nc

    def bounds(self) -> dict[str, tuple[int, int, int]]:
        """``{name: (low, high, step)}`` for ``mr``, ``kc``, ``mc``, ``nc``: the ranges within which
        the model's reasoning still holds (registers, L1, L2, L3). ``nr`` is fixed by ``lanes``."""
        return {
            "mr": (self.mr_min, self.mr_max, 1),
            "kc": (self.lanes, self.kc_max, self.lanes),
            "mc": (self.mr, self.mc_max, self.mr),
            "nc": (self.nr, self.nc_max, self.nr),
        }


@dataclass(frozen=True)
class CacheLevel:
    """One cache as the formulas see it: ``ways`` of ``sets`` lines of ``line`` bytes."""

    size: int
    ways: int
    line: int = 64

    @property
    def sets(self) -> int:
        return max(1, self.size // (self.ways * self.line))

    @property
    def way_bytes(self) -> int:
        return self.sets * self.line

    def ways_for(self, nbytes: int) -> int:
        """Ways a contiguous block of ``nbytes`` occupies."""
        return -(-nbytes // self.way_bytes)


def register_tile(cpu: HostCpu) -> tuple[int, int, int, int]:
    """(``mr``, ``nr``, ``mr_min``, ``mr_max``) from the register file and the FMA latency x
    throughput: ``mr_min`` rows hide the latency, ``mr_max`` fill the registers, ``mr`` takes
    ``LATENCY_COVER`` times the accumulators of ``mr_min`` within ``mr_max``."""
    lanes = cpu.vector_bits // 32
    need = cpu.fma_latency * cpu.fma_units
    mr_max = max(1, (cpu.vector_registers - B_VECTORS - 1) // B_VECTORS)
    mr_min = min(mr_max, -(-need // B_VECTORS))
    mr = min(mr_max, -(-LATENCY_COVER * need // B_VECTORS))
    return mr, B_VECTORS * lanes, mr_min, mr_max


def rows_within_sets(cache: CacheLevel, ways: int, slice_bytes: int, stride_bytes: int, slices: int) -> int:
    """How many of ``slices`` blocks of ``slice_bytes``, ``stride_bytes`` apart (the first ones),
    fit ``cache`` with at most ``ways`` of their lines in any set; at least 1."""
    lines = min(-(-slice_bytes // cache.line), cache.sets * ways)
    starts = np.arange(slices, dtype=np.int64) * stride_bytes // cache.line

    def fits(count: int) -> bool:
        sets = (starts[:count, None] + np.arange(lines)) % cache.sets
        return int(np.bincount(sets.ravel(), minlength=cache.sets).max()) <= ways

    low, high = 1, slices  # fits(low) is taken as true: one slice is never cut
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def round_down(value: int, multiple: int) -> int:
    return max(multiple, value // multiple * multiple)


def kc_for(l1: CacheLevel, mr: int, nr: int, lanes: int) -> tuple[int, int]:
    """(``kc``, ``kc_max``): the B micro-panel takes ``floor((W1 - 1) / (1 + mr / nr))`` ways of
    L1 (at most ``W1 - 1``)."""
    b_ways = max(1, (l1.ways - 1) * nr // (nr + mr))
    kc = round_down(b_ways * l1.way_bytes // (nr * F32_BYTES), lanes)
    kc_max = round_down((l1.ways - 1) * l1.way_bytes // (nr * F32_BYTES), lanes)
    return kc, kc_max


def mc_for(l2: CacheLevel, kc: int, mr: int, nr: int) -> tuple[int, int]:
    """(``mc``, ``mc_max``): A's block fills the L2 ways that the B micro-panel and one way for C
    leave (``mc_max``: all but B's)."""
    b_ways = l2.ways_for(kc * nr * F32_BYTES)
    per_row = kc * F32_BYTES
    mc = round_down(max(1, l2.ways - 1 - b_ways) * l2.way_bytes // per_row, mr)
    mc_max = round_down(max(1, l2.ways - b_ways) * l2.way_bytes // per_row, mr)
    return mc, mc_max


def nc_for(l3: CacheLevel, sharing: int, kc: int, mc: int, nr: int) -> tuple[int, int]:
    """(``nc``, ``nc_max``): B's block fills this core's share of the L3 ways that A's block and
    one way leave (``nc_max``: the whole L3 share)."""
    a_ways = l3.ways_for(mc * kc * F32_BYTES)
    per_col = kc * F32_BYTES * max(1, sharing)
    nc = round_down(max(1, l3.ways - 1 - a_ways) * l3.way_bytes // per_col, nr)
    nc_max = round_down(l3.ways * l3.way_bytes // per_col, nr)
    return nc, nc_max


def derive_blocking(cpu: HostCpu, *, fallback: tuple[int, int, int] = (256, 192, 512)) -> Blocking:
    """The blocking of ``cpu`` (see the module docstring). ``fallback`` is the ISA's
    (``kc``, ``mc``, ``nc``) for a cache level whose associativity the model lacks (0 ways)."""
    lanes = cpu.vector_bits // 32
    mr, nr, mr_min, mr_max = register_tile(cpu)
    kc, mc, nc = fallback
    mc = round_down(mc, mr)
    nc = round_down(nc, nr)
    kc_max, mc_max, nc_max = kc, mc, nc
    derived: set[str] = {"mr", "nr"}
    l2, a_ways = None, 0
    if cpu.l1d_ways:
        kc, kc_max = kc_for(CacheLevel(cpu.l1d, cpu.l1d_ways, cpu.line_bytes), mr, nr, lanes)
        derived.add("kc")
    if cpu.l2_ways:
        l2 = CacheLevel(cpu.l2, cpu.l2_ways, cpu.line_bytes)
        mc, mc_max = mc_for(l2, kc, mr, nr)
        a_ways = max(1, l2.ways - 1 - l2.ways_for(kc * nr * F32_BYTES))
        derived.add("mc")
    if cpu.l3_ways:
        nc, nc_max = nc_for(CacheLevel(cpu.l3, cpu.l3_ways, cpu.line_bytes), cpu.l3_sharing, kc, mc, nr)
        derived.add("nc")
    return Blocking(
        lanes, mr, nr, kc, mc, nc, mr_min, mr_max, kc_max, mc_max, nc_max, frozenset(derived), l2=l2, a_ways=a_ways
    )


__all__ = ["B_VECTORS", "Blocking", "CacheLevel", "derive_blocking", "register_tile", "rows_within_sets"]
