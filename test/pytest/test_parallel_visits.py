"""Every iteration of a parallel loop runs exactly once on several threads.

``tw-lower-to-llvm-cpu{threads=2}`` lowers ``scf.forall`` through upstream's ``async-parallel-for``
(MLIR 22). On some 2-D loops (17..24 or 33..40 x 2..8, 20 x 16, 40 x 16, 65 x 2, 100 x 2) that pass
alone runs some iterations 2 to 7 times: the packed matmul's 19 x 2 task forall at 2048^3 returned
wrong results (max |diff| 180) and ran 3x slower. 1-D loops are right, so the lowering collapses
every multi-dimensional loop first (``tw-collapse-parallel-loops``, C++ extension).
"""

from __future__ import annotations

import ctypes

import numpy as np

import pytest


def visits(shape: tuple[int, ...], threads: int) -> np.ndarray:
    """How often a forall over ``shape`` ran each iteration (atomic increments), on ``threads``."""
    from mlir.execution_engine import ExecutionEngine
    from mlir.runtime import get_ranked_memref_descriptor

    from tilewright import pipeline
    from tilewright.mlir_env import new_context, parse_module
    from tilewright.target.cpu import llvm
    from tilewright.target.cpu.workers import JitEngine

    dims = "x".join(map(str, shape))
    ivs = ", ".join(f"%i{d}" for d in range(len(shape)))
    text = f"""
func.func @visit(%m: memref<{dims}xi32>) attributes {{llvm.emit_c_interface}} {{
  %one = arith.constant 1 : i32
  scf.forall ({ivs}) in ({", ".join(map(str, shape))}) {{
    %old = memref.atomic_rmw addi %one, %m[{ivs}] : (i32, memref<{dims}xi32>) -> i32
  }}
  return
}}"""
    context = new_context()
    module = parse_module(text, "<visits>", context)
    pipeline.run_pipeline(module, pipeline.steps("tw-lower-to-llvm-cpu", threads=threads), "<visits>", "visits")
    with context:
        engine = ExecutionEngine(module, opt_level=1, shared_libs=llvm.jit_shared_libraries())
    engine = JitEngine(engine, runs_tasks=True)  # freed when this returns: only once the workers are idle
    counts = np.zeros(shape, np.int32)
    engine.invoke("visit", ctypes.pointer(ctypes.pointer(get_ranked_memref_descriptor(counts))))
    return counts


@pytest.mark.parametrize(
    "shape", [(38,), (16, 2), (11, 4), (32, 2), (19, 2), (22, 8), (20, 16), (65, 2), (100, 2), (7, 5, 3)]
)
def test_parallel_loop_visits_each_iteration_once(shape):
    assert (visits(shape, threads=2) == 1).all()


def test_three_threads_visit_each_iteration_once():
    assert (visits((40, 16), threads=3) == 1).all()
