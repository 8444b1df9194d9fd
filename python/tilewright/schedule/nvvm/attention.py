"""Fused (flash) attention on the GPU: one kernel for the whole ``softmax(Q·Kᵀ)·V``.

The NVVM default raises every attention chain the C++ matcher accepts (``tw-raise-attention``,
tried on a clone of the payload, :func:`tilewright.schedule.raising.raisable_chains`) to
``tw.attention`` inside the schedule (``transform.tw.raise_attention`` on its P·V contraction),
at any length: on a GPU the separate
matmul and softmax kernels would write and read the ``seq x seq`` scores through global memory.
A ``tw.attention`` already in the payload (``--raise-attention``) is scheduled the same way.

The schedule (:func:`schedule_gpu_flash`), as the CPU's :mod:`tilewright.schedule.cpu.flash`:

- blocks over (batch dims, query tiles of ``QUERY_BLOCK`` rows): ``#gpu.block<z/y/x>``;
- one thread per query row (``#gpu.thread<x>``): its running max, sum and ``1 x e``
  accumulator are the thread's own (private memory, registers where LLVM promotes them);
- ``convert_to_online_attention`` then the keys tiled by ``KEY_BLOCK`` in an ``scf.for`` inside
  the thread; under a causal mask ``skip_invisible_keys`` ends that loop at the row's diagonal
  block, so invisible key blocks are not computed;
- ``decompose_attention`` after tiling, so Q·Kᵀ, the softmax step and P·V are loops of the thread.

f16/bf16 inputs accumulate in f32 (the online op's state is f32). Tile sizes divide the
sequence lengths (static shapes: the thread's state needs no dynamic allocation), so odd lengths
get smaller tiles. K and V are read from global memory: all threads of a warp read the same key
row at the same step (one broadcast transaction each); staging them in shared memory and the
tensor-core form (``mma.sync`` for Q·Kᵀ and P·V) are the next steps and would replace
:func:`_thread_steps` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlir import ir

from tilewright.schedule.cpu import largest_divisor
from tilewright.schedule.cpu.flash import AttentionShape
from tilewright.schedule.nvvm.tiling import BLOCK_DIMS
from tilewright.schedule.raising import init_fill, raisable_chains
from tilewright.schedule.tags import OP_TAG

if TYPE_CHECKING:
    from tilewright.schedule import OpHandle, Schedule
    from tilewright.schedule.nvvm import GpuOp

# Query rows per block (one thread each) and keys per step of the key loop (upper bounds: the
# largest divisors of the lengths are taken).
QUERY_BLOCK = 64
KEY_BLOCK = 64
# A key block smaller than this (a prime length) takes every key up to MAX_WHOLE_KEYS instead.
MIN_KEY_BLOCK = 16
MAX_WHOLE_KEYS = 512


@dataclass(frozen=True)
class GpuFlashPlan:
    """Block and step sizes of one ``tw.attention`` on the GPU."""

    rows: int  # query rows per block = threads per block
    keys: int  # keys per step of the key loop (== n: one step)


def gpu_flash_plan(a: AttentionShape) -> GpuFlashPlan | None:
    """The plan for an attention of shape ``a``; None when it cannot be mapped (dynamic shapes,
    more than two batch dims next to the query tiles: three grid dims in all; a layout other
    than row-major heads, whose decomposition is batched generics rather than the named
    matmuls :func:`_thread_steps` tiles)."""
    if a.dynamic or len(a.batch) > 2 or not a.row_major:
        return None
    rows = largest_divisor(a.m, QUERY_BLOCK)
    keys = largest_divisor(a.n, KEY_BLOCK)
    if keys < MIN_KEY_BLOCK and a.n <= MAX_WHOLE_KEYS:
        keys = a.n
    return GpuFlashPlan(rows, keys)


def schedule_gpu_flash(s: Schedule, attn: OpHandle, a: AttentionShape, plan: GpuFlashPlan) -> OpHandle:
    """Flash attention for the ``tw.attention`` ops of ``attn`` (shape ``a``): returns the block
    forall. The output's init fill (JAX's; the op ignores its content) is fused in as well."""
    nb = len(a.batch)
    fill = attn.producer_of_operand(a.filled_output) if a.filled_output is not None else None
    tiled, forall = attn.tile_forall(tile_sizes=[1] * nb + [plan.rows, 0, 0, 0], mapping=_mapping(BLOCK_DIMS, nb + 1))
    if fill is not None:
        fill, forall = fill.fuse_into(forall)
    row, thread_forall = tiled.tile_forall(tile_sizes=[0] * nb + [1, 0, 0, 0], mapping="[#gpu.thread<x>]")
    if fill is not None:
        fill.fuse_into(thread_forall)
    _thread_steps(row, a, plan)
    # Slices of the fused transpose's init become 1x1 tensors (no keys x d buffer is allocated).
    forall.apply_patterns("tensor.fold_tensor_empty", "canonicalization", apply_cse=True)
    return forall


def _thread_steps(row: OpHandle, a: AttentionShape, plan: GpuFlashPlan) -> None:
    """One thread's query row: the online form, its key loop (causal: up to the diagonal), the
    decomposition into loops of the thread."""
    nb = len(a.batch)
    online, _normalize, _fills = row.convert_to_online_attention()
    if plan.keys < a.n:
        online, (key_loop,) = online.tile([0] * nb + [0, plan.keys, 0, 0])
        if a.causal:
            key_loop.skip_invisible_keys()
    scores, _pv, transposes, _rows, _state = online.decompose_attention()
    if not a.key_transposed:
        # Q·Kᵀ reads K in place: one (key, d) product per step, the key block's transpose fused
        # in as a scalar copy (a register), not a d x keys buffer per thread.
        _, (_keys, depth) = scores.tile([0, 1, 1])
        transposes.fuse_into(depth)


def _mapping(dims: tuple[str, ...], count: int) -> str:
    """The innermost of ``count`` tiled loops on x, the next on y, then z."""
    return "[" + ", ".join(dims[count - 1 - k] for k in range(count)) + "]"


class GpuFlashSchedule:
    """An attention chain's P·V contraction (see :func:`.raising.raisable_chains`): raised, then flash on the
    GPU. The other ops of the chain are replaced by the raise: the library skips them."""

    name = "gpu-flash-attention"

    def __init__(self) -> None:
        self.chains: dict[int, AttentionShape] = {}

    def matches(self, op: GpuOp) -> bool:
        shape = self.chains.get(op.info.index)
        return shape is not None and gpu_flash_plan(shape) is not None

    def apply(self, op: GpuOp) -> None:
        shape = self.chains[op.info.index]
        plan = gpu_flash_plan(shape)
        assert plan is not None  # matches() said so
        s = op.schedule
        (attn,) = s.op("transform.tw.raise_attention", [op.handle], ["!transform.any_op"])
        schedule_gpu_flash(s, attn, shape, plan)


def plan_attention(payload: ir.Module, top: dict[int, ir.Operation], flash: GpuFlashSchedule) -> set[int]:
    """Register the payload's raisable chains with ``flash`` (the table's row); returns the tags
    the library must skip: the ops the raise replaces (the roots stay: the row takes them) and
    the roots' init fills (fused into the flash kernel)."""
    flash.chains.clear()
    skip: set[int] = set()
    for chain in raisable_chains(payload, top):
        if gpu_flash_plan(chain.shape) is None:
            continue
        flash.chains[chain.root] = chain.shape
        skip |= chain.members - {chain.root}
        if chain.init_fill is not None:
            skip.add(chain.init_fill)
    return skip


