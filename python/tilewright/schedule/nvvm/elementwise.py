"""Every op with a parallel loop that no other library schedule takes (elementwise chains,
transposes, row reductions): one thread per output element of the innermost parallel
dimension, ``ELEMENTWISE_BLOCK`` of them per block, reductions sequential in each thread.

An elementwise op whose every operand is read along the innermost loop contiguously (or not
along it at all: a broadcast) and whose innermost length is a whole number of 128-bit vectors
gets one VECTOR per thread instead (four floats, eight halves: ``vector_lanes``), vectorized: the
target makes the accesses ``ld.global.v4``/``st.global.v4`` where their alignment is provable
(:func:`tilewright.target.nvvm.rows.align_vector_accesses`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tilewright.schedule import patterns
from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, THREAD_DIMS, Tiling, mapped, tile_to_blocks_and_threads

if TYPE_CHECKING:
    from tilewright.schedule.info import LinalgOpInfo
    from tilewright.schedule.nvvm import GpuOp

# Threads per block along the innermost parallel dimension of an elementwise op.
ELEMENTWISE_BLOCK = 256
VECTOR_BITS = 128
# Fewer vectors than this per block (short rows) stay one element per thread (y threads fill the block).
MIN_VECTOR_THREADS = 32


def _map_results(indexing_map: str) -> list[str]:
    """``affine_map<(d0, d1) -> (d0, 0)>`` -> ``["d0", "0"]``."""
    results = indexing_map.split("->", 1)[1].strip().removesuffix(">").strip().removeprefix("(").removesuffix(")")
    return [r.strip() for r in results.split(",")] if results.strip() else []


def vector_lanes(op: LinalgOpInfo) -> int:
    """Elements per thread of an elementwise op read and written in 128-bit vectors (1: not).

    Every operand must use the innermost loop only as its last index, alone (contiguous) or not
    at all (broadcast along it), and the innermost length be a whole number of vectors of the
    narrowest element type (so every vector starts at a multiple of its length)."""
    if not op.is_elementwise or op.name != "linalg.generic" or None in op.loop_ranges:
        return 1
    if any(name.startswith("tensor.") for name in op.body_ops):
        return 1  # gathers (tensor.extract) do not vectorize into contiguous loads
    inner = f"d{op.num_loops - 1}"
    for indexing_map in op.indexing_maps:
        results = _map_results(indexing_map)
        uses = [i for i, r in enumerate(results) if inner in r.replace(" ", "").split("*")[0].split("+")]
        if any(inner in r for r in results) and (uses != [len(results) - 1] or results[-1] != inner):
            return 1
    types = [t for t in (*op.inputs, *op.outputs) if t is not None and t.rank]
    bits = [int("".join(c for c in t.dtype if c.isdigit()) or 0) for t in types]
    if not bits or min(bits) < 8:
        return 1
    lanes = VECTOR_BITS // min(bits)
    length = op.loop_ranges[-1] or 0
    if length % lanes or length // lanes < MIN_VECTOR_THREADS:
        return 1
    return lanes


def vector_tilings(op: LinalgOpInfo, lanes: int, block: int = ELEMENTWISE_BLOCK) -> tuple[Tiling, Tiling]:
    """(block tile sizes, threads per block) of an op of :func:`vector_lanes` ``lanes``: the
    innermost loop in blocks of up to ``block`` vectors (a divisor of its vectors: static tiles),
    one vector per thread; up to two outer parallel loops one index per block."""
    ranges = [r or 1 for r in op.loop_ranges]
    blocks = [0] * op.num_loops
    threads = [0] * op.num_loops
    inner = op.num_loops - 1
    vectors = ranges[inner] // lanes
    per_block = max(d for d in range(1, min(block, vectors) + 1) if vectors % d == 0)
    blocks[inner], threads[inner] = per_block * lanes, per_block
    for i in range(max(0, inner - 2), inner):
        blocks[i] = 1
    return mapped(blocks, BLOCK_DIMS), mapped(threads, THREAD_DIMS)


def elementwise_tilings(op: LinalgOpInfo, block: int = ELEMENTWISE_BLOCK) -> tuple[Tiling, Tiling] | None:
    """(block tile sizes, threads per block) of a non-contraction op: the innermost parallel
    loop in chunks of up to ``block`` threads, one element each; when that loop is short (the
    channels of an NHWC tensor), the next parallel loop fills the block (threads y); the other
    outer parallel loops (up to grid z) one index per block; other loops run in each thread.
    None without a parallel loop."""
    parallel = [i for i, t in enumerate(op.iterator_types) if t == "parallel"]
    if not parallel or any(op.loop_ranges[i] is None for i in parallel):
        return None
    inner = parallel[-1]
    blocks = [0] * op.num_loops
    threads = [0] * op.num_loops
    blocks[inner] = threads[inner] = min(block, op.loop_ranges[inner] or 1)
    for i in parallel[:-1][-2:]:
        blocks[i] = 1
    if threads[inner] <= block // 2 and len(parallel) > 1:
        outer = parallel[-2]
        blocks[outer] = threads[outer] = min(block // threads[inner], op.loop_ranges[outer] or 1)
    return mapped(blocks, BLOCK_DIMS), mapped(threads, THREAD_DIMS)


class ElementwiseSchedule:
    """One thread per output element (the library's fallback for any op with a parallel loop)."""

    name = "elementwise"

    def matches(self, op: GpuOp) -> bool:
        return elementwise_tilings(op.info) is not None

    def apply(self, op: GpuOp) -> None:
        lanes = vector_lanes(op.info)
        if lanes > 1 and op.fill is None:
            block, thread = vector_tilings(op.info, lanes)
            tiled, _ = op.handle.tile_forall(tile_sizes=list(block.sizes), mapping=block.attr())
            tiled, thread_forall = tiled.tile_forall(num_threads=list(thread.sizes), mapping=thread.attr())
            tiled.vectorize()
            thread_forall.apply_patterns(
                "canonicalization",
                "tensor.fold_tensor_subset_ops_into_vector_transfers",
                patterns.transfer_permutation_patterns(),
                patterns.cast_away_vector_leading_one_dim(),
                apply_cse=True,
            )
            return
        tilings = elementwise_tilings(op.info)
        assert tilings is not None  # matches() said so
        tile_to_blocks_and_threads(op.handle, tilings, op.fill)
