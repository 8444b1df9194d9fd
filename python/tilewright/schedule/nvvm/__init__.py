"""The NVVM schedule library: linalg on tensors tiled into ``scf.forall`` loops mapped to GPU
blocks and threads (``#gpu.block<..>`` / ``#gpu.thread<..>``), applied before bufferization.

After bufferization the NVVM target turns each block-mapped forall into a ``gpu.launch``
(:mod:`tilewright.target.nvvm.mapping`), so every linalg op the library schedules becomes one
kernel (or is fused into its consumer's kernel, as zero fills of contractions are):

- ``linalg.matmul`` / ``batch_matmul`` (:mod:`.matmul`): SIMT tiles, a ``MATMUL_BLOCK`` tile per
  block, ``MATMUL_THREAD`` outputs per thread, the zero fill of the result fused in;
- every other op with a parallel loop (elementwise chains, transposes, row reductions of
  softmax and layernorm): one thread per output element of the innermost parallel dimension,
  ``ELEMENTWISE_BLOCK`` of them per block, reductions sequential in each thread.

Ops it cannot map (no parallel loop: a full reduction; ops inside ``scf`` loops) are left
as they are, and the target names them in its error (no GPU kernel would run them).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlir import ir

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.info import LinalgOpInfo, ModuleInfo
from tilewright.schedule.source import DEFAULT, ScheduleSource, Script
from tilewright.schedule.tags import OP_TAG, tag_ops, untag_ops

__all__ = ["NvvmDefaultSchedule", "nvvm_schedule"]

# Threads per block along the innermost parallel dimension of an elementwise op.
ELEMENTWISE_BLOCK = 256
# A block's (M, N) output tile of a matmul and each thread's (M, N) share of it: 16x16 threads.
MATMUL_BLOCK = (64, 64)
MATMUL_THREAD = (4, 4)
BLOCK_DIMS = ("#gpu.block<x>", "#gpu.block<y>", "#gpu.block<z>")
THREAD_DIMS = ("#gpu.thread<x>", "#gpu.thread<y>", "#gpu.thread<z>")
CONTRACTIONS = ("linalg.matmul", "linalg.batch_matmul")


@dataclass(frozen=True)
class Tiling:
    """Tile sizes (block level) or thread counts (thread level), one per loop (0: not tiled),
    and the GPU mapping of the tiled loops."""

    sizes: tuple[int, ...]
    mapping: tuple[str, ...]

    def attr(self) -> str:
        return "[" + ", ".join(self.mapping) + "]"


def _mapped(sizes: list[int], dims: tuple[str, ...]) -> Tiling:
    """The tiled loops (non-zero sizes), innermost mapped to x, the next to y, then z."""
    tiled = [i for i, s in enumerate(sizes) if s]
    return Tiling(tuple(sizes), tuple(dims[len(tiled) - 1 - k] for k in range(len(tiled))))


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
    return _mapped(blocks, BLOCK_DIMS), _mapped(threads, THREAD_DIMS)


def matmul_tilings(op: LinalgOpInfo) -> tuple[Tiling, Tiling]:
    """(block tile sizes, threads per block) of a matmul (m, n, k) or batch matmul (b, m, n, k):
    ``MATMUL_BLOCK`` outputs per block, ``MATMUL_THREAD`` per thread."""
    batch = [1] if op.name == "linalg.batch_matmul" else []
    blocks = [*batch, *MATMUL_BLOCK, 0]
    threads = [*([0] * len(batch)), *(b // t for b, t in zip(MATMUL_BLOCK, MATMUL_THREAD, strict=True)), 0]
    return _mapped(blocks, BLOCK_DIMS), _mapped(threads, THREAD_DIMS)


def _tile(handle: OpHandle, tilings: tuple[Tiling, Tiling], fill: OpHandle | None) -> None:
    """Tile to the block forall, fuse ``fill`` (the op's zero init) into it, then to threads
    (a thread count, not a tile size: the forall's bounds stay static in partial tiles, which
    the block size needs)."""
    block, thread = tilings
    tiled, forall = handle.tile_forall(tile_sizes=list(block.sizes), mapping=block.attr())
    if fill is not None:
        fill, _ = fill.fuse_into(forall)
    _, thread_forall = tiled.tile_forall(num_threads=list(thread.sizes), mapping=thread.attr())
    if fill is not None:
        fill.fuse_into(thread_forall)


def _fused_fills(ops: list[LinalgOpInfo], top: dict[int, ir.Operation]) -> dict[int, int]:
    """contraction index -> index of the ``linalg.fill`` that is its init and has no other use."""
    found: dict[int, int] = {}
    for op in ops:
        if op.name not in CONTRACTIONS:
            continue
        init = top[op.index].operands[len(op.inputs)]
        if isinstance(init.owner, ir.Block):
            continue
        producer = init.owner.operation
        if producer.name == "linalg.fill" and OP_TAG in producer.attributes and len(list(init.uses)) == 1:
            found[op.index] = ir.IntegerAttr(producer.attributes[OP_TAG]).value
    return found


def _top_level_ops(payload: ir.Module) -> dict[int, ir.Operation]:
    """Tagged linalg ops whose parent is a function (those inside loops are not mapped)."""
    ops: dict[int, ir.Operation] = {}
    for func in payload.body.operations:
        if func.operation.name != "func.func":
            continue
        for op in func.operation.regions[0].blocks[0].operations:
            op = op.operation
            if OP_TAG in op.attributes:
                ops[ir.IntegerAttr(op.attributes[OP_TAG]).value] = op
    return ops


def nvvm_schedule(payload: ir.Module, name: str = "<nvvm default schedule>") -> Schedule | None:
    """The default NVVM schedule for ``payload`` (tags its linalg ops; None: nothing to map)."""
    info = ModuleInfo.from_module(payload)
    tag_ops(payload)
    top = _top_level_ops(payload)
    ops = [op for op in info.ops if op.index in top]
    fills = _fused_fills(ops, top)
    fused = set(fills.values())
    s = Schedule(name, context=payload.context)
    scheduled = 0
    for op in ops:
        if op.index in fused:
            continue
        tilings = matmul_tilings(op) if op.name in CONTRACTIONS else elementwise_tilings(op)
        if tilings is None:
            continue
        handle = s.match(interface="LinalgOp", attrs={OP_TAG: f"{op.index} : i64"})
        fill = None
        if op.index in fills:
            fill = s.match("linalg.fill", attrs={OP_TAG: f"{fills[op.index]} : i64"})
        _tile(handle, tilings, fill)
        scheduled += 1
    return s if scheduled else None


class NvvmDefaultSchedule(ScheduleSource):
    """The NVVM library's schedule (what ``--target nvvm`` applies without ``--schedule``). It
    does not fall back: unscheduled linalg would stay on the host, where no kernel runs it."""

    kind = DEFAULT
    falls_back = False

    def fingerprint(self) -> str:
        return "nvvm-default"

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        from tilewright.schedule.context import build_in

        with payload.context, build_in(payload.context):
            schedule = nvvm_schedule(payload)
        if schedule is None:
            return None
        return Script(schedule.module, schedule.name)

    def applied(self, payload: ir.Module) -> None:
        untag_ops(payload)
