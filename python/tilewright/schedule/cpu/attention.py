"""Attention as JAX exports it: ``softmax(Q·Kᵀ·scale [+ mask])·V``, one head or batched heads.

The payload is two contractions with a softmax between them (max, subtract,
exp, sum, divide: generics with row reductions). Scheduled naively the
``seq x seq`` scores are materialized whole. Here the second contraction is
tiled by blocks of query rows on an ``scf.forall`` and everything producing its
left operand — the softmax generics, their fills and the scores contraction —
is fused into that loop, so one task computes a ``rows x seq`` block of scores,
its softmax and its rows of the output; the scores never exist beyond one block.
Both contractions then get the register-tiled microkernel of :mod:`.matmul`, and
the softmax ops are cut into single rows so they vectorize to a few hundred
vector instructions each; those row loops are marked ``tw.row_loop`` like the fusion
groups', so the max and the sum reduce each row with one ``vector.reduction`` (lowered
innerparallel, the max ended in one NaN-checking scalar compare per lane: 41% of a head).

Multi-head attention reaches this schedule as 3-D batch matmuls over merged (batch, head)
pairs with the softmax on the same layout (:mod:`tilewright.linalg.batch_reshapes`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.cpu import ROW_LOOP_ATTR, CpuConfig, config_for, largest_divisor
from tilewright.schedule.cpu.elementwise import MAX_TILE_ELEMENTS, chunk_rows
from tilewright.schedule.cpu.flash import AttentionShape, schedule_flash
from tilewright.schedule.cpu.matmul import KERNEL_OPS, choose_tiles, finish_kernels, microkernel
from tilewright.schedule.info import LinalgOpInfo

# A task's block of scores (rows x seq) stays within this many bytes, so it is still in L2
# when the softmax and the second contraction read it back (Zen 3: 512 KiB L2 per core).
SCORES_BLOCK_BYTES = 128 * 1024

# At most this many query rows per task: more only adds rows that wait for their turn.
MAX_ROWS = 32

# From this many keys (half of it with a causal mask) the chain is raised to tw.attention and
# flashed (:mod:`.flash`) when the C++ extension is built. One core, same runs against XLA: causal
# 4096x64 4.26x flashed, 1.91x row-fused; 4096x64 2.24x and 2.44x (noisy, loaded machine).
FLASH_MIN_KEYS = 4096


def row_block(m: int, seq: int, cfg: CpuConfig, threads: int = 1, itemsize: int = 4) -> int:
    """Query rows per task: a divisor of ``m`` (static tiles) whose ``rows x seq`` scores fit
    ``SCORES_BLOCK_BYTES`` (32 rows at seq 1024, 8 at 4096), at least one microkernel high."""
    limit = max(cfg.mr, min(MAX_ROWS, SCORES_BLOCK_BYTES // max(1, itemsize * seq)))
    rows = largest_divisor(m, limit)
    while threads > 1 and m // rows < 2 * threads and rows > 1:
        rows = largest_divisor(m, rows - 1)
    return rows


def kernel_config(rows: int, cfg: CpuConfig) -> CpuConfig:
    """The microkernel for blocks of ``rows``: a shorter one that divides the block when it still
    keeps 8 accumulators in flight (AVX2: 4 x 16 for 16 or 32 rows, instead of 6 + 6 + 4 padded
    to 18), else ``cfg``'s, with the last kernel padded."""
    if rows % cfg.mr == 0:
        return cfg
    mr = largest_divisor(rows, cfg.mr)
    return replace(cfg, mr=mr) if mr * (cfg.nr // cfg.lanes) >= 8 else cfg


def schedule_attention(
    s: Schedule,
    ops: Sequence[OpHandle],
    info: Sequence[LinalgOpInfo],
    root: int,
    fused: Sequence[int],
    *,
    cfg: CpuConfig | None = None,
    threads: int = 1,
    flash: bool = False,
) -> OpHandle:
    """Fuse ``fused`` (softmax generics, fills, the scores contraction; nearest first) into a row
    loop over the output contraction ``root``; returns the ``scf.forall``. With ``flash`` (a root of
    :func:`flash_roots`), raise the chain to ``tw.attention`` and flash it instead."""
    cfg = cfg or config_for()
    out = info[root]
    assert out.contraction_dims is not None
    batch = len(out.contraction_dims["batch"])
    m, n, k = out.size("m") or 1, out.size("n") or 1, out.size("k") or 1
    flash_shape = _flash_shape(info, root, fused) if flash else None
    if flash_shape is not None:
        return _raise_and_flash(s, ops, info, root, fused, flash_shape, cfg)
    rows = row_block(m, k, cfg, threads)  # the output contraction's K is the number of keys
    cfg = kernel_config(rows, cfg)
    tiled_out, forall = ops[root].tile_forall(tile_sizes=[*([1] * batch), rows, 0])
    fused_handles: dict[int, OpHandle] = {}
    for p in fused:
        fused_handles[p], forall = ops[p].fuse_into(forall)
    # The two contractions: the microkernel on each, within the row block.
    tiles = choose_tiles(rows, n, k, cfg)
    microkernel(s, tiled_out, rows, n, k, tiles, batch=batch)
    for p, h in fused_handles.items():
        o = info[p]
        if o.name in KERNEL_OPS and o.contraction_dims is not None:
            sn, sk = o.size("n") or 1, o.size("k") or 1
            scores = choose_tiles(rows, sn, sk, cfg)
            # One kernel shape for both (finish_kernels pads to it): the larger register tile.
            tiles = choose_tiles(rows, max(n, sn), max(k, sk), cfg)
            microkernel(s, h, rows, sn, sk, scores, batch=batch)
    finish_kernels(forall, tiles, batch=batch)
    # Softmax ops of a row block: one row at a time when a block is too big to vectorize whole.
    for p, h in fused_handles.items():
        o = info[p]
        if o.name in KERNEL_OPS or not o.iterator_types:
            continue
        ranges = [r or 1 for r in o.loop_ranges]
        elements = rows
        for i, r in enumerate(ranges):
            if o.iterator_types[i] == "reduction" or i == len(ranges) - 1:
                elements *= r
        if elements > MAX_TILE_ELEMENTS:
            sizes = [0 if t == "reduction" else 1 for t in o.iterator_types]
            sizes[-1] = 0  # the row stays whole here; chunk_rows cuts it into a few vectors at a time
            row, loops = h.tile(sizes)
            chunk_rows(row, o, cfg)
            if loops and o.reduction_dims:
                loops[-1].annotate(ROW_LOOP_ATTR)  # reductions along the row (see cpu.vectorize)
    return forall


def flash_roots(
    info: Sequence[LinalgOpInfo], chains: Sequence[tuple[int, list[int]]], raisable: Collection[int]
) -> set[int]:
    """The attention chains (by root) to flash: long enough (:func:`_flash_shape`) and among the
    ``raisable`` roots (``tw-raise-attention`` raises them: :mod:`tilewright.schedule.raising`); a
    chain it leaves alone would otherwise fail its part and fall back to ops tiled alone, slower
    than row-fused."""
    return {root for root, fused in chains if root in raisable and _flash_shape(info, root, fused) is not None}


def _flash_shape(info: Sequence[LinalgOpInfo], root: int, fused: Sequence[int]) -> AttentionShape | None:
    """The tw.attention the chain raises to, when it pays to flash it (``FLASH_MIN_KEYS``; a causal
    mask, read as a ``linalg.index`` in the softmax's generics, halves it) and the extension is built."""
    from tilewright import extension

    out = info[root]
    assert out.contraction_dims is not None
    keys = out.size("k") or 0
    causal = any("linalg.index" in info[p].body_ops for p in fused)
    if keys < (FLASH_MIN_KEYS // 2 if causal else FLASH_MIN_KEYS) or not extension.available():
        return None
    scores = [info[p] for p in fused if info[p].name in KERNEL_OPS and info[p].contraction_dims is not None]
    if len(scores) != 1 or any(r is None for r in out.loop_ranges):
        return None
    batch = tuple(out.loop_ranges[i] or 1 for i in out.contraction_dims["batch"])
    m, e, d = out.size("m") or 1, out.size("n") or 1, scores[0].size("k") or 1
    return AttentionShape(batch, m, keys, d, e, causal, 4)


def _raise_and_flash(
    s: Schedule,
    ops: Sequence[OpHandle],
    info: Sequence[LinalgOpInfo],
    root: int,
    fused: Sequence[int],
    shape: AttentionShape,
    cfg: CpuConfig,
) -> OpHandle:
    nb = len(shape.batch)
    init = next((p for p in fused if info[p].name == "linalg.fill" and len(info[p].loop_ranges) == nb + 2), None)
    return raise_and_flash(s, ops[root], ops[init] if init is not None else None, shape, cfg, prefix=f"flash_{root}")


def raise_and_flash(
    s: Schedule, root: OpHandle, init: OpHandle | None, shape: AttentionShape, cfg: CpuConfig, prefix: str
) -> OpHandle:
    """``transform.tw.raise_attention`` on the P·V contraction ``root``, then
    :func:`.flash.schedule_flash`; the output's init fill ``init`` (which the raised op leaves to
    its output) is tiled by rows."""
    nb = len(shape.batch)
    (attn,) = s.op("transform.tw.raise_attention", [root], ["!transform.any_op"])
    if init is not None:  # after raising: the raise wants P·V to start from the fill
        init.tile([1] * (nb + 1) + [0])
    return schedule_flash(s, attn, shape, cfg=cfg, prefix=prefix)
