"""Lowering: bufferized linalg -> loops -> LLVM dialect, target independent parts.

``LOWER_TO_LOOPS`` turns whatever structured ops a schedule left (or all of
them, without a schedule) into scf loops, and vector ops into scf + vector
primitives. ``LOWER_TO_LLVM_BEFORE_MATH`` and ``LOWER_TO_LLVM_BEFORE_MEMREF``
surround the vector math polynomials (:mod:`tilewright.lower.math_approx` and the C++
extension's ``tw-math-approximation``);
``LOWER_TO_LLVM_BEFORE_MEMREF``/``LOWER_TO_LLVM_AFTER_MEMREF`` surround the
bool-storage rewrite (:mod:`tilewright.lower.i1_storage`), which must run before
MemRef-to-LLVM. :func:`parallel_loops` runs the parallel loops
of a schedule (``scf.forall``) on several cores through upstream's async runtime.

A target assembles these pieces into its lowering pipeline (the CPU's is
``tw-lower-to-llvm-cpu``, :mod:`tilewright.target.cpu.lowering`).
"""

from __future__ import annotations

LOWER_TO_LOOPS = ",".join(
    [
        "func.func(convert-linalg-to-loops)",
        # Fully unrolled: vectorized microkernels read small 2-D tiles (e.g. vector<6x1xf32>);
        # the default (a loop over a stack buffer) would put an alloca into the hot loop.
        "func.func(convert-vector-to-scf{full-unroll=true})",
        "lower-affine",
        "canonicalize",
    ]
)

LOWER_TO_LLVM_BEFORE_MATH = ",".join(
    [
        "convert-vector-to-scf",
        "convert-scf-to-cf",
        "expand-strided-metadata",
        "lower-affine",
        # Complex arithmetic becomes arith/math first, so the math passes below lower what it produces.
        "convert-complex-to-standard",
        # bf16 arithmetic in f32 and bf16 <-> f32 conversions as integer ops: bf16 vectors are then only
        # loaded, stored and bitcast, which LLVM's optimizer turns into i16 vectors. LLVM 22's x86 backend
        # with AVX512-BF16 aborts ("Do not know how to soft promote this operator's operand") on bf16
        # vectors of 32k+1 lanes (x.max() of 97 bf16s); still at -O0, and on bf16 vectors built from
        # scalars (broadcast/insert: the prefix scans of cumsum_bfloat16).
        "arith-emulate-unsupported-floats{source-types=bf16 target-type=f32}",
        "arith-expand{include-bf16=true}",
        # f16/bf16 math goes through f32, as libm and LLVM intrinsics expect.
        "math-extend-to-supported-types{extra-types=f16,bf16 target-type=f32}",
    ]
)

# Between the two, vector math ops become polynomials (the CPU target's ``vector_math_steps``).
LOWER_TO_LLVM_BEFORE_MEMREF = ",".join(
    [
        # log1p from libm: the LLVM lowering's log(1 + x) loses all precision near 0.
        "convert-math-to-llvm{approximate-log1p=false}",
        "convert-math-to-libm",
    ]
)

LOWER_TO_LLVM_AFTER_MEMREF = ",".join(
    [
        # vector.reduction comes only from vectorized reductions (whose order the vectorizer already
        # changed): a tree of adds, not a chain of one scalar add per lane (see schedule.cpu.vectorize).
        "convert-vector-to-llvm{reassociate-fp-reductions=true}",
        "finalize-memref-to-llvm",
        "convert-complex-to-llvm",
        "convert-arith-to-llvm",
        "convert-index-to-llvm",
        "convert-func-to-llvm",
        "convert-cf-to-llvm",
        "convert-ub-to-llvm",
        "reconcile-unrealized-casts",
        "canonicalize",
    ]
)


def parallel_loops(threads: int) -> str:
    """Lowering of ``scf.forall``/``scf.parallel`` for ``threads`` cores (after bufferization).

    One thread: plain sequential loops. Several: upstream's ``async-parallel-for``
    splits each outermost parallel loop into ``threads`` blocks dispatched as async
    tasks, run by the thread pool of ``libmlir_async_runtime.so`` (which the JIT
    loads, see :mod:`tilewright.target.cpu`); no thread pool of our own.
    """
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    steps = ["scf-forall-to-parallel"]
    if threads > 1:
        steps += [
            # async-parallel-for repeats iterations of multi-dimensional loops (MLIR 22.1.8; see the
            # pass in transforms/lib/CollapseParallelLoops.cpp): it gets one-dimensional ones only.
            "tw-collapse-parallel-loops",
            f"async-parallel-for{{async-dispatch=true num-workers={threads} min-task-size=1}}",
            "async-to-async-runtime",
            "async-runtime-ref-counting",
            "async-runtime-ref-counting-opt",
        ]
    return ",".join(steps)


# With several threads, the async runtime calls are lowered after the i1-storage rewrite (which
# only understands ``func.func`` signatures) and before ``LOWER_TO_LLVM_AFTER_MEMREF``.
ASYNC_TO_LLVM = "convert-async-to-llvm"
