"""Row reductions on the GPU the way fast kernels do them: softmax, layernorm, RMSNorm and plain
reductions over the last dimension, one block per row, its threads cooperating.

A *row group* is a chain of ops over the same rows (``[rows..., N]``, the last loop along the
row) that only feed each other: reductions along the row (max, sum), elementwise ops on whole
rows (``exp(x - max)``), per-row scalars (``sum / N``) and the fills of the reductions' inits.
Its last consumer (the root) is tiled into a block forall of one row (``#gpu.block<x>``) and every
other member fused into it, so the whole chain is one kernel. Inside the block:

- the root (when it writes whole rows) is tiled to ``T`` threads, each owning ``C = N / T``
  contiguous elements, one 128-bit access when ``C`` is a vector of the element type (four
  floats, eight halves), and its whole-row producers are fused into that thread forall;
- each reduction is split into ``T`` per-thread partial results
  (``tile_reduction_using_forall``, the same ``C`` elements per thread) with its whole-row
  producers fused in as well: ``exp(x - max)`` is recomputed where it is used rather than kept
  as a row in memory, so the row is read from global memory once per reduction plus once for
  the output and never written in between;
- the thread foralls are vectorized (static ``C``-element tiles: loads and stores of vectors).

What combines the partials is the target's: the block forall is marked ``ROW_KERNEL_ATTR``, and
after bufferization each combining ``linalg.reduce`` of such a block becomes warp shuffles
(``shfl.sync.bfly``) and one exchange across warps through shared memory, and the block's
buffers become private to each thread (:mod:`tilewright.target.nvvm.rows`). The block has whole
warps (``row_block_size``): threads past ``T`` take no part in the row but in the shuffles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlir import ir

from tilewright.schedule import patterns
from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, mapped
from tilewright.schedule.tags import OP_TAG

if TYPE_CHECKING:
    from tilewright.schedule import OpHandle, Schedule
    from tilewright.schedule.info import LinalgOpInfo
    from tilewright.schedule.nvvm import GpuOp

# Set on a row group's block forall: its thread foralls all split the row the same way (thread t
# owns the same elements in each), and its combining reduces are over the threads' partials.
ROW_KERNEL_ATTR = "tw.gpu_rows"

MAX_THREADS = 1024
VECTOR_BITS = 128
WARP = 32


def row_block_size(threads: int) -> int:
    """Threads of a row kernel's block: ``threads`` rounded up to whole warps (the shuffles'
    lanes must all exist)."""
    return -(-threads // WARP) * WARP


FILL, REDUCTION, ROW, SCALAR = "fill", "reduction", "row", "scalar"


@dataclass(frozen=True)
class RowGroup:
    """A root and the producers fused into its block forall (``kinds``: index -> FILL,
    REDUCTION, ROW (elementwise on whole rows) or SCALAR (elementwise on one value per row));
    ``edges``: index -> [(input operand number, producer member index)]."""

    root: int
    rows: tuple[int, ...]
    length: int
    kinds: dict[int, str]
    edges: dict[int, list[tuple[int, int]]]
    element_bits: int
    root_loops: int

    @property
    def members(self) -> list[int]:
        return sorted(i for i in self.kinds if i != self.root)


def _tag(op: ir.Operation) -> int | None:
    return ir.IntegerAttr(op.attributes[OP_TAG]).value if OP_TAG in op.attributes else None


def _producer(value: ir.Value) -> int | None:
    if isinstance(value.owner, ir.Block):
        return None
    return _tag(value.owner.operation)


def _users(op: ir.Operation) -> list[int | None]:
    return [_tag(use.owner) for result in op.results for use in result.uses]


def _bits(dtype: str) -> int:
    digits = "".join(c for c in dtype if c.isdigit())
    return int(digits) if digits else 32


def _kind(info: LinalgOpInfo, full: tuple[int, ...]) -> str | None:
    """What ``info`` is in a group over rows ``full[:-1]`` of ``full[-1]`` elements (None: no member)."""
    rows = full[:-1]
    if info.name == "linalg.fill":
        shape = info.outputs[0].shape if info.outputs and info.outputs[0] else None
        return FILL if shape in (rows, (*rows, 1)) else None
    if info.name != "linalg.generic" or len(info.outputs) != 1 or None in info.loop_ranges:
        return None
    if info.is_elementwise:
        if info.loop_ranges == full:
            return ROW
        return SCALAR if info.loop_ranges in (rows, (*rows, 1)) else None
    if info.iterator_types == ("parallel",) * len(rows) + ("reduction",) and info.loop_ranges == full:
        out = info.outputs[0]
        return REDUCTION if out is not None and out.shape == rows else None
    return None


def _grow(root: int, top: dict[int, ir.Operation], taken: set[int]) -> set[int]:
    """The root and the producers whose every use is in the group (transitively)."""
    group = {root}
    changed = True
    while changed:
        changed = False
        for member in sorted(group):
            for operand in top[member].operands:
                p = _producer(operand)
                if p is None or p in group or p in taken or p not in top:
                    continue
                if all(u in group for u in _users(top[p])):
                    group.add(p)
                    changed = True
    return group


def row_group(
    root: LinalgOpInfo, infos: dict[int, LinalgOpInfo], top: dict[int, ir.Operation], taken: set[int]
) -> RowGroup | None:
    """The row group ``root`` closes, or None (no reduction along rows among its producers, or a
    member of another shape)."""
    group = _grow(root.index, top, taken)
    reductions = [i for i in group if infos[i].name == "linalg.generic" and "reduction" in infos[i].iterator_types]
    if not reductions:
        return None
    full = infos[reductions[0]].loop_ranges
    if None in full or not 1 <= len(full) - 1 <= len(BLOCK_DIMS):
        return None
    kinds = {i: _kind(infos[i], full) for i in group}  # type: ignore[arg-type]
    if None in kinds.values() or kinds[root.index] == FILL:
        return None
    edges = {
        i: [(n, p) for n, v in enumerate(top[i].operands[: len(infos[i].inputs)]) if (p := _producer(v)) in group]
        for i in group
    }
    outputs = [t for t in infos[root.index].outputs + infos[root.index].inputs if t is not None and t.shape == full]
    bits = min((_bits(t.dtype) for t in outputs), default=32)
    return RowGroup(root.index, tuple(full[:-1]), full[-1], kinds, edges, bits, root.num_loops)  # type: ignore[arg-type]


def row_groups(ops: list[LinalgOpInfo], top: dict[int, ir.Operation], taken: set[int]) -> dict[int, RowGroup]:
    """root index -> its row group, last roots first (a producer joins the group of its last
    consumer)."""
    infos = {op.index: op for op in ops}
    groups: dict[int, RowGroup] = {}
    claimed = set(taken)
    for op in reversed(ops):
        if op.index in claimed or op.name != "linalg.generic":
            continue
        group = row_group(op, infos, top, claimed)
        if group is not None:
            groups[op.index] = group
            claimed |= set(group.kinds)
    return groups


def row_split(length: int, element_bits: int, max_threads: int = MAX_THREADS) -> tuple[int, int]:
    """(threads, elements per thread) of a row: the fewest elements per thread that are a whole
    number of 128-bit vectors, divide the row and leave at most ``max_threads`` threads; rows
    of no such length take the smallest divisor that fits (97: 97 threads of one)."""
    vector = max(1, VECTOR_BITS // element_bits)
    for step in (vector, 1):
        for chunk in range(step, length + 1, step):
            if length % chunk == 0 and length // chunk <= max_threads:
                return length // chunk, chunk
    return 1, length


class RowSchedule:
    """One block per row, threads splitting the row, the group's ops fused in one kernel."""

    name = "rows"

    def matches(self, op: GpuOp) -> bool:
        return op.group is not None

    def apply(self, op: GpuOp) -> None:
        group = op.group
        assert group is not None  # matches() said so
        schedule_rows(op.schedule, op.handle, group)


