"""Row reductions on the GPU (:mod:`tilewright.schedule.nvvm.reduction`, :mod:`tilewright.target.nvvm.rows`),
and elementwise chains in 128-bit vectors per thread (:mod:`tilewright.schedule.nvvm.elementwise`):
softmax, layernorm, RMSNorm and plain reductions over the last dimension compile to ONE kernel of
one block per row whose threads reduce their partials by warp shuffles, load and store whole
128-bit vectors where the row allows, and keep everything in registers (no local memory, no
spills); ``ptxas`` accepts them for sm_80 and sm_90. Their numerics are checked against JAX at odd
sizes through the GPU emulator (threads of a block concurrent, shuffles as on a GPU)."""

from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from gpu_emulator import emulate

import pytest
from conftest import ptxas_report, stablehlo_of
from tilewright.compiler import CompileOptions, start
from tilewright.ingress.formats import as_source


def _softmax(x):
    return jax.nn.softmax(x, axis=-1)


def _layernorm(x, g, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * g + b


def _rmsnorm(x, g):
    return x * jax.lax.rsqrt((x * x).mean(-1, keepdims=True) + 1e-6) * g


# name -> (function, shape of x, dtype, whether rows are a whole number of 128-bit vectors)
CASES = {
    "softmax_7x1000_f32": (_softmax, (7, 1000), np.float32, True),
    "softmax_1x97_f32": (_softmax, (1, 97), np.float32, False),
    "softmax_7x1000_f16": (_softmax, (7, 1000), np.float16, True),
    "softmax_2x3x40_f32": (_softmax, (2, 3, 40), np.float32, True),
    "layernorm_97x256_f32": (_layernorm, (97, 256), np.float32, True),
    "layernorm_97x256_f16": (_layernorm, (97, 256), np.float16, True),
    "rmsnorm_7x1000_f32": (_rmsnorm, (7, 1000), np.float32, True),
    "sum_1x97_f32": (lambda x: x.sum(-1), (1, 97), np.float32, False),
    "max_5x1000_f32": (lambda x: x.max(-1), (5, 1000), np.float32, True),
    "mean_3x97_f32": (lambda x: x.mean(-1), (3, 97), np.float32, False),
    # Elementwise chains (schedule/nvvm/elementwise.py): one 128-bit vector per thread.
    "chain_7x1000_f32": (lambda x, b: jnp.tanh(x * b + 1.0) - jnp.exp(-x), (7, 1000), np.float32, True),
    "bias_7x4096_f16": (lambda x, b: (x + b) * 2.0, (7, 4096), np.float16, True),
}
# (rtol, atol): f16 layernorm rounds x - mean and its square in f16 (as the program says) where
# XLA's fused kernel keeps some in f32: a few f16 ulps of outputs of magnitude ~3.
TOLERANCE = {np.float32: (1e-5, 2e-6), np.float16: (1e-2, 1e-2)}


def _inputs(name: str) -> list[np.ndarray]:
    fn, shape, dtype, _ = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    extra = fn.__code__.co_argcount - 1
    return [x] + [rng.standard_normal(shape[-1]).astype(dtype) for _ in range(extra)]


def _compile(name: str, arch: str):
    fn = CASES[name][0]
    compilation = start(as_source(stablehlo_of(fn, *_inputs(name))), CompileOptions(target="nvvm", gpu_arch=arch))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # nothing left to a one-thread launch
        compilation.run_until("cubin")
    return compilation


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", ["softmax_7x1000_f32", "softmax_7x1000_f16", "layernorm_97x256_f16", "mean_3x97_f32"])
def test_one_kernel_of_shuffles_and_vectors_that_ptxas_accepts(name, arch, tmp_path):
    compilation = _compile(name, arch)
    ptx = compilation.artifacts["ptx"]
    assert len(re.findall(r"\.entry \w+\(", ptx)) == 1, "the row group is one kernel"
    assert "shfl.sync.bfly.b32" in ptx
    assert not re.search(r"\b(ld|st)\.local\b", ptx), "the threads' partials and row values live in registers"
    if CASES[name][3]:
        assert re.search(r"ld\.global(\.nc)?\.v4\.(b32|f32)", ptx), "x is read as 128-bit vectors"
        assert re.search(r"st\.global\.v4\.(b32|f32)", ptx) or name.startswith("mean"), "rows written as vectors"
    info = _ptxas_info(ptx, arch, tmp_path)
    shared = [int(n) for n in re.findall(r"(\d+) bytes smem", info)]
    assert max(shared, default=0) <= 2 * 32 * 4, info  # one value per warp per reduction, or none


def _ptxas_info(ptx: str, arch: str, tmp_path) -> str:
    """``ptxas -v``'s report, checked: no spills and no stack frame (the threads' partials and
    row values in registers, not in local memory)."""
    report = ptxas_report(ptx, arch)
    assert "0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads" in report, report
    return report


def test_softmax_8192_f16_reads_x_once(tmp_path):
    """The benchmark's shape (benchmarks/gpu/run.py): 1024 threads of eight halves per row, x
    loaded once per thread as one 128-bit vector and kept in registers for the max, the sum and
    the output (the block has exactly the row's split: no predicated thread forall)."""
    source = stablehlo_of(_softmax, np.zeros((8192, 8192), np.float16))
    compilation = start(as_source(source), CompileOptions(target="nvvm", gpu_arch="sm_90"))
    compilation.run_until("ptx")
    ptx = compilation.artifacts["ptx"]
    assert re.search(r"\.maxntid 1024, 1, 1", ptx)
    assert len(re.findall(r"ld\.global(\.nc)?\.v4", ptx)) == 1, "one 128-bit load of x per thread"
    assert len(re.findall(r"st\.global\.v4", ptx)) == 1
    _ptxas_info(ptx, "sm_90", tmp_path)


def test_the_block_is_whole_warps_of_threads_that_split_the_row():
    """7x1000 f32: 7 blocks of 250 threads' work (4 floats each), 256 threads (8 whole warps)."""
    ptx = _compile("softmax_7x1000_f32", "sm_80").artifacts["ptx"]
    assert re.search(r"\.maxntid 256, 1, 1", ptx), ptx[:400]


@pytest.mark.parametrize("name", sorted(CASES))
def test_numerics_match_jax_emulated(name):
    fn, _, dtype, _ = CASES[name]
    args = _inputs(name)
    (got,) = emulate(stablehlo_of(fn, *args), args)
    expected = np.asarray(jax.jit(fn)(*args))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    rtol, atol = TOLERANCE[dtype]
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol)


def test_a_row_whose_sum_is_the_result_has_one_writer():
    """A plain row sum bufferizes into the function's result in global memory: every thread
    adding the block's total into it would add it 32+ times (the emulator runs them concurrently)."""
    x = np.ones((3, 64), np.float32)
    (got,) = emulate(stablehlo_of(lambda v: jnp.sum(v, -1), x), [x])
    np.testing.assert_array_equal(got, np.full(3, 64.0, np.float32))
