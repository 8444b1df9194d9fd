"""The NVVM library's schedules and GPU mapping, run on the CPU: each ``gpu.launch`` of the
``gpu-mapped`` stage becomes six sequential loops (grid z, y, x, then block z, y, x) with the
block and thread ids as their induction variables, and the result is JIT-compiled for the host
and compared with JAX at odd sizes (partial tiles, predicated threads).

This checks what the library's tiling and ``tw-gpu-map`` compute, before any GPU runs them (no
GPU is lent in CI). It is faithful for the library's kernels: no shared memory, and the only
barrier ends the threads' work, so running threads one after another computes the same.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from mlir import ir
from mlir.dialects import arith, scf

import pytest
from conftest import assert_matches_jax, stablehlo_of
from tilewright import pipeline
from tilewright.compiler import Compilation, CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.mlir_env import find_ops
from tilewright.runtime import CpuFunction

_IDS = {"gpu.block_id": 0, "gpu.thread_id": 3, "gpu.grid_dim": 6, "gpu.block_dim": 9}
_DIM = {"x": 0, "y": 1, "z": 2}


def _launch_to_loops(launch: ir.Operation) -> None:
    """``gpu.launch`` -> sequential loops over its grid and block (ids as induction variables)."""
    body = launch.regions[0].blocks[0]
    sizes = list(launch.operands)[-6:]  # grid x, y, z, block x, y, z (no async or cluster operands here)
    with launch.location, ir.InsertionPoint(launch):
        zero = arith.ConstantOp(ir.IndexType.get(), 0).result
        one = arith.ConstantOp(ir.IndexType.get(), 1).result
        ivs: dict[int, ir.Value] = {}
        ip = ir.InsertionPoint(launch)
        for slot in (2, 1, 0, 5, 4, 3):  # outermost grid z ... innermost block x
            with ip:
                loop = scf.ForOp(zero, sizes[slot], one)
            ivs[slot] = loop.induction_variable
            with ir.InsertionPoint(loop.body):
                yield_op = scf.YieldOp([])
            ip = ir.InsertionPoint(yield_op)
    values = [ivs[i] for i in range(6)] + sizes
    for index, arg in enumerate(body.arguments):
        arg.replace_all_uses_with(values[index])
    for op in list(body.operations):
        op = op.operation
        if op.name in _IDS:
            dim = _DIM[str(op.attributes["dimension"]).split()[-1].rstrip(">")]
            op.results[0].replace_all_uses_with(values[_IDS[op.name] + dim])
            op.erase()
        elif op.name in ("gpu.barrier", "gpu.terminator"):
            op.erase()
        else:
            op.move_before(yield_op)
    launch.erase()


def _emulate(compilation: Compilation):
    """The gpu-mapped module with every launch as loops, JIT-compiled for this CPU."""
    from mlir.execution_engine import ExecutionEngine

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no op left to a one-thread launch
        compilation.run_until("gpu-mapped")
    module = compilation.module
    with compilation.context:
        for launch in find_ops(module.operation, "gpu.launch"):
            _launch_to_loops(launch)
        assert module.operation.verify()
    pipeline.run_pipeline(module, pipeline.steps("tw-lower-to-llvm-cpu", threads=1), "<emulated>", "emulation")
    with compilation.context:
        engine = ExecutionEngine(module, opt_level=2)
    return CpuFunction(engine, "main", compilation.signature, compilation.context)


def _layernorm(x, g, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * g + b


def _attention(q, k, v):
    return jax.nn.softmax(q @ jnp.swapaxes(k, -1, -2) / 8.0, axis=-1) @ v


CASES = {
    "matmul": (lambda a, b: a @ b, [(97, 131), (131, 77)]),
    "batch_matmul": (lambda a, b: a @ b, [(3, 7, 97), (3, 97, 65)]),
    "softmax": (lambda x: jax.nn.softmax(x, axis=-1), [(7, 1000)]),
    "layernorm": (_layernorm, [(97, 256), (256,), (256,)]),
    "elementwise": (lambda x, y: jnp.tanh(x * y + 1.0) - jnp.exp(-x), [(7, 97), (7, 97)]),
    # 3 channels: 85 rows of 3 threads per block, the last block partial.
    "short_rows": (lambda x: jnp.exp(x) * 2.0, [(5, 97, 3)]),
    "attention": (_attention, [(2, 97, 64), (2, 97, 64), (2, 97, 64)]),
    "row_of_one": (lambda x: x.sum(axis=-1) * 2.0, [(1, 1000)]),
    # A pad: its fill and the copy into its interior are left on the host by the library and
    # tiled onto the GPU by tw-gpu-map.
    "pad": (lambda x: jnp.pad(x, ((1, 2), (3, 0))) * 2.0, [(7, 97)]),
    "conv_same": (
        lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")),
        [(2, 9, 11, 3), (3, 3, 3, 5)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_library_mapping_computes_the_program(name, rng):
    fn, shapes = CASES[name]
    args = [rng.standard_normal(s).astype(np.float32) / np.sqrt(s[-1]) for s in shapes]
    compilation = start(as_source(stablehlo_of(fn, *args)), CompileOptions(target="nvvm"))
    emulated = _emulate(compilation)
    assert_matches_jax(emulated(*args), fn, *args, rtol=1e-4, atol=1e-5)
