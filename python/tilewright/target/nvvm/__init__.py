"""The NVVM GPU target: ``gpu-mapped`` -> ``nvvm`` -> ``ptx`` -> ``cubin``.

======================  =====================================================
:mod:`.mapping`         ``tw-gpu-map``: block/thread foralls -> ``gpu.launch``; the host-side check
:mod:`.lowering`        outlining into ``gpu.module @kernels``, kernels -> NVVM (``tw-lower-to-nvvm``)
:mod:`.memory`          workgroup buffers -> shared memory (``memref.global`` in address space 3)
:mod:`.binary`          PTX in-process, cubin through ``ptxas``
:mod:`.toolkit`         finding ``ptxas`` and libdevice (``PATH``, ``CUDA_HOME``)
======================  =====================================================

The schedule comes from :mod:`tilewright.schedule.nvvm` unless the user gives one; it tiles
into ``scf.forall`` loops mapped to blocks and threads, which become kernels here.
Imports no MLIR at module level (the CLIs read :data:`TARGET`'s stages for ``--help``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tilewright.target import Stage, Target

if TYPE_CHECKING:
    from tilewright.compiler import Compilation

GPU_ARCHS = ("sm_80", "sm_90", "sm_90a")
DEFAULT_ARCH = "sm_80"


class NvvmTarget(Target):
    name = "nvvm"
    stages = (
        Stage("gpu-mapped", "mlir", "block/thread foralls mapped to gpu.launch (tw-gpu-map)"),
        Stage("nvvm", "mlir", "kernels in gpu.module @kernels lowered to NVVM; host launches (tw-lower-to-nvvm)"),
        Stage("ptx", "ptx", "the kernels' PTX (gpu-module-to-binary, PTX ISA 8.0)"),
        Stage("cubin", "cubin", "the kernels' cubin (ptxas -arch=ARCH)", binary=True),
        Stage(
            "artifact",
            "twa",
            "cubin + PTX + manifest with the host sequence (tilewright.runtime.artifact)",
            binary=True,
        ),
    )
    default_emit = "cubin"
    runnable_after = "artifact"
    runs_artifact = True  # the driver runs its artifact (tilewright.runtime.artifact)

    def schedule_source(self, source: Any, options: Any) -> Any:
        """The NVVM library's schedule for the options' GPU arch in place of the CPU library's
        default."""
        if source.kind == "default":
            from tilewright.schedule.nvvm import NvvmDefaultSchedule

            return NvvmDefaultSchedule(options.arch)
        return source

    def run_stage(self, compilation: Compilation, stage: str) -> None:
        from tilewright.diagnostics import enter_stage
        from tilewright.target.nvvm import binary, lowering

        arch = compilation.options.arch
        if stage == "gpu-mapped":
            compilation.run_passes(stage, [lowering.BLOCK_REDUCE, lowering.GPU_MAP])
        elif stage == "nvvm":
            steps = [*lowering.GPU_OUTLINE, lowering.attach_target(arch), lowering.CONTRACT_KERNEL_MATH]
            compilation.run_passes(stage, [*steps, lowering.LOWER_KERNELS])
        elif stage == "ptx":
            enter_stage(stage)
            compilation.record(stage, binary.ptx_of(compilation.module, compilation.filename))
        elif stage == "cubin":
            enter_stage(stage)
            compilation.record(stage, binary.cubin_of(compilation.artifacts["ptx"], arch))
        elif stage == "artifact":
            from tilewright.target.artifact import nvvm_artifact

            enter_stage(stage)
            compilation.record(stage, nvvm_artifact(compilation))
        else:
            raise ValueError(f"the nvvm target has no stage '{stage}'")


TARGET = NvvmTarget()