def schedule_raised(s: Schedule, payload: ir.Module, first_tag: int) -> int:
    """Flash every ``tw.attention`` already in ``payload`` (``--raise-attention``), tagged from
    ``first_tag`` on; returns how many (one that cannot be mapped is left: the host-side check
    names it)."""
    from tilewright.schedule.cpu.flash import attention_ops

    i64 = ir.IntegerType.get_signless(64, payload.context)
    count = 0
    for op in attention_ops(payload):
        shape = AttentionShape.of(op)
        plan = gpu_flash_plan(shape)
        if plan is None:
            continue
        tag = first_tag + count
        op.attributes[OP_TAG] = ir.IntegerAttr.get(i64, tag)
        schedule_gpu_flash(s, s.match("tw.attention", attrs={OP_TAG: f"{tag} : i64"}), shape, plan)
        count += 1
    return count


def raised_fills(payload: ir.Module) -> set[int]:
    """Tags of the init fills of the ``tw.attention`` ops already in ``payload`` (fused in their kernel)."""
    from tilewright.schedule.cpu.flash import attention_ops

    tags = set()
    for op in attention_ops(payload):
        tag = init_fill(op)
        if tag is not None and gpu_flash_plan(AttentionShape.of(op)) is not None:
            tags.add(tag)
    return tags
