"""Fusion groups: elementwise chains, transposes and reductions (softmax, layernorm, mean/var).

A group is a root op (whose result leaves the group: a function result, the
input of a matmul, ...) and the producers that only feed it. The root is tiled
by rows on an ``scf.forall`` (the cores) and every producer is fused into that
loop (``fuse_into_containing_op``, nearest first), so intermediate tensors exist
one row block at a time. Tiles divide the loop ranges exactly (largest divisors),
so every op inside has static shapes and :func:`tilewright.schedule.cpu.vectorize`
turns it into vector ops; reductions along the row become ``vector.multi_reduction``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.cpu import (
    PARALLEL_MIN_WORK,
    ROW_LOOP_ATTR,
    CpuConfig,
    config_for,
    largest_divisor,
    outer_tiles,
)
from tilewright.schedule.info import LinalgOpInfo

# Elements of one op's tile that still vectorize into a reasonable amount of code.
MAX_TILE_ELEMENTS = 512

# A fusion group keeps whole rows of its reductions in one tile; longer rows would
# vectorize into more code than LLVM compiles in reasonable time, so such roots are
# tiled alone by :func:`schedule_bounded` instead.
MAX_GROUP_ROW_ELEMENTS = 4096

# Elementwise rows up to this long are kept whole when their length has no divisor near a
# vector multiple (primes such as 997); longer ones are tiled by their largest divisor.
MAX_WHOLE_COLUMNS = 1024

# Vector registers' worth of columns per chunk of a long row (see chunk_rows).
CHUNK_VECTORS = 8


def is_transpose(op: LinalgOpInfo) -> bool:
    """A copy whose input is read with a permutation that moves the innermost dimension."""
    if op.body_ops != ("linalg.yield",) or len(op.inputs) != 1 or len(op.indexing_maps) != 2:
        return False
    inner = [m.rsplit(",", 1)[-1].strip(" ()") for m in op.indexing_maps]
    return op.is_elementwise and inner[0] != inner[1]


def transpose_tiles(op: LinalgOpInfo, cfg: CpuConfig) -> list[int]:
    """Square blocks of ``lanes`` x ``lanes``: an in-register transpose (shuffles) per block."""
    ranges = [r or 1 for r in op.loop_ranges]
    sizes = [1] * len(ranges)
    for d in range(max(0, len(ranges) - 2), len(ranges)):
        sizes[d] = largest_divisor(ranges[d], cfg.lanes)
    return sizes


def row_tiles(
    op: LinalgOpInfo, all_parallel: bool, cfg: CpuConfig, threads: int = 1, whole: Collection[int] = ()
) -> list[int]:
    """Tile sizes for the root of a group: 0 (whole) for reductions, row blocks for parallel loops.

    When the innermost loop is parallel and the whole group is elementwise, it is
    the column dimension and is cut into vector-friendly pieces; otherwise whole
    rows stay together (the reductions need them): the root's reduction loops and
    ``whole``, the root loops its fused producers reduce over (see
    :func:`tilewright.schedule.grouping.group_whole_dims`). Tiling those would recompute the producers' reductions
    once per tile (layernorm at 97x1000 ran 100x slower than plain loops).
    """
    ranges = [r or 1 for r in op.loop_ranges]
    iters = op.iterator_types
    sizes = [0] * len(iters)
    parallel = [i for i, t in enumerate(iters) if t == "parallel"]
    if not parallel:
        return sizes
    row_dims = parallel
    columns = 1
    if iters[-1] == "parallel" and all_parallel and len(parallel) > 1:
        col = parallel[-1]
        row_dims = parallel[:-1]
        columns = ranges[col]
        if ranges[col] > 32 * cfg.lanes:
            columns = largest_divisor(ranges[col], 32 * cfg.lanes)
            if columns < 2 * cfg.lanes and ranges[col] <= MAX_WHOLE_COLUMNS:
                # 997 or 998 columns have no vector-sized divisor: a whole static row vectorizes,
                # one or two columns at a time would not.
                columns = ranges[col]
            else:
                sizes[col] = columns
    else:
        keep = set(whole) | {i for i, t in enumerate(iters) if t == "reduction"}
        row_dims = [d for d in parallel if d not in keep]
        for d in keep:
            columns *= ranges[d]
        if not row_dims:
            return sizes
    for d in row_dims[:-1]:
        sizes[d] = 1
    inner = row_dims[-1]
    budget = max(1, MAX_TILE_ELEMENTS // max(columns, 1))
    rows = largest_divisor(ranges[inner], min(8, budget))
    tasks = ranges[inner] // rows
    for d in row_dims[:-1]:
        tasks *= ranges[d]
    while threads > 1 and tasks < 2 * threads and rows > 1:  # enough tasks for every core
        rows = largest_divisor(ranges[inner], rows - 1)
        tasks = ranges[inner] // rows
    sizes[inner] = rows
    return sizes


def chunk_size(extent: int, cfg: CpuConfig) -> int | None:
    """Columns per chunk of a row of ``extent`` elements: a divisor (static tiles) of about eight
    vector registers, or None when the row is short enough as it is or has no such divisor."""
    if extent <= 2 * CHUNK_VECTORS * cfg.lanes:
        return None
    chunk = largest_divisor(extent, CHUNK_VECTORS * cfg.lanes)
    return chunk if chunk >= cfg.lanes else None


def chunk_rows(op: OpHandle, info: LinalgOpInfo, cfg: CpuConfig) -> None:
    """Cut the innermost loop of ``op`` (inside a row tile) into chunks of a few vectors.

    A row kept whole for its reductions (softmax, layernorm: 4096 columns) would
    otherwise vectorize into one ``vector<4096xf32>`` per op, which LLVM splits
    into thousands of instructions (minutes of compile time) and whose reduction
    becomes a chain of scalar adds. Elementwise ops get an ``scf.for`` over
    chunks; a row reduction is tiled with ``tile_reduction_using_for``, so each
    chunk accumulates into a vector of partial results (vector FMAs/max), reduced
    to the scalar once per row.
    """
    iters = info.iterator_types
    if not iters or info.loop_ranges[-1] is None:
        return
    chunk = chunk_size(info.loop_ranges[-1], cfg)
    if chunk is None:
        return
    sizes = [0] * (len(iters) - 1) + [chunk]
    if iters[-1] == "reduction" and len(info.reduction_dims) == 1 and len(info.outputs) == 1:
        op.tile_reduction(sizes)
    elif all(t == "parallel" for t in iters):
        op.tile(sizes)


def schedule_group(
    s: Schedule,
    ops: Sequence[OpHandle],
    info: Sequence[LinalgOpInfo],
    root: int,
    producers: Sequence[int],
    *,
    init_producers: Sequence[int] = (),
    whole: Collection[int] = (),
    chunk: Collection[int] | None = None,
    cfg: CpuConfig | None = None,
    threads: int = 1,
) -> OpHandle | None:
    """Tile the group's root by rows on an ``scf.forall`` and fuse ``producers`` (consumers first).

    ``init_producers`` are the producers of the root's init operands (its ``outs``);
    ``whole`` the root loops its producers reduce over (kept whole, see :func:`row_tiles`);
    ``chunk`` the members (root and producers, by index) whose innermost loop stays whole in a
    row tile, the only ones :func:`chunk_rows` may cut (None: all of them).
    Returns the outer loop (``scf.forall``; ``scf.for`` for small groups, see
    :func:`~tilewright.schedule.cpu.outer_tiles`), or None when the root has no
    parallel loop (a full reduction to a scalar stays as it is).
    """
    cfg = cfg or config_for()
    members = [info[root], *(info[p] for p in producers)]
    all_parallel = all(m.is_elementwise or m.name == "linalg.fill" for m in members)
    ranges = [r or 1 for r in info[root].loop_ranges]
    if not producers and is_transpose(info[root]) and all(r % cfg.lanes == 0 for r in ranges[-2:]):
        sizes = transpose_tiles(info[root], cfg)
    else:
        sizes = row_tiles(info[root], all_parallel, cfg, threads, whole)
    if not any(sizes):
        return None
    work = 1
    for r in info[root].loop_ranges:
        work *= r or 1
    work *= 1 + len(producers)
    tiled_root, outer = outer_tiles(ops[root], sizes, work)
    fused: list[tuple[int, OpHandle]] = [(root, tiled_root)]
    for p in producers:
        if work < PARALLEL_MIN_WORK and p in init_producers:
            continue  # scf.for loops carry the root's init as an iter_arg: not fusable, stays whole
        handle, outer = ops[p].fuse_into(outer)
        fused.append((p, handle))
    if not all_parallel:  # rows kept whole for the reductions: chunk the long ones
        for index, handle in fused:
            if chunk is None or index in chunk:
                chunk_rows(handle, info[index], cfg)
        if all(reduces_along_rows(info[index]) for index, _ in fused):
            outer.annotate(ROW_LOOP_ATTR)  # its reductions run along contiguous rows (see vectorize)
    return outer


def reduces_along_rows(op: LinalgOpInfo) -> bool:
    """Whether every input of ``op`` that a reduction reads has a reduced loop as its innermost
    (contiguous) axis: only then is reducing the innermost vector dimension (``tw.row_loop``)
    a walk along memory. ``x.mean(axis=1)`` of a [128, 64, 128] tensor reads its reduced axis
    with a stride: marked, its tiles were transposed in registers (2.4x slower)."""
    reduced = {i for i, t in enumerate(op.iterator_types) if t == "reduction"}
    if not reduced:
        return True
    for indexing_map in op.indexing_maps[: len(op.inputs)]:
        results = indexing_map.split("->", 1)[-1].strip().strip("()")
        axes = [a.strip() for a in results.split(",") if a.strip()]
        if not axes:
            continue  # a scalar
        used = {int(d) for d in re.findall(r"d(\d+)", results)}
        if used & reduced and axes[-1] not in {f"d{i}" for i in reduced}:
            return False
    return True


def bounded_tiles(ranges: Sequence[int | None], budget: int = MAX_TILE_ELEMENTS) -> list[int]:
    """Tile sizes (0: whole loop) giving static tiles of at most ``budget`` elements.

    Inner loops stay whole while they fit, the first that does not is cut to its
    largest divisor within what is left, and every loop outside it to 1, so the
    innermost (contiguous) dimension is the one the vector ops run along.
    """
    sizes = [0] * len(ranges)
    left = budget
    for d in reversed(range(len(ranges))):
        extent = ranges[d] or 1
        if extent <= left:
            left //= extent
            continue
        sizes[d] = largest_divisor(extent, left)
        left = 1
    return sizes


def schedule_bounded(op: OpHandle, ranges: Sequence[int | None]) -> OpHandle | None:
    """Tile ``op`` alone (``scf.for``; reduction loops too) into :func:`bounded_tiles`.

    For ops no other library schedule takes (full and column reductions, unfused
    fills): :func:`tilewright.schedule.cpu.vectorize` vectorizes every statically
    shaped op of the function, and an untiled one would become a single vector of
    the whole tensor (a 300x300 sum: over 2 minutes of LLVM time).
    Returns the outermost loop, or None when the op is small enough as it is.
    """
    sizes = bounded_tiles(ranges)
    if not any(sizes):
        return None
    _, loops = op.tile(sizes)
    return loops[0]
