"""The GPU transform extension, ``mlir.dialects.transform.gpu``: ``scf.forall`` loops mapped
to blocks and threads, ``gpu.launch`` generated around them; and the structured extension's
GPU op, copies split over a block's threads.

The NVVM target runs these after bufferization (:mod:`tilewright.target.nvvm.mapping`); a user's
schedule that maps its own loops calls them the same way. The ``#gpu.block<x>`` /
``#gpu.thread<x>`` mappings they read are set by :meth:`StructuredOps.tile_forall`'s ``mapping=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlir.dialects.transform import gpu as tgpu
from mlir.dialects.transform import structured as tstruct

from tilewright.schedule.handles import Handle

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


class GpuOps(Handle):
    """Op-handle methods for ``transform.gpu.*`` ops."""

    def map_forall_to_blocks(
        self, *, grid_dims: Sequence[int] | None = None, generate_gpu_launch: bool = False
    ) -> OpHandle:
        """``transform.gpu.map_forall_to_blocks``: the ``#gpu.block`` forall under this handle (a
        function, or a ``gpu.launch``) becomes block ids; with ``generate_gpu_launch`` a
        ``gpu.launch`` is created around it. Returns the ``gpu.launch``."""
        s = self.schedule
        return s._build_one(
            tgpu.MapForallToBlocks,
            s._any_op(),
            self.value,
            grid_dims=list(grid_dims) if grid_dims is not None else None,
            generate_gpu_launch=generate_gpu_launch or None,
        )

    def map_nested_forall_to_threads(
        self, block_dims: Sequence[int], *, sync_after_distribute: bool = True, warp_size: int | None = None
    ) -> OpHandle:
        """``transform.gpu.map_nested_forall_to_threads``: the ``#gpu.thread``/``#gpu.warp`` foralls
        inside this ``gpu.launch`` become thread ids of a block of ``block_dims`` (x, y, z); a forall
        with fewer iterations is predicated. Returns the ``gpu.launch``."""
        s = self.schedule
        return s._build_one(
            tgpu.MapNestedForallToThreads,
            s._any_op(),
            self.value,
            block_dims=list(block_dims),
            warp_size=[warp_size] if warp_size is not None else None,
            sync_after_distribute=sync_after_distribute,
        )

    def map_copy_to_threads(self, *, total_num_threads: int, desired_bit_alignment: int) -> tuple[OpHandle, OpHandle]:
        """``transform.structured.gpu.map_copy_to_threads``: this ``linalg.copy`` or ``tensor.pad``
        (on tensors) split over ``total_num_threads`` threads in pieces of
        ``desired_bit_alignment`` bits where the shape allows (128: one ``ld.global.v4.f32``
        each), in an ``scf.forall`` mapped to linear thread ids. Returns (the forall, the tiled op)."""
        s = self.schedule
        forall, tiled = s._build(
            tstruct.MapCopyToThreadsOp,
            s._any_op(),
            s._any_op(),
            self.value,
            total_num_threads=total_num_threads,
            desired_bit_alignment=desired_bit_alignment,
        )
        tiled.parents.append(forall)
        return forall, tiled
