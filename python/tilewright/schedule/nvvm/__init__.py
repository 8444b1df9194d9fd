"""The NVVM schedule library: linalg on tensors tiled into ``scf.forall`` loops mapped to GPU
blocks and threads (``#gpu.block<..>`` / ``#gpu.thread<..>``), applied before bufferization.

After bufferization the NVVM target turns each block-mapped forall into a ``gpu.launch``
(:mod:`tilewright.target.nvvm.mapping`), so every linalg op the library schedules becomes one
kernel (or is fused into its consumer's kernel, as zero fills of contractions are).

Each top-level linalg op goes to the first entry of :data:`OP_SCHEDULES` that takes it (one
module per kind of op, Triton-style: a new schedule is one more row):

======================  =====================================================
:mod:`.attention`       attention chains raised to ``tw.attention``: one flash kernel
:mod:`.wgmma`           f16/bf16 matmul (f32 accumulation) for sm_90a, ``wgmma.mma_async``
:mod:`.tensorcore`      f16 matmul / batch matmul (f32 accumulation), ``mma.sync``
:mod:`.matmul`          matmul / batch matmul, SIMT tiles
:mod:`.reduction`       row groups (softmax, layernorm, row sums): a block per row, shuffles
:mod:`.elementwise`     any op with a parallel loop: one thread per output element
======================  =====================================================

Ops no entry takes (no parallel loop: a full reduction; ops inside ``scf`` loops) are left
as they are, and the target names them in its error (no GPU kernel would run them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mlir import ir

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.info import LinalgOpInfo, ModuleInfo
from tilewright.schedule.nvvm.attention import GpuFlashSchedule, plan_attention, raised_fills, schedule_raised
from tilewright.schedule.nvvm.elementwise import ELEMENTWISE_BLOCK, ElementwiseSchedule, elementwise_tilings
from tilewright.schedule.nvvm.matmul import CONTRACTIONS, SimtMatmulSchedule, matmul_tilings
from tilewright.schedule.nvvm.reduction import RowGroup, RowSchedule, row_groups
from tilewright.schedule.nvvm.tensorcore import MmaSyncMatmulSchedule
from tilewright.schedule.nvvm.tiling import BLOCK_DIMS, THREAD_DIMS, Tiling
from tilewright.schedule.nvvm.wgmma import WgmmaMatmulSchedule
from tilewright.schedule.raising import top_level_ops
from tilewright.schedule.source import DEFAULT, ScheduleSource, Script
from tilewright.schedule.tags import OP_TAG, tag_ops, untag_ops

__all__ = [
    "BLOCK_DIMS",
    "ELEMENTWISE_BLOCK",
    "OP_SCHEDULES",
    "THREAD_DIMS",
    "GpuOp",
    "GpuOpSchedule",
    "NvvmDefaultSchedule",
    "Tiling",
    "elementwise_tilings",
    "matmul_tilings",
    "nvvm_schedule",
]

DEFAULT_ARCH = "sm_80"


@dataclass
class GpuOp:
    """One top-level payload op offered to the library's schedules: what it is (``info``, the
    ``operation`` itself), the GPU it is compiled for, and, on first use, a handle to it in the
    schedule being built and to the zero fill of its init that it may fuse."""

    info: LinalgOpInfo
    operation: ir.Operation
    arch: str
    schedule: Schedule
    fill_index: int | None = None
    group: RowGroup | None = None  # the row group this op closes (its producers are not offered)
    _handles: dict[str, OpHandle | None] = field(default_factory=dict, repr=False)

    @property
    def handle(self) -> OpHandle:
        if "op" not in self._handles:
            self._handles["op"] = self.schedule.match(interface="LinalgOp", attrs={OP_TAG: f"{self.info.index} : i64"})
        handle = self._handles["op"]
        assert handle is not None
        return handle

    @property
    def fill(self) -> OpHandle | None:
        """The ``linalg.fill`` that is the op's init and has no other use (None: none)."""
        if self.fill_index is None:
            return None
        if "fill" not in self._handles:
            self._handles["fill"] = self.schedule.match("linalg.fill", attrs={OP_TAG: f"{self.fill_index} : i64"})
        return self._handles["fill"]


class GpuOpSchedule(Protocol):
    """A row of :data:`OP_SCHEDULES`: which ops it takes and how it maps them."""

    name: str

    def matches(self, op: GpuOp) -> bool: ...

    def apply(self, op: GpuOp) -> None: ...


# First match wins: the specific schedules first, the one-thread-per-element fallback last.
GPU_FLASH = GpuFlashSchedule()
OP_SCHEDULES: list[GpuOpSchedule] = [
    GPU_FLASH,
    WgmmaMatmulSchedule(),
    MmaSyncMatmulSchedule(),
    SimtMatmulSchedule(),
    RowSchedule(),
    ElementwiseSchedule(),
]


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


def nvvm_schedule(
    payload: ir.Module,
    name: str = "<nvvm default schedule>",
    *,
    arch: str = DEFAULT_ARCH,
    knobs: Mapping[str, int] | None = None,
) -> Schedule | None:
    """The default NVVM schedule of ``payload`` for ``arch`` (tags its linalg ops; None: nothing
    to map); ``knobs`` select other values of the knobs the rows declare (a tuner's)."""
    info = ModuleInfo.from_module(payload)
    tag_ops(payload)
    top = top_level_ops(payload)
    ops = [op for op in info.ops if op.index in top]
    fills = _fused_fills(ops, top)
    fused = set(fills.values()) | plan_attention(payload, top, GPU_FLASH) | raised_fills(payload)
    groups = row_groups(ops, top, fused | set(fills))
    fused |= {member for group in groups.values() for member in group.members}
    s = Schedule(name, context=payload.context, knobs=knobs)
    raised = schedule_raised(s, payload, len(info.ops))
    plans: list[tuple[GpuOp, GpuOpSchedule]] = []
    for op in ops:
        if op.index in fused:
            continue
        gpu_op = GpuOp(op, top[op.index], arch, s, fills.get(op.index), groups.get(op.index))
        entry = next((e for e in OP_SCHEDULES if e.matches(gpu_op)), None)
        if entry is not None:
            plans.append((gpu_op, entry))
            # Producers a row fuses into its op (the tensor-core row's extf) are not scheduled alone.
            fused.update(getattr(entry, "fuses", lambda _: ())(gpu_op))
    for gpu_op, entry in plans:
        if gpu_op.info.index not in fused:
            entry.apply(gpu_op)
    return s if plans or raised else None


class NvvmDefaultSchedule(ScheduleSource):
    """The NVVM library's schedule (what ``--target nvvm`` applies without ``--schedule``) for
    one GPU arch. It does not fall back: unscheduled linalg would stay on the host, where no
    kernel runs it."""

    kind = DEFAULT
    falls_back = False

    def __init__(self, arch: str = DEFAULT_ARCH) -> None:
        self.arch = arch

    def fingerprint(self) -> str:
        return f"nvvm-default-{self.arch}"

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        from tilewright.schedule.context import build_in

        with payload.context, build_in(payload.context):
            schedule = nvvm_schedule(payload, arch=self.arch)
        if schedule is None:
            return None
        return Script(schedule.module, schedule.name)

    def applied(self, payload: ir.Module) -> None:
        untag_ops(payload)
