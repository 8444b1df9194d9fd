"""The NVGPU transform extension, ``mlir.dialects.transform.nvgpu``: tensor-core and
asynchronous-copy rewrites for NVIDIA GPUs (after bufferization, inside a ``gpu.launch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlir.dialects.transform import nvgpu as tnvgpu

from tilewright.schedule.handles import Handle

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


class NvgpuOps(Handle):
    """Op-handle methods for ``transform.nvgpu.*`` ops."""

    def rewrite_matmul_as_mma_sync(self) -> None:
        """``transform.nvgpu.rewrite_matmul_as_mma_sync``: the ``linalg.matmul`` ops of this handle,
        each one warp's 16x8x16 (f16) tile, become ``nvgpu.mma.sync`` (sm_80 tensor cores)."""
        self.schedule._create(tnvgpu.RewriteMatmulAsMmaSyncOp, self.value)

    def create_async_groups(self, *, bypass_l1: bool = False) -> OpHandle:
        """``transform.nvgpu.create_async_groups``: global -> shared copies under this handle
        become ``nvgpu.device_async_copy`` groups (``cp.async``)."""
        s = self.schedule
        return s._build_one(tnvgpu.CreateAsyncGroupsOp, s._any_op(), self.value, bypass_l1=bypass_l1 or None)

    def pipeline_shared_memory_copies(self, depth: int, *, peel_epilogue: bool = False) -> OpHandle:
        """``transform.nvgpu.pipeline_shared_memory_copies`` of this ``scf.for``: ``depth`` stages of
        asynchronous copies in flight (shared memory as the numeric space 3; vector copies need
        ``peel_epilogue``, they cannot be predicated). Returns the pipelined loop; a loop it cannot
        pipeline is an error, not skipped."""
        from mlir.dialects.transform import FailurePropagationMode

        s = self.schedule
        target = s._cast(self, "scf.for")
        return s._build_one(
            tnvgpu.PipelineSharedMemoryCopiesOp,
            s._any_op(),
            target.value,
            depth,
            peel_epilogue=peel_epilogue or None,
            failure_propagation_mode=FailurePropagationMode.Propagate,
        )

    def rewrite_copy_as_tma(self) -> None:
        """``transform.nvgpu.rewrite_copy_as_tma``: ``linalg.copy`` to shared memory under this
        handle becomes a TMA load (sm_90)."""
        self.schedule._create(tnvgpu.RewriteCopyAsTmaOp, self.value)
