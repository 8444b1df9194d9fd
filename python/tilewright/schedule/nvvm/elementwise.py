"""Every op with a parallel loop that no other library schedule takes (elementwise chains,
transposes, row reductions): one thread per output element of the innermost parallel
dimension, ``ELEMENTWISE_BLOCK`` of them per block, reductions sequential in each thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, THREAD_DIMS, Tiling, mapped, tile_to_blocks_and_threads

if TYPE_CHECKING:
    from tilewright.schedule.info import LinalgOpInfo
    from tilewright.schedule.nvvm import GpuOp

# Threads per block along the innermost parallel dimension of an elementwise op.
ELEMENTWISE_BLOCK = 256


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
        tilings = elementwise_tilings(op.info)
        assert tilings is not None  # matches() said so
        tile_to_blocks_and_threads(op.handle, tilings, op.fill)
