"""The CPU target's lowering: bufferized IR -> LLVM dialect (``tw-lower-to-llvm-cpu``).

Defined here, once, and run as is by the driver's ``llvm-dialect`` stage and by
``tilewright-opt -p 'builtin.module(tw-lower-to-llvm-cpu{threads=N})'``: the two
print the same module for the same input and options.
"""

from __future__ import annotations

from mlir import ir

from tilewright.lower import (
    ASYNC_TO_LLVM,
    LOWER_TO_LLVM_AFTER_MEMREF,
    LOWER_TO_LLVM_BEFORE_MATH,
    LOWER_TO_LLVM_BEFORE_MEMREF,
    LOWER_TO_LOOPS,
    parallel_loops,
)
from tilewright.lower.i1_storage import widen_i1_storage_pass
from tilewright.lower.math_approx import approximate_vector_math_pass
from tilewright.pipeline import NamedPipeline, PipelineOption, PythonPass, Step
from tilewright.target.cpu.host import codegen_tune_cpu


def set_tune_cpu(root: ir.Operation, tune: str | None) -> int:
    """Give every ``llvm.func`` definition under ``root`` without a ``tune_cpu`` this one; returns
    how many (a function that already names its tuning keeps it)."""
    if tune is None:
        return 0
    count = 0
    for op in root.regions[0].blocks[0].operations:
        op = op.operation
        if op.name == "llvm.func" and len(op.regions[0].blocks) and "tune_cpu" not in op.attributes:
            op.attributes["tune_cpu"] = ir.StringAttr.get(tune)
            count += 1
    return count


def tune_cpu_pass(op: ir.Operation, pass_: object) -> None:
    """``PassManager.add`` entry point of ``tw-cpu-tuning``."""
    with op.context:
        set_tune_cpu(op, codegen_tune_cpu())


WIDEN_I1_STORAGE = PythonPass("tw-widen-i1-storage", widen_i1_storage_pass)
APPROXIMATE_VECTOR_MATH = PythonPass("tw-approximate-vector-math", approximate_vector_math_pass)
CPU_TUNING = PythonPass("tw-cpu-tuning", tune_cpu_pass)

THREADS = PipelineOption("threads", int, 1, "cores the parallel loops (scf.forall) run on; 1: sequential loops")


def lower_to_llvm_cpu(threads: int) -> list[Step]:
    """Loops (parallel on the async runtime with several threads), vector exp/tanh polynomials,
    booleans stored as bytes, then the LLVM dialect, tuned for the host (``tw-cpu-tuning``)."""
    if threads < 1:
        from tilewright.pipeline import PipelineSyntaxError

        raise PipelineSyntaxError(f"threads must be at least 1, got {threads}")
    steps: list[Step] = [
        LOWER_TO_LOOPS,
        parallel_loops(threads),
        LOWER_TO_LLVM_BEFORE_MATH,
        APPROXIMATE_VECTOR_MATH,
        LOWER_TO_LLVM_BEFORE_MEMREF,
        WIDEN_I1_STORAGE,
    ]
    if threads > 1:
        steps.append(ASYNC_TO_LLVM)
    steps += [LOWER_TO_LLVM_AFTER_MEMREF, CPU_TUNING]
    return steps


PIPELINES: tuple[NamedPipeline, ...] = (
    NamedPipeline(
        "tw-approximate-vector-math",
        "f32 vector exp/tanh -> polynomials (libm per element otherwise)",
        (APPROXIMATE_VECTOR_MATH,),
    ),
    NamedPipeline("tw-widen-i1-storage", "store booleans as bytes (memref<..xi1> -> xi8)", (WIDEN_I1_STORAGE,)),
    NamedPipeline(
        "tw-cpu-tuning", "llvm.func tune_cpu: 'generic' on AMD Zen (TILEWRIGHT_TUNE_CPU overrides)", (CPU_TUNING,)
    ),
    NamedPipeline(
        "tw-lower-to-llvm-cpu",
        "bufferized IR -> LLVM dialect for the host CPU (the driver's llvm-dialect stage)",
        lower_to_llvm_cpu,
        options=(THREADS,),
    ),
)
