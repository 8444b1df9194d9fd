"""The x86 CPU schedule library: tile, fuse and vectorize linalg ops for the host's vector ISA.

Every function here takes a :class:`~tilewright.schedule.Schedule` and handles to
payload ops (plus the static sizes it needs to choose tiles) and appends
upstream transform ops to the schedule; nothing is emitted that a stock
``mlir-opt --transform-interpreter`` could not run. :func:`tilewright.schedule.default.default_schedule`
picks one of them per payload op; users call them from their own ``.py`` schedules.

========================  ==========================================================
:mod:`.matmul`            ``linalg.matmul`` / ``batch_matmul``: cache tiles on an
                          ``scf.forall`` (cores), register-tiled FMA microkernel
:mod:`.conv`              ``linalg.conv_2d_nhwc_hwcf``: tiles -> 1-D convs -> FMAs
:mod:`.elementwise`       fusion groups (elementwise, transposes, reductions,
                          softmax, layernorm): row tiles, producers fused, vectorized
:mod:`.attention`         softmax(Q·Kᵀ)·V: one parallel loop over query row blocks
========================  ==========================================================
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from tilewright.schedule import OpHandle, Schedule, patterns
from tilewright.schedule.cpu.blocking import Blocking, derive_blocking
from tilewright.target.cpu.host import HostCpu, target_cpu


@dataclass(frozen=True)
class CpuConfig:
    """Register and cache tile sizes for one CPU (f32 elements).

    ``mr`` x ``nr`` is the microkernel's accumulator tile: ``mr * nr / lanes``
    vector registers of accumulators plus ``nr / lanes`` for a row of B and one
    broadcast of A must fit the register file (16 ymm on AVX2, 32 zmm on AVX-512).
    ``kc`` is the K slab whose ``kc`` x ``nr`` micro-panel of B stays in L1. ``mr``, ``nr``
    and ``kc`` come from ``blocking``, derived from the CPU model (:mod:`.blocking`), which
    also gives the packed matmul its cache blocks; ``mc`` x ``nc`` are the cache tiles of
    contractions too small to pack. The ISA constants below are the fallback where the
    model lacks a figure.
    """

    name: str
    vector_bits: int
    mr: int
    nr: int
    mc: int
    nc: int
    kc: int
    blocking: Blocking | None = None

    @property
    def lanes(self) -> int:
        """f32 elements per vector register."""
        return self.vector_bits // 32

    @property
    def packed_blocks(self) -> tuple[int, int]:
        """(``mc``, ``nc``) of the packed matmul: the model's, else the ISA's fallback."""
        if self.blocking is not None:
            return self.blocking.mc, self.blocking.nc
        return PACKED_FALLBACK.get(self.name, (self.mc, self.nc))


AVX2 = CpuConfig("avx2", 256, mr=6, nr=16, mc=96, nc=128, kc=256)  # 12 ymm accumulators
AVX512 = CpuConfig("avx512", 512, mr=8, nr=32, mc=128, nc=256, kc=256)  # 16 zmm accumulators of 32
SSE = CpuConfig("sse", 128, mr=4, nr=8, mc=64, nc=64, kc=256)  # 8 xmm accumulators
CONFIGS = {c.name: c for c in (AVX2, AVX512, SSE)}

# (mc, nc) of the packed matmul where the CPU model lacks the caches' associativity: measured
# on Zen 3 (512 KiB L2) at 1024^3 and 1000x999x1001.
PACKED_FALLBACK = {"avx2": (144, 256), "avx512": (192, 512), "sse": (96, 128)}


def config_for(cpu: HostCpu | None = None) -> CpuConfig:
    """The configuration for ``cpu`` (default: the CPU being compiled for, see
    :func:`tilewright.target.cpu.host.targeting`; the host unless ``--cpu`` names another):
    the ISA's constants with the register tile, ``kc`` and the packed blocks derived from
    the CPU model (:func:`.blocking.derive_blocking`)."""
    return _config(cpu or target_cpu())


@functools.cache
def _config(cpu: HostCpu) -> CpuConfig:
    bits = cpu.vector_bits
    isa = AVX512 if bits >= 512 else AVX2 if bits >= 256 else SSE
    mc, nc = PACKED_FALLBACK[isa.name]
    blocking = derive_blocking(cpu, fallback=(isa.kc, mc, nc))
    return replace(isa, mr=blocking.mr, nr=blocking.nr, kc=blocking.kc, blocking=blocking)


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def largest_divisor(value: int, at_most: int) -> int:
    """The largest divisor of ``value`` not above ``at_most`` (tiles that give static shapes)."""
    for d in range(min(value, max(at_most, 1)), 0, -1):
        if value % d == 0:
            return d
    return 1


def tile_extent(size: int, tile: int) -> int | None:
    """Static extent of a tile of ``size`` cut into ``tile``s, or None when the last tile is partial."""
    if tile == 0 or tile >= size:
        return size
    return tile if size % tile == 0 else None


# Set by the fusion-group schedule on its row loops (:mod:`.elementwise`): their reductions run
# along the innermost (contiguous) dimension, see :func:`vectorize`.
ROW_LOOP_ATTR = "tw.row_loop"

# Below this many flops (or elements), a loop nest runs on the calling thread:
# dispatching async tasks costs more than the work.
PARALLEL_MIN_WORK = 1 << 18


def outer_tiles(op: OpHandle, sizes: list[int], work: int) -> tuple[OpHandle, OpHandle]:
    """(tiled op, outermost loop): an ``scf.forall`` the cores share, or, below
    ``PARALLEL_MIN_WORK`` flops, sequential ``scf.for`` loops (dispatching tasks would cost more)."""
    if work >= PARALLEL_MIN_WORK:
        return op.tile_forall(tile_sizes=sizes)
    tiled, loops = op.tile(sizes)
    return tiled, loops[0]


def scf_for(s: Schedule, loop: OpHandle) -> OpHandle:
    """The loop handle as ``!transform.op<"scf.for">``, which ``transform.loop.peel`` requires."""
    (typed,) = s.op("transform.cast", [loop], ['!transform.op<"scf.for">'])
    return typed


def peel(s: Schedule, loop: OpHandle) -> tuple[OpHandle, OpHandle]:
    """``transform.loop.peel``: (loop over full steps, remainder loop)."""
    main, rest = s.op("transform.loop.peel", [scf_for(s, loop)], ["!transform.any_op", "!transform.any_op"], {})
    return main, rest


def vectorize(s: Schedule, func: OpHandle, *, padding: bool = True) -> OpHandle:
    """Vectorize every statically shaped op of ``func`` and lower the vector ops for the x86 backend.

    Run once on the function after every op was tiled: ops with static shapes
    (the schedules make sure the hot ones are) become vector ops, pads fold into
    vector reads; contractions become outer products then ``vector.fma``;
    accumulators are hoisted out of the reduction loops
    (``hoist_loop_invariant_subsets`` on every loop, on tensors); transfers become
    loads of at most one dimension. ``padding=False`` vectorizes no ``tensor.pad`` whole: a pad
    that a vector read consumes directly (the matmul kernels' padded partial tiles) folds into
    that read (``pad_vectorization`` patterns); the others (a convolution's SAME padding, read
    through tile slices) are left to bufferization, a fill and a copy. Returns the new function
    handle.

    Reductions become ``vector.multi_reduction``s, lowered in two ways. Inside the row
    loops of fusion groups (marked ``ROW_LOOP_ATTR``) they reduce the contiguous dimension:
    ``innerreduction`` turns each into a ``vector.reduction``, which the LLVM lowering
    reassociates into a tree of vector adds and shuffles (a row of 1024 floats: 7 dependent
    adds where ``innerparallel`` chained 128 scalar ones, and RMSNorm ran 1.6x slower).
    Everywhere else (column reductions, contractions) ``innerparallel`` keeps the reduced
    dimension outermost, so the reduction is a chain of elementwise vector ops.
    """
    func = func.vectorize_children_and_apply_patterns(vectorize_padding=padding)
    func.match(attrs={ROW_LOOP_ATTR: "unit"}).apply_patterns(patterns.lower_multi_reduction("innerreduction"))
    func.apply_patterns(
        patterns.lower_contraction("outerproduct"),
        patterns.cast_away_vector_leading_one_dim(),
        patterns.canonicalization(),
        apply_cse=True,
    )
    loops = func.match("scf.for")
    loops.hoist_loop_invariant_subsets()
    if not padding:  # the accumulator tile's pad is read directly only once hoisted
        func.apply_patterns(patterns.pad_vectorization(), patterns.canonicalization())
    func.apply_patterns(
        patterns.lower_outerproduct(),
        patterns.lower_multi_reduction("innerparallel"),
        patterns.transfer_permutation_patterns(),
        patterns.lower_transfer(1),
        patterns.lower_broadcast(),
        patterns.lower_transpose("shuffle_1d"),
        patterns.lower_shape_cast(),
        apply_cse=True,
    )
    # Canonicalization in a set of its own: together with the transpose and shape_cast
    # lowerings it ping-pongs forever on transposes of one-wide vectors (7x1 -> 1x7 folds
    # to a shape_cast, which lowers back to element moves...), MLIR 22.
    func.apply_patterns(patterns.canonicalization(), apply_cse=True)
    return func


__all__ = [
    "AVX2",
    "AVX512",
    "CONFIGS",
    "PACKED_FALLBACK",
    "PARALLEL_MIN_WORK",
    "ROW_LOOP_ATTR",
    "SSE",
    "CpuConfig",
    "config_for",
    "largest_divisor",
    "outer_tiles",
    "peel",
    "round_up",
    "tile_extent",
    "vectorize",
]
