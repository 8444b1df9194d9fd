"""f16/bf16 ``linalg.matmul`` on Hopper's warpgroup MMA (``wgmma.mma_async``), for sm_90a only.

What it takes: the form the tensor-core row takes (an f32 ``linalg.matmul`` whose inputs are
each an ``extf`` generic of an f16 or bf16 tensor with no other use, see
:func:`tilewright.schedule.nvvm.tensorcore.mma_plan`), 2-d, with M and N multiples of
:data:`BLOCK_TILE` and K a multiple of :data:`K_STEP`. Other sm_90a matmuls go on to the
``mma.sync`` row; other archs never come here (wgmma is an sm_90a feature).

How:

- the payload's two ``extf`` generics and the f32 matmul become ONE mixed-precision
  ``linalg.matmul ins(f16, f16) outs(f32)`` (:func:`fold_extf_into_matmul`). This is exact: the
  named op's body casts each operand element to the accumulator type before the multiply
  (``arith.extf`` for floats, what the generics did), so it computes the same products and sums;
  ``transform.tw.rewrite_matmul_as_wgmma`` takes only f16/bf16 operands;
- a 128x128 block tile per block (``#gpu.block``), the zero fill split over the block's 128
  threads (one row each), a k loop of :data:`K_STEP` slices; the matmul of each slice is not
  split over threads: the whole block (one warpgroup, 128 threads) runs it, and it is marked
  :data:`WGMMA_MARK`;
- after the GPU mapping the target (``tw-wgmma``, :mod:`tilewright.target.nvvm.wgmma`) applies
  ``rewrite_matmul_as_wgmma`` to the marked matmuls: the 128 threads stage the f16 slices of A
  (128x64) and B (64x128) in shared memory (32 KiB) and issue two m64n128k16 wgmma per 16 of K.

Not yet: batch matmuls, tiles other than 128x128, C's fragments kept in registers across the k
loop (the op loads and stores them at each slice), the ``truncf`` fused into the epilogue.
Numerics are not emulated (the GPU emulator does not run wgmma); ptxas accepts the kernels.
The extf fold is a payload rewrite made while the script is built: a dumped ``scheduled`` script
replayed on the ingress's linalg would find the f32 matmul, not the mixed-precision one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlir import ir
from mlir.dialects import linalg

from tilewright import extension
from tilewright.schedule.nvvm.tensorcore import extends_narrow_float
from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, mapped
from tilewright.schedule.tags import OP_TAG

if TYPE_CHECKING:
    from tilewright.schedule.nvvm import GpuOp

WGMMA_ARCHS = ("sm_90a",)
WGMMA_FLOATS = ("f16", "bf16")
WARPGROUP = 128  # threads of a warpgroup: the block size
BLOCK_TILE = 128  # M and N of a block's tile: two m64n128 wgmma per 16 of K
K_STEP = 64  # the k slice staged per loop step (16 KiB of A and of B in f16)
# The mark of a matmul one warpgroup runs: tw-wgmma rewrites those (target/nvvm/wgmma.py).
WGMMA_MARK = "tw.wgmma"


def _extended(value: ir.Value) -> ir.Value:
    """The narrow-float tensor the ``extf`` generic producing ``value`` extends."""
    return value.owner.operation.operands[0]


def wgmma_plan(op: GpuOp) -> tuple[int, int] | None:
    """The op tags of the A and B ``extf`` producers of a matmul this row takes, or None."""
    if op.arch not in WGMMA_ARCHS or op.info.name != "linalg.matmul" or not extension.available():
        return None  # the rewrite is the C++ extension's op: without it, mma.sync
    operation = op.operation
    result = ir.RankedTensorType(operation.results[0].type)
    if str(result.element_type) != "f32" or not result.has_static_shape:
        return None
    a, b = (extends_narrow_float(operation.operands[i], WGMMA_FLOATS) for i in (0, 1))
    if a is None or b is None:
        return None
    a_type, b_type = (ir.RankedTensorType(_extended(operation.operands[i]).type) for i in (0, 1))
    if a_type.element_type != b_type.element_type:
        return None
    m, n = result.shape
    if m % BLOCK_TILE or n % BLOCK_TILE or a_type.shape[-1] % K_STEP:
        return None
    return a, b


def fold_extf_into_matmul(matmul: ir.Operation) -> ir.Operation:
    """Replace ``matmul`` (f32, fed by two ``extf`` generics) by ``linalg.matmul`` on the generics'
    narrow inputs with the same init and attributes (its body extends them to f32 itself); the
    generics, now unused, are erased. Returns the new matmul."""
    producers = [matmul.operands[i].owner.operation for i in (0, 1)]
    with matmul.location, ir.InsertionPoint(matmul):
        result = linalg.matmul(_extended(matmul.operands[0]), _extended(matmul.operands[1]), outs=[matmul.operands[2]])
    new = result.owner.operation if isinstance(result, ir.Value) else result.operation
    new.attributes[OP_TAG] = matmul.attributes[OP_TAG]
    matmul.results[0].replace_all_uses_with(new.results[0])
    matmul.erase()
    for producer in producers:
        producer.erase()
    return new


class WgmmaMatmulSchedule:
    """f16/bf16 matmuls (f32 accumulation) on warpgroup MMA, sm_90a."""

    name = "wgmma-matmul"

    def matches(self, op: GpuOp) -> bool:
        return wgmma_plan(op) is not None

    def fuses(self, op: GpuOp) -> tuple[int, ...]:
        """The op tags of the ``extf`` producers this row folds into the matmul."""
        plan = wgmma_plan(op)
        return plan if plan is not None else ()

    def apply(self, op: GpuOp) -> None:
        op.operation = fold_extf_into_matmul(op.operation)
        block = mapped([BLOCK_TILE, BLOCK_TILE, 0], BLOCK_DIMS)
        tiled, forall = op.handle.tile_forall(tile_sizes=list(block.sizes), mapping=block.attr())
        fill = op.fill
        if fill is not None:
            fill, forall = fill.fuse_into(forall)
            fill.tile_forall(num_threads=[WARPGROUP, 1], mapping="[#gpu.thread<x>, #gpu.thread<y>]")
        inner, _ = tiled.tile([0, 0, K_STEP])
        inner.annotate(WGMMA_MARK)
