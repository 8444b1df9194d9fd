"""Contractions (``linalg.matmul``, ``linalg.batch_matmul``) BLIS-style on the host's vector unit.

The loop nest, outermost first::

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

from dataclasses import dataclass

from tilewright.schedule import Schedule
from tilewright.schedule.builder import OpHandle
from tilewright.schedule.cpu import PARALLEL_MIN_WORK, CpuConfig, config_for, outer_tiles, peel, round_up, tile_extent

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
) -> OpHandle:
    """Tile ``op`` (a matmul, or a batch matmul with ``batch`` leading batch dims) and vectorize it.

    ``fill`` (the ``linalg.fill`` of the accumulator, if any) is fused into the
    parallel loop so each task zeroes only its own tile.
    Call :func:`tilewright.schedule.cpu.vectorize` on the function afterwards. Returns the
    outer loop (``scf.forall``, or ``scf.for`` for small problems, see :func:`outer_tiles`).
    """
    cfg = cfg or config_for()
    t = choose_tiles(m, n, k, cfg, threads)
    work = 2 * m * n * k
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
    microkernel(s, tiled, tile_extent(m, t.mc), tile_extent(n, t.nc), k, t, batch=batch)
    finish_kernels(outer, t, batch=batch)
    return outer


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
    of step 1 around each, for :func:`tilewright.schedule.cpu.vectorize`."""
    kernels = container.match(KERNEL_OPS)
    # Only M and N: a padded K would be padded to its bound (kc), beyond the operands.
    padded, _, _ = kernels.pad(pad_to_multiple_of=[t.mr, t.nr], padding_dimensions=[batch, batch + 1])
    padded.tile([*([0] * batch), 0, 0, 1])