def _member(s: Schedule, index: int, within: OpHandle | None = None) -> OpHandle:
    return s.match(interface="LinalgOp", attrs={OP_TAG: f"{index} : i64"}, within=within)


def _row_producers(group: RowGroup, consumer: int, handle: OpHandle) -> list[tuple[int, OpHandle]]:
    """The whole-row elementwise producers of ``consumer`` (transitively through such ops), each
    with a handle got from its consumer's before anything is consumed, nearest first."""
    found: dict[int, OpHandle] = {}
    stack = [(consumer, handle)]
    while stack:
        index, h = stack.pop()
        for operand, producer in group.edges[index]:
            if group.kinds[producer] == ROW and producer not in found:
                found[producer] = h.producer_of_operand(operand)
                stack.append((producer, found[producer]))
    return sorted(found.items(), key=lambda item: -item[0])


def schedule_rows(s: Schedule, root: OpHandle, group: RowGroup) -> None:
    """Tile the group's root to one row per block, fuse the members, split the row over threads
    (see the module docstring)."""
    rank = len(group.rows)
    kind = group.kinds[group.root]
    # A per-row scalar root (a mean: sum / N) has no row loop; its unit loop (rows x 1) is tiled too.
    block = [1] * rank + [0] if kind != SCALAR else [1] * group.root_loops
    tiling = mapped(block, BLOCK_DIMS)
    _, forall = root.tile_forall(tile_sizes=list(block), mapping=tiling.attr())
    for member in reversed(group.members):
        _, forall = _member(s, member).fuse_into(forall)
    forall.annotate(ROW_KERNEL_ATTR)
    forall.apply_cse()
    threads, _ = row_split(group.length, group.element_bits)
    split = [0] * rank + [threads]
    thread_x = "[#gpu.thread<x>]"
    consumers = sorted(
        (i for i, k in group.kinds.items() if k == REDUCTION or (i == group.root and k == ROW)), reverse=True
    )
    loops = []
    for consumer in consumers:
        handle = _member(s, consumer, forall)
        producers = _row_producers(group, consumer, handle)
        if group.kinds[consumer] == ROW:
            _, loop = handle.tile_forall(num_threads=split, mapping=thread_x)
        else:
            fill, _, _, loop = handle.tile_reduction_forall(split, mapping=thread_x)
            _, loop = fill.fuse_into(loop)
        for _, producer in producers:
            _, loop = producer.fuse_into(loop)
        loops.append(loop)
    if kind == SCALAR:
        # A per-row scalar root writes the function's result in place of its input (the row's
        # reduction, bufferized into the same global element): one thread, the one that
        # combined the reduction into it, computes it; all threads at once would race.
        one = [1] + [0] * (group.root_loops - 1)
        _, single = _member(s, group.root, forall).tile_forall(num_threads=one, mapping=thread_x)
        single.match(interface="LinalgOp").vectorize()
    for loop in loops:
        loop.match(interface="LinalgOp").vectorize()
    # The per-row values every thread computes alike (inits, sum / N) as vectors too: no loop of
    # one iteration over a buffer of one element left for LLVM to see through.
    for member, kind in sorted(group.kinds.items()):
        if kind in (FILL, SCALAR):
            _member(s, member, forall).vectorize()
    # Per-thread vectors of C elements: one row dim (vector<1xC> -> vector<C>), reductions to
    # vector.reduction (LLVM's reduce intrinsics), transfers of the fused producers folded away.
    # Inside the thread foralls only: canonicalizing the block forall would inline it when it
    # has one iteration (a single row), and with it the mark of the row kernel.
    for loop in loops:
        loop.apply_patterns(
            "canonicalization",
            "tensor.fold_tensor_subset_ops_into_vector_transfers",
            patterns.transfer_permutation_patterns(),
            patterns.cast_away_vector_leading_one_dim(),
            patterns.lower_multi_reduction("innerreduction"),
            apply_cse=True,
        )
