"""Lowering: bufferized linalg -> loops -> LLVM dialect, target independent parts.

``LOWER_TO_LOOPS`` turns whatever structured ops a schedule left (or all of
them, without a schedule) into scf loops, and vector ops into scf + vector
primitives. ``LOWER_TO_LLVM_BEFORE_MEMREF``/``LOWER_TO_LLVM_AFTER_MEMREF``
surround the bool-storage rewrite (:mod:`tilewright.lower.i1_storage`), which
must run before MemRef-to-LLVM.
"""

from __future__ import annotations

LOWER_TO_LOOPS = ",".join(
    [
        "func.func(convert-linalg-to-loops)",
        "func.func(convert-vector-to-scf)",
        "lower-affine",
        "canonicalize",
    ]
)

LOWER_TO_LLVM_BEFORE_MEMREF = ",".join(
    [
        "convert-vector-to-scf",
        "convert-scf-to-cf",
        "expand-strided-metadata",
        "lower-affine",
        "arith-expand",
        # f16/bf16 math goes through f32, as libm and LLVM intrinsics expect.
        "math-extend-to-supported-types{extra-types=f16,bf16 target-type=f32}",
        "convert-math-to-llvm",
        "convert-math-to-libm",
        "convert-complex-to-standard",
    ]
)

LOWER_TO_LLVM_AFTER_MEMREF = ",".join(
    [
        "convert-vector-to-llvm",
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
