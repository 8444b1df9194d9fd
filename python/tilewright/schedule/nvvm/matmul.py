"""``linalg.matmul`` / ``batch_matmul`` on CUDA cores (SIMT), one level per function:

1. :func:`pad_to_tiles`: a problem that is not a multiple of the tiles is zero-padded to one
   (the pads and the slice of the result run as their own small kernels), so every kernel below
   sees whole tiles only: static shared buffers, unmasked vector accesses.
2. :func:`tile_blocks`: one ``SimtTile.block`` (M, N) tile of the result per block (a batch
   matmul one batch per grid z), the zero fill of the result fused into it.
3. :func:`stage_k_slices`: the k loop in slices of ``k_slice``; each slice's A and B tiles are
   copied by all threads of the block into workgroup (shared) memory, 128 bits per access
   (``ld.global.v4.f32``), the loop marked so that the target keeps the accumulators in
   registers across it (:mod:`tilewright.target.nvvm.memory`).
4. :func:`tile_threads`: each thread a ``SimtTile.thread`` tile of the block's result, read
   from shared memory as vectors and accumulated with FMAs (a ``vector.contract`` lowered to
   outer products).

The barriers between a slice's copies and its use, and before the next slice overwrites the
tiles, come from the thread mapping (``sync_after_distribute``). Dynamic shapes keep the plain
tiling of :func:`matmul_tilings` (no shared memory). The tile is a ``transform.tune.knob``
(``simt_matmul_<op>.block``: the block rows of one of :data:`SIMT_TILES`) that
``nvvm_schedule(knobs=...)`` sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tilewright.schedule import patterns as P
from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, THREAD_DIMS, Tiling, mapped, tile_to_blocks_and_threads

if TYPE_CHECKING:
    from tilewright.schedule import OpHandle
    from tilewright.schedule.info import LinalgOpInfo
    from tilewright.schedule.nvvm import GpuOp

# The plain tiling (dynamic shapes): a block's (M, N) tile and each thread's share of it.
MATMUL_BLOCK = (64, 64)
MATMUL_THREAD = (4, 4)
CONTRACTIONS = ("linalg.matmul", "linalg.batch_matmul")

WORKGROUP = "#gpu.address_space<workgroup>"
COPY_BITS = 128  # one ld.global.v4.f32 / st.shared.v4 per thread and step of a cooperative copy
ACCUMULATE = "tw.accumulate"  # tilewright.target.nvvm.memory.ACCUMULATE (no import upward)
# Blocks that fill one wave of an H100's 132 SMs: a smaller tile is chosen below this, since
# idle SMs cost more than the smaller tile's lower reuse.
FULL_WAVE_BLOCKS = 132


@dataclass(frozen=True)
class SimtTile:
    """The sizes of one SIMT matmul kernel: the block's (M, N) tile of the result, each
    thread's (M, N) tile of it (in registers), and the k slice staged in shared memory."""

    block: tuple[int, int]
    thread: tuple[int, int]
    k_slice: int

    @property
    def threads(self) -> tuple[int, int]:
        """Threads per block, (y, x)."""
        return (self.block[0] // self.thread[0], self.block[1] // self.thread[1])

    def shared_bytes(self, element_bytes: int = 4) -> int:
        """The A and B tiles of one k slice."""
        return (self.block[0] + self.block[1]) * self.k_slice * element_bytes


# Largest first. 128x128 with 8x8 per thread (256 threads): each value read from shared memory
# feeds 8 FMAs and a thread's 64 accumulators plus two 8-wide fragments stay in registers (128
# registers in ptxas, no spills); the k slice of 8 makes A and B one 128-bit load per thread
# each (8 KiB of shared memory, so several blocks per SM). The smaller tiles keep 256 and 64
# threads with 16-deep slices (same shared memory), for problems too small to fill the GPU.
SIMT_TILES = (
    SimtTile((128, 128), (8, 8), 8),
    SimtTile((64, 64), (4, 4), 16),
    SimtTile((32, 32), (4, 4), 16),
)


def simt_tile(op: LinalgOpInfo) -> SimtTile | None:
    """The largest tile that still gives ``FULL_WAVE_BLOCKS`` blocks (else the smallest); None
    for a dynamic shape."""
    ranges = op.loop_ranges
    if any(r is None for r in ranges):
        return None
    *batch, m, n, _ = ranges
    count = 1
    for b in batch:
        count *= b or 1
    for tile in SIMT_TILES:
        blocks = count * -(-(m or 1) // tile.block[0]) * -(-(n or 1) // tile.block[1])
        if blocks >= FULL_WAVE_BLOCKS:
            return tile
    return SIMT_TILES[-1]


def matmul_tilings(op: LinalgOpInfo) -> tuple[Tiling, Tiling]:
    """The plain tiling, (block tile sizes, threads per block) of a matmul (m, n, k) or batch
    matmul (b, m, n, k): ``MATMUL_BLOCK`` outputs per block, ``MATMUL_THREAD`` per thread."""
    batch = [1] if op.name == "linalg.batch_matmul" else []
    blocks = [*batch, *MATMUL_BLOCK, 0]
    threads = [*([0] * len(batch)), *(b // t for b, t in zip(MATMUL_BLOCK, MATMUL_THREAD, strict=True)), 0]
    return mapped(blocks, BLOCK_DIMS), mapped(threads, THREAD_DIMS)


def pad_to_tiles(op: GpuOp, tile: SimtTile) -> tuple[OpHandle, OpHandle | None]:
    """(the op, its fused fill) after zero-padding M, N and K up to multiples of the tile: a
    zero-filled init pads into a larger fill (canonicalization folds ``pad(fill)``), the result
    is a slice of the padded one."""
    *batch, m, n, k = op.info.loop_ranges
    multiples = [*([1] * len(batch)), tile.block[0], tile.block[1], tile.k_slice]
    sizes = [*batch, m, n, k]
    if all(s % t == 0 for s, t in zip(sizes, multiples, strict=True)):  # type: ignore[operator]
        return op.handle, op.fill
    dims = list(range(len(batch), len(sizes)))
    padded, _, _ = op.handle.pad(
        padding_dimensions=dims, pad_to_multiple_of=multiples[len(batch) :], copy_back_op="none"
    )
    if op.fill_index is None:
        return padded, None
    padded.parent("func.func").canonicalize()
    return padded, padded.producer_of_operand(len(op.info.inputs))


def tile_blocks(handle: OpHandle, fill: OpHandle | None, tile: SimtTile, batch: int) -> tuple[OpHandle, OpHandle]:
    """(the block's op, the block forall): the block tile, the fill fused and spread over the
    block's threads (each zeroes its own tile of the result)."""
    block = mapped([*([1] * batch), *tile.block, 0], BLOCK_DIMS)
    tiled, forall = handle.tile_forall(tile_sizes=list(block.sizes), mapping=block.attr())
    if fill is not None:
        fused, _ = fill.fuse_into(forall)
        threads = mapped([*([0] * batch), *tile.threads], THREAD_DIMS)
        fused_tile, _ = fused.tile_forall(num_threads=list(threads.sizes), mapping=threads.attr())
        fused_tile.vectorize()
    return tiled, forall


def stage_k_slices(tiled: OpHandle, tile: SimtTile, batch: int) -> tuple[OpHandle, list[OpHandle]]:
    """The k loop in slices of ``tile.k_slice``, each slice's A and B tiles copied into shared
    memory by all the block's threads; returns the slice's op (reading the shared tiles) and the
    two copies' foralls (vectorized last, :func:`vectorize_copies`)."""
    inner, (k_loop,) = tiled.tile([*([0] * batch), 0, 0, tile.k_slice])
    k_loop.annotate(ACCUMULATE)
    # A nofold pad of an already whole tile is a copy: into a buffer of its own, which the
    # cooperative copy below fills.
    staged, pads, _ = inner.pad(padding_dimensions=[batch, batch + 1, batch + 2], nofold=[True, True, False])
    threads = tile.threads[0] * tile.threads[1]
    copies = []
    for pad in pads.split(2):
        copy_forall, _ = pad.map_copy_to_threads(total_num_threads=threads, desired_bit_alignment=COPY_BITS)
        copy_forall.bufferize_to_allocation(memory_space=WORKGROUP, bufferize_destination_only=True)
        copies.append(copy_forall)
    return staged, copies


def vectorize_copies(copies: list[OpHandle]) -> None:
    """Each thread's piece of a copy: a vector read of A or B (the pad, which pads nothing,
    folded into it) and a vector write into the shared tile (a plain insert would bufferize to
    a ``memref.copy``)."""
    for copy_forall in copies:
        copy_forall.match("tensor.parallel_insert_slice").insert_slice_to_copy().vectorize()
        # The read from the A or B tile itself (not from a slice of it: canonicalization would
        # fold the write of a whole-slice read back into an insert, a memref.copy).
        copy_forall.apply_patterns(P.Pattern("linalg.pad_vectorization"), P.Pattern("tensor.fold_tensor_subset_ops"))
        copy_forall.apply_dce()  # the pad and the slice, now unused


def tile_threads(staged: OpHandle, tile: SimtTile, batch: int) -> None:
    """Each thread's ``tile.thread`` tile of the slice's product, vectorized: the fragments of A
    and B are vector loads from shared memory, the product outer products (FMAs)."""
    threads = mapped([*([0] * batch), *tile.threads, 0], THREAD_DIMS)
    thread_tile, _ = staged.tile_forall(num_threads=list(threads.sizes), mapping=threads.attr())
    thread_tile.vectorize()


def lower_vectors(forall: OpHandle) -> None:
    """The block's vector contractions -> FMAs (only inside this kernel: other schedules'
    contractions, tensor-core ones, are theirs to lower)."""
    # vectorize() reads the fragments broadcast to (m, n, k) and reduces a product over k: to
    # reads of the fragments and one contraction first (the broadcasts out of the reads, then
    # into the contraction), as vectorize_children_and_apply_patterns would on a whole function.
    # A batch matmul's unit batch dimension goes too (accumulators of rank 2, which the
    # kernels' LLVM lowering takes).
    forall.apply_patterns(
        P.Pattern("vector.transfer_permutation_patterns"),
        P.Pattern("vector.reduction_to_contract"),
        P.Pattern("vector.cast_away_vector_leading_one_dim"),
        P.canonicalization(),
    )
    forall.apply_patterns(
        P.lower_contraction("outerproduct"),
        P.lower_outerproduct(),
        P.Pattern("vector.transfer_permutation_patterns"),
        P.canonicalization(),
        apply_cse=True,
    )


class SimtMatmulSchedule:
    """Matmuls of any element type on CUDA cores: shared-memory k slices, register tiles."""

    name = "simt-matmul"

    def matches(self, op: GpuOp) -> bool:
        return op.info.name in CONTRACTIONS

    def apply(self, op: GpuOp) -> None:
        tile = simt_tile(op.info)
        if tile is None:
            tile_to_blocks_and_threads(op.handle, matmul_tilings(op.info), op.fill)
            return
        # The tile as a knob (named by its block rows), so a tuner can try the others.
        name = f"simt_matmul_{op.info.index}.block"
        by_rows = {t.block[0]: t for t in SIMT_TILES}
        op.schedule.knob(name, list(by_rows), default=tile.block[0])
        tile = by_rows[op.schedule.knobs[name][1]]
        batch = 1 if op.info.name == "linalg.batch_matmul" else 0
        handle, fill = pad_to_tiles(op, tile)
        tiled, forall = tile_blocks(handle, fill, tile, batch)
        staged, copies = stage_k_slices(tiled, tile, batch)
        tile_threads(staged, tile, batch)
        lower_vectors(forall)
        vectorize_copies(copies)
