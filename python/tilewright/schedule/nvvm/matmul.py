"""``linalg.matmul`` / ``batch_matmul`` as SIMT tiles: a ``MATMUL_BLOCK`` tile per block,
``MATMUL_THREAD`` outputs per thread, the zero fill of the result fused in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, THREAD_DIMS, Tiling, mapped, tile_to_blocks_and_threads

if TYPE_CHECKING:
    from tilewright.schedule.info import LinalgOpInfo
    from tilewright.schedule.nvvm import GpuOp

# A block's (M, N) output tile of a matmul and each thread's (M, N) share of it: 16x16 threads.
MATMUL_BLOCK = (64, 64)
MATMUL_THREAD = (4, 4)
CONTRACTIONS = ("linalg.matmul", "linalg.batch_matmul")


def matmul_tilings(op: LinalgOpInfo) -> tuple[Tiling, Tiling]:
    """(block tile sizes, threads per block) of a matmul (m, n, k) or batch matmul (b, m, n, k):
    ``MATMUL_BLOCK`` outputs per block, ``MATMUL_THREAD`` per thread."""
    batch = [1] if op.name == "linalg.batch_matmul" else []
    blocks = [*batch, *MATMUL_BLOCK, 0]
    threads = [*([0] * len(batch)), *(b // t for b, t in zip(MATMUL_BLOCK, MATMUL_THREAD, strict=True)), 0]
    return mapped(blocks, BLOCK_DIMS), mapped(threads, THREAD_DIMS)


class SimtMatmulSchedule:
    """Matmuls of any element type on CUDA cores."""

    name = "simt-matmul"

    def matches(self, op: GpuOp) -> bool:
        return op.info.name in CONTRACTIONS

    def apply(self, op: GpuOp) -> None:
        tile_to_blocks_and_threads(op.handle, matmul_tilings(op.info), op.fill)
