"""Contractions (``linalg.matmul``, ``linalg.batch_matmul``) BLIS-style on the host's vector unit.

Contractions big enough to pay for it take the packed path (:func:`schedule_packed`)::

    A (M x K)  -> linalg.pack -> [M/mr][K][mr]        micro-panels of A, contiguous per k step
    B (K x N)  -> linalg.pack -> [N/nr][K][nr]        micro-panels of B (no 4 KiB-strided rows)
    scf.forall (M/mc, N/nc) over C packed [M/mr][N/nr][mr][nr], zeroed per task
      scf.for K / kc, N-panel, M-panel, k         the mr x nr microkernel on full tiles only
    C packed -> linalg.unpack -> C (M x N)

``transform.structured.pack`` pads the operands with zeros up to whole mr x nr tiles, so
sizes that are not multiples of the microkernel (97, 999, 1001) cost only the padded
flops: no remainder kernels, no masks in the hot loop. The packs and the unpack are
tiled and vectorized (masked at the edges, with full tiles peeled off first).

With few rows and a wide B (a dense layer: 256 x 1024 @ 1024 x 4096), B is packed per slab
instead (``PackedTiles.b_per_slab``, BLIS's order): the forall takes column blocks only, and
each kc x nc block of B is packed in the K-slab loop, read by whole rows of B, right before the
kernels read it from L2; a whole packed copy of B is never written to memory and read back::

    scf.forall (N/nc) over C packed, zeroed per task
      scf.for K / kc    pack B's kc x nc block -> [nc/nr][kc][nr]; then M/mc, N-panel, M-panel, k

On one thread, an elementwise epilogue of the result (bias, GELU: :func:`fuses_epilogue`)
takes the unpack's place: it is tiled mr x nr with the unpack of its C tile fused in, so C
goes from the packed tile through the epilogue to its output in registers.

Small contractions (and the attention schedule, which reuses :func:`microkernel`) keep
the unpacked loop nest, outermost first::

    scf.forall  (batch, M / mc, N / nc)       cache tiles, one per task on the cores
      scf.for   K / kc                        a kc-deep slab of A and B (L2)
        scf.for M / mr, N / nr                register tiles (peeled: full tiles first)
          scf.for k                           the microkernel: mr x nr accumulators in
                                              registers, one row of B, broadcasts of A,
                                              mr * nr / lanes vector FMAs per k

Sizes that are not multiples of the tiles (17, 97, 999, 1001 ...) are handled by
peeling the register-tile loops (the main part sees static ``mr`` x ``nr`` tiles and
vectorizes without masks) and masked vectorization of the remainder tiles. f16/bf16
operands are widened in registers and accumulated in the f32 (or wider) result type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tilewright.schedule import OpHandle, Schedule, patterns
from tilewright.schedule.cpu import (
    PACKED_FALLBACK,
    PARALLEL_MIN_WORK,
    CpuConfig,
    config_for,
    largest_divisor,
    outer_tiles,
    peel,
    round_up,
    tile_extent,
)

KERNEL_OPS = ["linalg.matmul", "linalg.batch_matmul"]


@dataclass(frozen=True)
class ContractionTiles:
    """The tiles chosen for one contraction: cache tiles (``mc``, ``nc``, ``kc``) and the microkernel."""

    mc: int
    nc: int
    kc: int
    mr: int
    nr: int


def choose_tiles(m: int, n: int, k: int, cfg: CpuConfig, threads: int = 1) -> ContractionTiles:
    """Cache tiles clamped to the problem (no padding work on small sizes); with several threads,
    ``mc`` shrinks until there are at least ``2 * threads`` tasks when the problem allows it."""
    mr = min(cfg.mr, m)
    nr = cfg.nr if n >= cfg.nr else round_up(n, cfg.lanes) if n > cfg.lanes else n
    mc = min(cfg.mc, round_up(m, mr))
    nc = min(cfg.nc, round_up(n, nr))
    while threads > 1 and 2 * m * n * k >= PARALLEL_MIN_WORK and -(-m // mc) * -(-n // nc) < 2 * threads and mc > mr:
        mc = max(mr, round_up(mc // 2, mr))
    kc = min(cfg.kc, k)
    return ContractionTiles(mc, nc, kc, mr, nr)


@dataclass(frozen=True)
class PackedTiles:
    """Tiles of the packed path: cache tiles ``mc`` x ``nc`` (one ``scf.forall`` task each, multiples
    of the microkernel), the K slab ``kc``, the microkernel ``mr`` x ``nr``, and ``pack_k``, the
    k extent of one vectorized pack tile. ``b_per_slab``: B is packed one ``kc`` x ``nc`` block at
    a time inside the K-slab loop, and a task holds all rows (``mc`` then blocks rows in the slab)."""

    mc: int
    nc: int
    kc: int
    mr: int
    nr: int
    pack_k: int
    b_per_slab: bool = False


# B operands up to this size stay cache resident unpacked (half of Zen 3's 512 KiB L2): below it,
# and with K in one slab, the unpacked nest is as fast or faster (measured 128^3, 48x48x256, 64x96x256).
PACK_MIN_B_BYTES = 256 * 1024

# Elements of C zeroed per vectorized fill tile (whole rows up to this, else a divisor of N).
MAX_FILL_ROW = 2048

# B packed per K slab (see choose_packed_tiles): a task's packed C block (all rows x nc) stays
# within this many bytes, and its column block is at least PER_SLAB_MIN_NC wide; above (M over
# 512 at nc 256), the whole packed B measured as fast (1024^3) or faster (2048^3: 1.07x).
PER_SLAB_C_BYTES = 512 * 1024
PER_SLAB_MIN_NC = 256

# Panels of B one vectorized tile of the per-slab pack writes (one row of B: group x nr elements).
PACK_ROW_PANELS = 4


def packing_pays(m: int, n: int, k: int, cfg: CpuConfig, itemsize: int = 4) -> bool:
    """Whether the packed path beats the unpacked one: K needs several slabs (unpacked slabs read
    A through masks and B through strided rows) or B outgrows the cache; and M, N hold at least
    one microkernel (padding a thin operand up to mr x nr is waste)."""
    big = k > cfg.kc or k * n * itemsize > PACK_MIN_B_BYTES
    return big and m >= cfg.mr and n >= cfg.nr


def choose_packed_tiles(m: int, n: int, k: int, cfg: CpuConfig, threads: int = 1) -> PackedTiles:
    """Cache tiles for the packed path: the CPU model's blocks (:mod:`.blocking`) clamped to the
    padded problem and evened out over it; with several threads, ``mc`` shrinks (by whole
    microkernels) until the cores get at least two tasks each (see :func:`_even_rows`)."""
    mr, nr = cfg.mr, cfg.nr
    # K slabs evened out, in whole vectors (Haswell's kc of 320 at K = 512: two slabs of 256).
    kc = min(cfg.kc, k, round_up(-(-k // -(-k // cfg.kc)), cfg.lanes))
    if threads > 1:
        return _parallel_tiles(m, n, k, kc, cfg, threads)
    mc0, nc0 = cfg.packed_blocks  # an mc x kc block of packed A in L2, kc x nc of B in L3
    slab_nc0 = nc0  # B packed per slab bounds its C block by PER_SLAB_C_BYTES instead
    if cfg.blocking is not None and cfg.blocking.mr == mr:
        mc0, nc0 = cfg.blocking.task_block(k, kc)  # A's and C's blocks in L2 (see there)
    mc = min(round_up(mc0, mr), round_up(m, mr))
    nc = min(round_up(nc0, nr), round_up(n, nr))
    nc = min(nc, round_up(-(-n // -(-n // nc)), nr))  # no sliver of a column block at the end
    slab_nc = _per_slab_nc(m, n, k, kc, mr, nr, slab_nc0, threads)
    if slab_nc:
        return PackedTiles(mc, slab_nc, kc, mr, nr, pack_k=2 * cfg.lanes, b_per_slab=True)
    mc = _even_rows(m, mc, mr, -(-n // nc), threads)
    return PackedTiles(mc, nc, kc, mr, nr, pack_k=2 * cfg.lanes)


def _parallel_tiles(m: int, n: int, k: int, kc: int, cfg: CpuConfig, threads: int) -> PackedTiles:
    """The tiles of several threads: the ISA's measured row blocks (``PACKED_FALLBACK``), evened
    out so that every core gets the same number of at least two tasks, and all columns in one
    block, so the task loop is 1-D. Upstream's ``async-parallel-for`` (MLIR 22) runs some
    iterations of 2-D loops several times and skips others (17..24 or 33..40 x 2..8, see
    ``test_parallel_visits.py``): the 2048^3 task forall of 19 x 2 (112 x 1024 tiles) returned
    wrong results, and 4096^3 on the former 192 x 512 tiles (22 x 8) would have."""
    mr, nr = cfg.mr, cfg.nr
    mc0, nc0 = PACKED_FALLBACK.get(cfg.name, (cfg.mc, cfg.nc))
    slab_nc = _per_slab_nc(m, n, k, kc, mr, nr, nc0, threads)  # a 1-D forall over column blocks
    if slab_nc:
        return PackedTiles(min(round_up(mc0, mr), round_up(m, mr)), slab_nc, kc, mr, nr, 2 * cfg.lanes, True)
    mc = _even_rows(m, min(round_up(mc0, mr), round_up(m, mr)), mr, 1, threads)
    return PackedTiles(mc, round_up(n, nr), kc, mr, nr, pack_k=2 * cfg.lanes)


def _even_rows(m: int, mc: int, mr: int, col_tasks: int, threads: int) -> int:
    """``mc`` evened out over M (1024 rows in two blocks of 512, not 896 + 128), in whole
    microkernels and at most ``mc``; with several threads, cut so that the cores get at least
    two tasks each and, when the column blocks do not share out evenly, the same number of row
    blocks (896-row blocks halved to 448 left 5 tasks for 2 cores at 2048^3)."""
    row_tasks = -(-m // mc)
    if threads > 1:
        row_tasks = max(row_tasks, -(-2 * threads // col_tasks))
        if col_tasks % threads:
            row_tasks = round_up(row_tasks, threads)
    return min(mc, max(mr, round_up(-(-m // row_tasks), mr)))


def _per_slab_nc(m: int, n: int, k: int, kc: int, mr: int, nr: int, nc0: int, threads: int) -> int | None:
    """The column block when B is packed per K slab (BLIS's order: a kc x nc block of B packed in
    the slab loop, just before the kernels read it, so it stays in L2), else None.

    The whole packed B otherwise goes out to memory and back: at 256x4096x1024 that cost ~17%
    of the time. It pays while the rows are few (a task holds all of them, its packed C block
    within PER_SLAB_C_BYTES), with static blocks only (K a multiple of kc, N of nc), and at least
    ``2 * threads`` column blocks (the tasks then share out N alone) of PER_SLAB_MIN_NC or more."""
    if k % kc or n % nr:
        return None
    cap = min(nc0, PER_SLAB_C_BYTES // (4 * round_up(m, mr)))
    if threads > 1:
        cap = min(cap, n // (2 * threads))
    nc = nr * largest_divisor(n // nr, cap // nr)
    return nc if nc >= PER_SLAB_MIN_NC else None


def schedule_packed(
    s: Schedule,
    op: OpHandle,
    m: int,
    n: int,
    k: int,
    *,
    fill: OpHandle,
    batch: int = 0,
    cfg: CpuConfig | None = None,
    threads: int = 1,
    epilogue: OpHandle | None = None,
) -> OpHandle:
    """BLIS-style packed contraction (see the module docstring); ``fill`` zeroes the accumulator.

    ``epilogue``: an elementwise op reading C (bias, activation; see :func:`fuses_epilogue`) that
    consumes the unpack tile by tile, so C is never written out unpacked.

    Call :func:`tilewright.schedule.cpu.vectorize` on the function afterwards. Returns the
    ``scf.forall`` over cache tiles.
    """
    cfg = cfg or config_for()
    t = choose_packed_tiles(m, n, k, cfg, threads)
    zeros = [0] * batch
    func = op.parent("func.func")
    # Loops of the packed op: (batch..., M/mr, N/nr, K, mr, nr).
    packed = op.pack([*zeros, t.mr, t.nr, 0])
    b_pack = packed.producer_of_operand(1)
    # B [K][N/nr][nr] -> [N/nr][K][nr]: one micro-panel of B is contiguous over k.
    packed, b_pack, _ = b_pack.pack_transpose(packed, outer_perm=[*range(batch), batch + 1, batch])
    a_pack = packed.producer_of_operand(0)
    c_pack = packed.producer_of_operand(2)
    (unpack,) = s.op("transform.get_consumers_of_result", [packed], ["!transform.any_op"], {"result_number": "0 : i64"})
    # One zero constant for the fill and the packs' padding, so pack(fill) folds to a fill below.
    func.apply_cse()
    # Per slab, a task holds all rows: each block of B is packed once, then read by every row.
    rows = 0 if t.b_per_slab else t.mc // t.mr
    _, forall = packed.tile_forall(tile_sizes=[*([1] * batch), rows, t.nc // t.nr])
    _, forall = c_pack.fuse_into(forall)
    _, forall = fill.fuse_into(forall)
    forall.canonicalize()  # pack(fill) -> fill of the packed tile: C is zeroed in place, per task
    forall.match("linalg.fill").tile([*([1] * batch), 1, 1])  # static mr x nr tiles: vectorized
    kernel = forall.match("linalg.generic")
    slab = forall
    if t.kc < k:
        kernel, (slab,) = kernel.tile([*zeros, 0, 0, t.kc])
    if t.b_per_slab:
        b_pack, _ = b_pack.fuse_into(forall)  # B's column block of the task...
        if t.kc < k:
            b_pack, _ = b_pack.fuse_into(slab)  # ...one K slab at a time
        # Blocks of mc rows in the slab: an mc x kc block of packed A stays in L2 beside B's.
        kernel, _ = kernel.tile([*zeros, t.mc // t.mr, 0, 0])
    # N panels outside M panels: one kc x nr panel of B stays in L1 while the A panels stream.
    kernel, _ = kernel.tile([*zeros, 0, 1, 0])
    kernel, _ = kernel.tile([*zeros, 1, 0, 0])
    kernel.tile([*zeros, 0, 0, 1])
    _pack_tiles(s, a_pack, -(-m // t.mr), k, t.pack_k, t.mr, batch, threads)
    if t.b_per_slab:
        _pack_rows(b_pack, t.nc // t.nr, t.nr, batch)
    else:
        _pack_tiles(s, b_pack, -(-n // t.nr), k, t.pack_k, t.nr, batch, threads)
    if epilogue is not None:
        _epilogue_tiles(s, epilogue, unpack, m, n, t, batch)
    else:
        _unpack_tiles(s, unpack, m, n, t, batch)
    return forall


def fuses_epilogue(m: int, n: int, k: int, cfg: CpuConfig, threads: int = 1) -> bool:
    """Whether :func:`schedule_contraction` takes an ``epilogue`` for these sizes: on the packed
    path (whose unpack the epilogue's tiles consume), on one thread (the epilogue's tiles stay on
    the calling thread)."""
    return packing_pays(m, n, k, cfg) and threads == 1


def _pack_tiles(
    s: Schedule, pack: OpHandle, blocks: int, k: int, pack_k: int, inner: int, batch: int, threads: int = 1
) -> None:
    """Vectorize a ``[batch...][blocks][K][inner]`` pack one ``1 x pack_k`` tile at a time, the
    full tiles of K peeled from the remainder (masked reads only at the edges). With several
    threads the blocks are shared out on an ``scf.forall`` first: a sequential pack of A and B
    cost 2048^3 on two cores about 0.1x of its speedup."""
    ones = [1] * batch
    if threads > 1 and blocks >= 2 * threads:
        pack, _ = pack.tile_forall(tile_sizes=[*([0] * batch), -(-blocks // threads), 0])
    tiled, loops = pack.tile([*ones, 1, pack_k])
    sizes = [*ones, 1, pack_k, inner]
    if k > pack_k and k % pack_k:
        peel(s, loops[-1])
        tiles = loops[0].match("linalg.pack")
    else:
        tiles = tiled
    tiles.vectorize(sizes)
    _lower_masks(loops[0])


def _pack_rows(pack: OpHandle, blocks: int, inner: int, batch: int) -> None:
    """Vectorize a ``[batch...][blocks][kc][inner]`` block of packed B one row of B at a time,
    ``PACK_ROW_PANELS`` panels per vector tile. Tiles of 1 panel x pack_k rows (as
    :func:`_pack_tiles`) read 128 bytes per row of B, each row on another page, which the
    prefetchers do not follow: at 256x4096x1024 the per-slab path ran at 0.86x of XLA with
    such tiles, 1.0x with whole rows."""
    ones = [1] * batch
    group = largest_divisor(blocks, PACK_ROW_PANELS)
    # One tiling with the k loop outermost (tiling twice left a copy of each row's tiles).
    interchange = [*range(batch), batch + 1, batch]
    tiles, _ = pack.tile([*ones, group, 1], interchange=interchange)
    tiles.vectorize([*ones, group, 1, inner])


def _unpack_tiles(s: Schedule, unpack: OpHandle, m: int, n: int, t: PackedTiles, batch: int) -> None:
    """Vectorize the unpack one mr x nr tile at a time, the full tiles peeled from the edges.

    The unpack writes into the original accumulator, the zero fill, which upstream cannot fold
    away here: it is kept, one vectorized row at a time (a memset of C, ~1% at 1024^3).
    """
    ones = [1] * batch
    fill = unpack.producer_of_operand(1)
    _, loops = unpack.tile([*ones, t.mr, t.nr])
    for loop in _peel_edges(s, loops, m, n, t):
        loop.match("linalg.unpack").vectorize([*ones, 1, 1, t.mr, t.nr])
        _lower_masks(loop)
    fill.tile([*ones, 1, largest_divisor(n, MAX_FILL_ROW)])


def _peel_edges(s: Schedule, loops: list[OpHandle], m: int, n: int, t: PackedTiles) -> list[OpHandle]:
    """Peel the partial last mr x nr tile off the two innermost tile loops (rows, columns) of an
    M x N nest; returns the row loops (full rows, then the edge row when M has one)."""
    if n > t.nr and n % t.nr:
        peel(s, loops[-1])
    if m > t.mr and m % t.mr:
        return list(peel(s, loops[-2]))
    return [loops[-2]]


def _epilogue_tiles(
    s: Schedule, epilogue: OpHandle, unpack: OpHandle, m: int, n: int, t: PackedTiles, batch: int
) -> None:
    """The epilogue one mr x nr tile at a time (the full tiles peeled from the edges), with the
    unpack of its C tile and that tile's zero fill fused in: once vectorized, the C tile goes
    from the packed result through the epilogue to its output in registers. The unpacked C, its
    memset and a pass of the epilogue over it (written, then read back) are gone: 3-7% of the
    zoo MLP (256x1024 -> 4096 -> 1024, bias + GELU, bias). Where M or N has edge tiles, the
    masks of the whole tiles stay (MLIR 22 does not fold them): each C tile then goes through
    the output tile (in L1) between the unpack and the epilogue."""
    ones = [1] * batch
    fill = unpack.producer_of_operand(1)
    _, loops = epilogue.tile([*ones, t.mr, t.nr])
    unpack.fuse_into(loops[-1])
    fill.fuse_into(loops[-1])
    for loop in _peel_edges(s, loops, m, n, t):
        loop.match("linalg.unpack").vectorize([*ones, 1, 1, t.mr, t.nr])
        # The edge tiles are dynamically shaped: masked, as the unpack's.
        loop.match("linalg.fill").vectorize([*ones, t.mr, t.nr])
        loop.match("linalg.generic").vectorize([*ones, t.mr, t.nr])
        _lower_masks(loop)


def _lower_masks(scope: OpHandle) -> None:
    """Masked transfers (the edge tiles of packs) to masked loads/stores, within ``scope``."""
    scope.apply_patterns(patterns.lower_masked_transfers(), patterns.lower_masks())


def schedule_contraction(
    s: Schedule,
    op: OpHandle,
    m: int,
    n: int,
    k: int,
    *,
    batch: int = 0,
    fill: OpHandle | None = None,
    cfg: CpuConfig | None = None,
    threads: int = 1,
    epilogue: OpHandle | None = None,
) -> OpHandle:
    """Tile ``op`` (a matmul, or a batch matmul with ``batch`` leading batch dims) and vectorize it.

    ``epilogue`` (only where :func:`fuses_epilogue`, with a ``fill``): an elementwise consumer of
    the result, scheduled here with it (see :func:`schedule_packed`).

    ``fill`` (the ``linalg.fill`` of the accumulator, if any) is fused into the
    parallel loop so each task zeroes only its own tile.
    Call :func:`tilewright.schedule.cpu.vectorize` on the function afterwards. Returns the
    outer loop (``scf.forall``, or ``scf.for`` for small problems, see :func:`outer_tiles`).
    """
    cfg = cfg or config_for()
    if epilogue is not None and (fill is None or not fuses_epilogue(m, n, k, cfg, threads)):
        raise ValueError("schedule_contraction: an epilogue needs a fill and fuses_epilogue()")
    if fill is not None and packing_pays(m, n, k, cfg):
        return schedule_packed(s, op, m, n, k, fill=fill, batch=batch, cfg=cfg, threads=threads, epilogue=epilogue)
    t = choose_tiles(m, n, k, cfg, threads)
    work = 2 * m * n * k
    if threads == 1 or work < PARALLEL_MIN_WORK:
        # No sliver of a cache tile at the end (97 = 96 + 1): one tile up to 1.5 cache tiles.
        t = replace(t, mc=_whole(m, t.mc, t.mr), nc=_whole(n, t.nc, t.nr))
    m_extent, n_extent = tile_extent(m, t.mc), tile_extent(n, t.nc)
    if work < PARALLEL_MIN_WORK and m <= t.mc and n <= t.nc:
        # One cache tile: no outer loop at all (single-iteration loops around peeled ones hang
        # upstream's loop canonicalization); the function is the container.
        outer = op.parent("func.func")
        for loop in microkernel(s, op, m, n, k, t, batch=batch):
            finish_kernels(loop, t, batch=batch)
        return outer
    tiled, outer = outer_tiles(op, [*([1] * batch), t.mc, t.nc], work)
    if fill is not None and work >= PARALLEL_MIN_WORK:  # scf.for cannot take a fused init
        _, outer = fill.fuse_into(outer)
    microkernel(s, tiled, m_extent, n_extent, k, t, batch=batch)
    finish_kernels(outer, t, batch=batch)
    return outer


def _whole(size: int, tile: int, step: int) -> int:
    """``tile``, or the whole ``size`` (rounded up to ``step``) when it is at most 1.5 tiles."""
    return round_up(size, step) if size <= tile + tile // 2 else tile


def microkernel(
    s: Schedule,
    op: OpHandle,
    m_extent: int | None,
    n_extent: int | None,
    k: int,
    t: ContractionTiles,
    *,
    batch: int = 0,
) -> list[OpHandle]:
    """Cut a contraction tile (``m_extent`` x ``n_extent`` x ``k``, None = dynamic) into kc slabs and
    mr x nr register tiles, peeling the loops with partial tiles so the main ones hold static
    tiles. Returns the register-tile loops (main and remainder) that contain the kernels:
    :func:`finish_kernels` on each (or on an enclosing loop) completes them."""
    zeros = [0] * batch
    tiled = op
    if t.kc < k:
        tiled, _ = tiled.tile([*zeros, 0, 0, t.kc])
    tiled, (m_loop, n_loop) = tiled.tile([*zeros, t.mr, t.nr, 0])
    # Peel the register-tile loops whose extent is not a static multiple of the tile:
    # the main loops then hold static mr x nr tiles.
    # (A loop of at most one iteration is not peeled: padding covers its tile.)
    if (n_extent is None and t.nc > t.nr) or (n_extent is not None and n_extent > t.nr and n_extent % t.nr):
        peel(s, n_loop)
    if (m_extent is None and t.mc > t.mr) or (m_extent is not None and m_extent > t.mr and m_extent % t.mr):
        return list(peel(s, m_loop))
    return [m_loop]


def finish_kernels(container: OpHandle, t: ContractionTiles, *, batch: int = 0) -> None:
    """The microkernels inside ``container`` (main and peeled remainder tiles): pad the partial ones
    up to mr x nr (the pads fold into the vector reads, so nothing needs masks) and leave a k loop
    of step 1 around each, for :func:`tilewright.schedule.cpu.vectorize`.

    Exact remainder kernels (1 x 16, 6 x 8 at 97 x 131) measured slower than these padded ones:
    with fewer than 8 independent accumulators the FMAs wait on their latency."""
    kernels = container.match(KERNEL_OPS)
    # Only M and N: a padded K would be padded to its bound (kc), beyond the operands.
    # The result goes back through a linalg.copy, which vectorizes; the default copy becomes a
    # memref.copy of a strided tile, a runtime call (10% of attention 1024x64).
    padded, _, _ = kernels.pad(
        pad_to_multiple_of=[t.mr, t.nr], padding_dimensions=[batch, batch + 1], copy_back_op="linalg.copy"
    )
    padded.tile([*([0] * batch), 0, 0, 1])
