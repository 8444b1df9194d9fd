"""End-to-end numerics: JAX-exported StableHLO compiled by tilewright vs jax.jit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 97, 13), (97, 7, 1000), (33, 64, 17)])
def test_matmul(rng, m, k, n):
    a = rng.standard_normal((m, k), np.float32)
    b = rng.standard_normal((k, n), np.float32)
    exe = tilewright.compile(stablehlo_of(jnp.matmul, a, b))
    assert_matches_jax(exe(a, b), jnp.matmul, a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(1, 1), (7, 97), (3, 1000)])
def test_softmax(rng, shape):
    x = rng.standard_normal(shape, np.float32) * 4
    fn = lambda x: jax.nn.softmax(x, axis=-1)  # noqa: E731
    assert_matches_jax(tilewright.compile(stablehlo_of(fn, x))(x), fn, x)


def test_mlp_with_gelu(rng):
    def mlp(x, w1, b1, w2):
        return jax.nn.gelu(x @ w1 + b1, approximate=False) @ w2

    args = (
        rng.standard_normal((7, 97), np.float32),
        rng.standard_normal((97, 33), np.float32) * 0.1,
        rng.standard_normal((33,), np.float32),
        rng.standard_normal((33, 5), np.float32),
    )
    assert_matches_jax(tilewright.compile(stablehlo_of(mlp, *args))(*args), mlp, *args, rtol=1e-4, atol=1e-4)


def test_layernorm(rng):
    def layernorm(x, gamma, beta):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) * jax.lax.rsqrt(var + 1e-5) * gamma + beta

    args = (rng.standard_normal((7, 97), np.float32), rng.standard_normal(97, np.float32), np.ones(97, np.float32))
    exe = tilewright.compile(stablehlo_of(layernorm, *args))
    assert_matches_jax(exe(*args), layernorm, *args, rtol=1e-4, atol=1e-4)


def test_reductions_multiple_results_and_rank0(rng):
    def stats(x):
        return x.sum(), x.max(axis=0), jnp.argmax(x, axis=1).astype(jnp.int32), x.mean()

    x = rng.standard_normal((97, 7), np.float32)
    exe = tilewright.compile(stablehlo_of(stats, x))
    got = exe(x)
    assert isinstance(got, tuple) and len(got) == 4
    assert got[0].shape == ()
    assert_matches_jax(got, stats, x, rtol=1e-4, atol=1e-4)


def test_int32_program(rng):
    def ints(a, b):
        return (a * b + 3) // 7 - jnp.abs(a) % 5, jnp.where(a > b, a, b).sum(axis=0), (a << 2) ^ b

    a = rng.integers(-1000, 1000, (7, 13)).astype(np.int32)
    b = rng.integers(1, 1000, (7, 13)).astype(np.int32)
    assert_matches_jax(tilewright.compile(stablehlo_of(ints, a, b))(a, b), ints, a, b)


DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    ml_dtypes.bfloat16,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.bool_,
]


# Odd shapes for every dtype: one element, a prime length, a 2-D tile, a long row, a small matrix.
SHAPES = [(1,), (97,), (7, 13), (1000,), (7, 5)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_dtypes(rng, dtype):
    """Each dtype at every shape of ``SHAPES``, all in one program (one compile per dtype)."""
    if dtype == np.bool_:
        pairs = [(rng.random(s) < 0.5, rng.random(s) < 0.5) for s in SHAPES]

        def one(x, y):
            return x & y, x ^ y, jnp.logical_not(x)
    else:
        pairs = [((rng.random(s) * 10).astype(dtype), (rng.random(s) * 10 + 1).astype(dtype)) for s in SHAPES]

        def one(x, y):
            return x * y + x, jnp.maximum(x, y), x.max(axis=-1), x < y

    def fn(*args):
        return tuple(r for x, y in zip(args[::2], args[1::2], strict=True) for r in one(x, y))

    args = [a for pair in pairs for a in pair]
    tol = {np.float16: 1e-2, ml_dtypes.bfloat16: 5e-2}.get(dtype, 1e-6)
    assert_matches_jax(tilewright.compile(stablehlo_of(fn, *args))(*args), fn, *args, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_low_precision_transcendentals(rng, dtype):
    x = rng.standard_normal((97,)).astype(dtype)
    fn = lambda x: jnp.exp(x) * jnp.tanh(x) + jax.lax.erf(x)  # noqa: E731
    assert_matches_jax(tilewright.compile(stablehlo_of(fn, x))(x), fn, x, rtol=5e-2, atol=5e-2)


def test_rank0_inputs_and_outputs():
    fn = lambda a, b: (a * b, a - b)  # noqa: E731
    a, b = np.float32(3.5), np.float32(-2.0)
    exe = tilewright.compile(stablehlo_of(fn, a, b))
    got = exe(np.asarray(a), np.asarray(b))
    assert got[0].shape == () and float(got[0]) == -7.0 and float(got[1]) == 5.5


def test_returns_argument_and_constant(rng):
    fn = lambda x: (x, jnp.arange(5, dtype=jnp.int32), x.T)  # noqa: E731
    x = rng.standard_normal((3, 4), np.float32)
    got = tilewright.compile(stablehlo_of(fn, x))(x)
    assert_matches_jax(got, fn, x)
    got[0][0, 0] = 42.0  # results are fresh arrays, never aliases of the inputs
    assert x[0, 0] != 42.0
