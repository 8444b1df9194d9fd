"""The transformer MLP (dense, bias, GELU, dense, bias) under the default schedule, against JAX at odd sizes.

Rows 1 and 7 take the unpacked microkernel, 97 the packed path (K = 300 spans two K slabs);
the hidden width 1000 is no multiple of the microkernel's nr. The zoo's shapes (few rows, wide
weights) pack B one K slab at a time (``b_per_slab``): checked at rows 8, 97 and 256, K 97 (one
slab) and 512, on one and two threads, beside layers that take the other paths. On one thread
the packed path also takes the elementwise epilogue (bias, GELU, relu) into its unpack tiles:
checked with edge tiles in M and N, and where the result has another user (no fusion).
"""

from __future__ import annotations

import jax
import numpy as np
from test_library_numerics import compile_scheduled, f32, kinds

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of
from tilewright.schedule.cpu import config_for
from tilewright.schedule.cpu.matmul import choose_packed_tiles, packing_pays
from tilewright.target.cpu.host import cpu_model, host_cpu, targeting


def mlp_gelu(x, w1, b1, w2, b2):
    return jax.nn.gelu(x @ w1 + b1) @ w2 + b2


@pytest.mark.parametrize("rows", [1, 7, 97])
def test_mlp_gelu_matches_jax(rng: np.random.Generator, rows: int) -> None:
    d, hidden, out = 300, 1000, 97
    args = (
        f32(rng, rows, d),
        f32(rng, d, hidden) / np.float32(np.sqrt(d)),
        f32(rng, hidden) * np.float32(0.1),
        f32(rng, hidden, out) / np.float32(np.sqrt(hidden)),
        f32(rng, out) * np.float32(0.1),
    )
    text = stablehlo_of(mlp_gelu, *args)
    assert "contraction" in kinds(text)
    got = compile_scheduled(text)(*args)
    assert_matches_jax(got, mlp_gelu, *args, rtol=2e-4, atol=2e-4)


def per_slab(m: int, n: int, k: int, threads: int = 1) -> bool:
    """Whether the host's tiles pack B per K slab for an m x n x k matmul."""
    cfg = config_for()
    return packing_pays(m, n, k, cfg) and choose_packed_tiles(m, n, k, cfg, threads).b_per_slab


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(("m", "n", "k"), [(8, 1024, 512), (97, 1024, 97), (97, 1024, 512), (256, 1024, 768)])
def test_matmul_b_per_slab(rng: np.random.Generator, m: int, n: int, k: int, threads: int) -> None:
    if config_for().name != "sse":
        assert per_slab(m, n, k, threads)
    a, b = f32(rng, m, k), f32(rng, k, n)
    text = stablehlo_of(lambda x, y: x @ y, a, b)
    got = compile_scheduled(text, threads=threads)(a, b)
    np.testing.assert_allclose(got, a.astype(np.float64) @ b.astype(np.float64), rtol=2e-4, atol=2e-4 * np.sqrt(k))


def test_batch_matmul_b_per_slab(rng: np.random.Generator) -> None:
    a, b = f32(rng, 2, 97, 512), f32(rng, 2, 512, 1024)
    text = stablehlo_of(lambda x, y: jax.numpy.einsum("bij,bjk->bik", x, y), a, b)
    np.testing.assert_allclose(compile_scheduled(text)(a, b), a @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("rows", [1, 7, 97, 256])
def test_mlp_gelu_b_per_slab(rng: np.random.Generator, rows: int) -> None:
    """Dense 512 -> 1024 packs B per slab from 8 rows on; 1024 -> 1000 (N no multiple of nr)
    keeps the whole packed B."""
    d, hidden, out = 512, 1024, 1000
    if config_for().name != "sse" and rows >= config_for().mr:
        assert per_slab(rows, hidden, d) and not per_slab(rows, out, hidden)
    args = (
        f32(rng, rows, d),
        f32(rng, d, hidden) / np.float32(np.sqrt(d)),
        f32(rng, hidden) * np.float32(0.1),
        f32(rng, hidden, out) / np.float32(np.sqrt(hidden)),
        f32(rng, out) * np.float32(0.1),
    )
    got = compile_scheduled(stablehlo_of(mlp_gelu, *args))(*args)
    assert_matches_jax(got, mlp_gelu, *args, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize(("rows", "d", "hidden"), [(1, 300, 1000), (7, 97, 1000), (97, 300, 1000), (256, 512, 1024)])
def test_mlp_gelu_one_thread_epilogues(rng: np.random.Generator, rows: int, d: int, hidden: int) -> None:
    args = (
        f32(rng, rows, d),
        f32(rng, d, hidden) / np.float32(np.sqrt(d)),
        f32(rng, hidden) * np.float32(0.1),
        f32(rng, hidden, 97) / np.float32(np.sqrt(hidden)),
        f32(rng, 97) * np.float32(0.1),
    )
    got = compile_scheduled(stablehlo_of(mlp_gelu, *args), threads=1)(*args)
    assert_matches_jax(got, mlp_gelu, *args, rtol=2e-4, atol=2e-4)


def dense_relu_and_raw(x, w, b):
    y = x @ w
    return jax.nn.relu(y + b), y  # y has two users: the relu is no epilogue


@pytest.mark.parametrize("fn", [lambda x, w, b: jax.nn.relu(x @ w + b), dense_relu_and_raw], ids=["relu", "two-users"])
def test_dense_epilogue_one_thread(rng: np.random.Generator, fn) -> None:
    args = (f32(rng, 97, 300), f32(rng, 300, 1000) / np.float32(np.sqrt(300)), f32(rng, 1000))
    got = compile_scheduled(stablehlo_of(fn, *args), threads=1)(*args)
    assert_matches_jax(got, fn, *args, rtol=2e-4, atol=2e-4)


@pytest.mark.skipif(not {"avx2", "fma"} <= host_cpu().features, reason="the host cannot run AVX2 code")
@pytest.mark.parametrize("rows", [7, 97, 256])
def test_mlp_gelu_avx2_tiles(rng: np.random.Generator, rows: int) -> None:
    """The AVX2 tiles (6 x 16 kernel, column blocks of 256 per slab, the epilogue fused) on any host."""
    with targeting(cpu_model("haswell")):
        assert per_slab(256, 1024, 512)
    d, hidden, out = 512, 1024, 1000
    args = (
        f32(rng, rows, d),
        f32(rng, d, hidden) / np.float32(np.sqrt(d)),
        f32(rng, hidden) * np.float32(0.1),
        f32(rng, hidden, out) / np.float32(np.sqrt(hidden)),
        f32(rng, out) * np.float32(0.1),
    )
    got = tilewright.compile(stablehlo_of(mlp_gelu, *args), cpu="haswell", threads=1)(*args)
    assert_matches_jax(got, mlp_gelu, *args, rtol=2e-4, atol=2e-4)
