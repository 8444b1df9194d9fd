"""f16 ``linalg.matmul`` / ``batch_matmul`` on tensor cores with ``mma.sync`` (m16n8k16, f32
accumulators), for sm_80 and up (sm_90a's warpgroup MMA is the "wgmma" row's, which falls back to
this one when it does not apply).

What it takes: the ingress's form of an f16 ``dot_general`` (as XLA, f32 accumulation with one
rounding, see ``test_f32_accumulation.py``): an f32 contraction whose two inputs are each an
all-parallel ``linalg.generic`` that only extends an f16 tensor to f32 (``arith.extf``)
and has no other use, of static shapes that the block tile divides. The ``truncf`` consumer stays
its own elementwise kernel (the f32 result makes one round trip through global memory).

How (before bufferization; :mod:`tilewright.target.nvvm.tensorcore` finishes it on the kernel):

- a :class:`MmaTile` block tile (128x128 for large matmuls) per block (``#gpu.block``), the zero
  fill fused and split over the block's threads (``#gpu.thread``), the two ``extf`` producers fused;
- a k loop of ``k_step`` (32) slices; in each, the f16 A and B slices copied by all the block's
  threads into shared memory (16 KiB for 128x128x32), 16 bytes per thread and access
  (``ld.global.nc.v4``, ``st.shared.v4``), then the block tile split over ``warps`` (2x4:
  ``#gpu.warp``, 64x32 per warp) with the producers fused again, so that each warp reads its
  fragments from shared memory (``ldmatrix``, ``.trans`` for B; the target XOR-swizzles the
  tiles against bank conflicts);
- the warp's ``extf`` + matmul vectorized into ``extf`` + ``vector.contract``, unrolled to the
  16x8x16 ``mma.sync`` shape (``gpu.unroll_vectors_subgroup_mma``): 4x4 accumulator tiles of 16x8
  per warp (64 f32 registers per thread). The ``extf`` stays apart until the target folds it into
  the contract (f16 x f16 -> f32) right before the ``mma.sync`` conversion, whose precondition
  that is: up to there the kernels hold plain f32 contracts, which any vector lowering takes.

The target then keeps each warp's accumulators in registers across the k loop and turns the
contracts into ``nvgpu.mma.sync`` (``mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32``).

Not yet: ``cp.async`` pipelining (double-buffered slices), bf16 (NARROW_FLOATS), the ``truncf``
fused into the epilogue, and partial tiles (shapes the smallest tile does not divide, such as
97x64x33, go to the SIMT row, which is exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlir import ir

from tilewright.schedule import patterns as P
from tilewright.schedule.nvvm.matmul import CONTRACTIONS
from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, mapped
from tilewright.schedule.patterns import Pattern
from tilewright.schedule.tags import OP_TAG

if TYPE_CHECKING:
    from tilewright.schedule import OpHandle
    from tilewright.schedule.nvvm import GpuOp

MMA_SHAPE = (16, 8, 16)  # m, n, k of mma.sync for f16/bf16 inputs
MMA_ARCHS = ("sm_80", "sm_90", "sm_90a")
# bf16 is not taken yet: upstream convert-vector-to-gpu{use-nvgpu} fails on its operand loads.
NARROW_FLOATS = ("f16",)
WARP_SIZE = 32
WORKGROUP = "#gpu.address_space<workgroup>"
COPY_BITS = 128  # one 16-byte global load and shared store per thread and step of a copy


@dataclass(frozen=True)
class MmaTile:
    """A block tile (``block_m`` x ``block_n``) of ``warps`` = (rows, columns) warps, each
    computing a ``block_m / rows`` x ``block_n / columns`` share in 16x8 ``mma.sync`` tiles."""

    block_m: int
    block_n: int
    warps: tuple[int, int]

    @property
    def warp_tile(self) -> tuple[int, int]:
        return self.block_m // self.warps[0], self.block_n // self.warps[1]

    @property
    def thread_count(self) -> int:
        return self.warps[0] * self.warps[1] * WARP_SIZE

    @property
    def threads(self) -> tuple[int, int]:
        """The block size (x, y): warps of the x dimension side by side in x."""
        return self.warps[1] * WARP_SIZE, self.warps[0]


# Largest first. 128x128 over 8 warps (64x32 each: 16 accumulator tiles, 64 f32 registers per
# thread, 256 threads) is the usual Ampere tile: 64 output elements per loaded operand element
# per block, enough warps (8) to hide the latency of the tensor cores' operand loads; smaller
# tiles keep matmuls whose sides 128 does not divide on tensor cores (still 16x8 per tile).
MMA_TILES = (
    MmaTile(128, 128, (2, 4)),
    MmaTile(64, 64, (2, 2)),
    MmaTile(32, 32, (2, 2)),
    MmaTile(16, 16, (1, 2)),
)
# The k slice per loop step: 2 mma.sync k steps of 16 per operand load (16 when 32 does not divide K).
K_STEPS = (32, 16)


def extends_narrow_float(value: ir.Value, floats: tuple[str, ...] = NARROW_FLOATS) -> int | None:
    """The op tag of ``value``'s producer if it is an all-parallel ``linalg.generic`` that only
    extends a tensor of one of ``floats`` to f32 and ``value`` is its only use; else None."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return None
    op = owner.operation
    if op.name != "linalg.generic" or OP_TAG not in op.attributes or len(list(value.uses)) != 1:
        return None
    if len(op.operands) != 2 or any("reduction" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])):
        return None
    source = ir.RankedTensorType(op.operands[0].type)
    body = [o.operation.name for o in op.regions[0].blocks[0].operations]
    if str(source.element_type) not in floats or body != ["arith.extf", "linalg.yield"]:
        return None
    maps = [ir.AffineMapAttr(m).value for m in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if any(m != ir.AffineMap.get_identity(source.rank) for m in maps):
        return None
    return ir.IntegerAttr(op.attributes[OP_TAG]).value


def mma_plan(op: GpuOp) -> tuple[MmaTile, int, tuple[int, int]] | None:
    """(block tile, k step, op tags of the A and B ``extf`` producers) of a contraction this row
    takes, or None."""
    info = op.info
    if info.name not in CONTRACTIONS or op.arch not in MMA_ARCHS:
        return None
    operation = op.operation
    result = ir.RankedTensorType(operation.results[0].type)
    if str(result.element_type) != "f32" or not result.has_static_shape:
        return None
    a, b = (extends_narrow_float(operation.operands[i]) for i in (0, 1))
    if a is None or b is None:
        return None
    a_type = ir.RankedTensorType(operation.operands[0].owner.operation.operands[0].type)
    b_type = ir.RankedTensorType(operation.operands[1].owner.operation.operands[0].type)
    if a_type.element_type != b_type.element_type or not (a_type.has_static_shape and b_type.has_static_shape):
        return None
    m, n, k = result.shape[-2], result.shape[-1], a_type.shape[-1]
    tile = next((t for t in MMA_TILES if m % t.block_m == 0 and n % t.block_n == 0), None)
    k_step = next((s for s in K_STEPS if k % s == 0), None)
    if tile is None or k_step is None:
        return None
    return tile, k_step, (a, b)


class MmaSyncMatmulSchedule:
    """f16 matmuls (f32 accumulation) on tensor cores, ``mma.sync``."""

    name = "mma-sync-matmul"

    def matches(self, op: GpuOp) -> bool:
        return mma_plan(op) is not None

    def fuses(self, op: GpuOp) -> tuple[int, ...]:
        """The op tags of the ``extf`` producers this row fuses (not scheduled on their own)."""
        plan = mma_plan(op)
        return plan[2] if plan is not None else ()

    def apply(self, op: GpuOp) -> None:
        plan = mma_plan(op)
        assert plan is not None
        tile, k_step, _ = plan
        batch = [1] if op.info.name == "linalg.batch_matmul" else []
        zeros = [0] * len(batch)
        producers = [op.handle.producer_of_operand(i) for i in (0, 1)]
        block = mapped([*batch, tile.block_m, tile.block_n, 0], BLOCK_DIMS)
        tiled, forall = op.handle.tile_forall(tile_sizes=list(block.sizes), mapping=block.attr())
        producers, forall = _fuse(producers, forall)
        fill = op.fill
        if fill is not None:
            fill, forall = fill.fuse_into(forall)
            # One row per thread of x, the columns split over y: contiguous stores.
            fill.tile_forall(num_threads=[*zeros, *tile.threads], mapping="[#gpu.thread<x>, #gpu.thread<y>]")
        inner, (k_loop,) = tiled.tile([*zeros, 0, 0, k_step])
        producers, _ = _fuse(producers, k_loop)
        producers, copies = _stage_in_shared_memory(producers, tile, len(batch))
        forall.apply_patterns(P.canonicalization())  # the pads' whole-tile slices fold away
        warp, warp_forall = inner.tile_forall(
            num_threads=[*zeros, *tile.warps, 0], mapping="[#gpu.warp<y>, #gpu.warp<x>]"
        )
        producers, _ = _fuse(producers, warp_forall)
        for h in (*producers, warp):
            h.vectorize()
        # Only inside the block forall: other ops' vector code is not warp-level.
        forall.apply_patterns(P.reduction_to_contract(), P.canonicalization(), apply_cse=True)
        if batch:  # the unit batch dimension off the contract (mma.sync is 2-d)
            forall.apply_patterns(P.cast_away_vector_leading_one_dim(), P.canonicalization(), apply_cse=True)
        mma = Pattern("gpu.unroll_vectors_subgroup_mma", "[{}, {}, {}]".format(*MMA_SHAPE))
        forall.apply_patterns(mma, P.canonicalization(), apply_cse=True)
        _vectorize_copies(copies)


def _stage_in_shared_memory(
    producers: list[OpHandle], tile: MmaTile, batch: int
) -> tuple[list[OpHandle], list[OpHandle]]:
    """Each k slice's f16 A and B tiles copied by all the block's threads into workgroup (shared)
    memory, 128 bits per thread and access, before the warps read them (then with ``ldmatrix``):
    a nofold pad of the ``extf`` producer's input is the copy. Returns (the producers, now reading
    the shared tiles, and the copies' foralls, vectorized last by :func:`_vectorize_copies`)."""
    s = producers[0].schedule
    staged, copies = [], []
    for producer in producers:
        padded, pad, _ = producer.pad(
            padding_dimensions=list(range(batch + 2)), nofold=[True, False], copy_back_op="none"
        )
        any_op = "!transform.any_op"
        copy_forall, _ = s.op(
            "transform.structured.gpu.map_copy_to_threads",
            [pad],
            [any_op, any_op],
            {"total_num_threads": f"{tile.thread_count} : i64", "desired_bit_alignment": f"{COPY_BITS} : i64"},
        )
        s.op(
            "transform.structured.bufferize_to_allocation",
            [copy_forall],
            ["!transform.any_value", any_op],
            {"memory_space": WORKGROUP, "bufferize_destination_only": "unit"},
        )
        staged.append(padded)
        copies.append(copy_forall)
    return staged, copies


def _vectorize_copies(copies: list[OpHandle]) -> None:
    """Each thread's piece of a copy: one vector read of A or B and one vector write into the
    shared tile (a plain insert would bufferize to a ``memref.copy``)."""
    for copy_forall in copies:
        insert = copy_forall.match("tensor.parallel_insert_slice")
        (copy,) = copy_forall.schedule.op("transform.structured.insert_slice_to_copy", [insert], ["!transform.any_op"])
        copy.vectorize()
        copy_forall.apply_patterns(Pattern("linalg.pad_vectorization"), Pattern("tensor.fold_tensor_subset_ops"))
        copy_forall.apply_dce()


def _fuse(producers: list[OpHandle], containing: OpHandle) -> tuple[list[OpHandle], OpHandle]:
    """Fuse each producer into ``containing``: (the fused producers, the new containing handle)."""
    fused = []
    for p in producers:
        p, containing = p.fuse_into(containing)
        fused.append(p)
    return fused, containing
