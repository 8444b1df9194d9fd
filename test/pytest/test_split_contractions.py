"""Attention as JAX writes it, over [batch, heads, seq, dim]: elementwise work that fusion folded
into the contractions is split out, both contractions are named, and the results match JAX."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of


def einsum_attention(q, k, v):
    s = jnp.einsum("bhqd,bhkd->bhqk", q, k) * q.shape[-1] ** -0.5  # a weak Python float: stays f32
    return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(s, axis=-1), v)


def rotary(x):
    half = x.shape[-1] // 2
    angle = jnp.arange(x.shape[-2], dtype=jnp.float32)[:, None] * jnp.exp(-jnp.arange(half, dtype=jnp.float32))
    angle = jnp.concatenate([angle, angle], axis=-1)
    rotated = jnp.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * jnp.cos(angle) + rotated * jnp.sin(angle)


def rotary_scores(q, k):
    return jnp.einsum("hqd,hkd->hqk", rotary(q), rotary(k))


def named_contractions(linalg_text: str) -> int:
    return linalg_text.count("linalg.batch_matmul ins") + linalg_text.count("linalg.matmul ins")


@pytest.mark.parametrize(("batch", "heads", "seq", "dim"), [(1, 1, 7, 32), (2, 3, 97, 16), (1, 8, 1, 8)])
def test_einsum_attention_has_two_named_contractions(batch, heads, seq, dim, rng):
    q, k, v = (rng.standard_normal((batch, heads, seq, dim)).astype(np.float32) for _ in range(3))
    exe = tilewright.compile(stablehlo_of(einsum_attention, q, k, v), threads=1)
    linalg_text = exe.compilation.artifacts["linalg"]
    assert named_contractions(linalg_text) == 2
    np.testing.assert_allclose(exe(q, k, v), einsum_attention(q, k, v), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize(("batch", "seq", "heads", "dim"), [(1, 97, 3, 16), (2, 7, 1, 32)])
def test_dot_product_attention(batch, seq, heads, dim, rng):
    q, k, v = (rng.standard_normal((batch, seq, heads, dim)).astype(np.float32) for _ in range(3))
    exe = tilewright.compile(stablehlo_of(jax.nn.dot_product_attention, q, k, v), threads=1)
    assert named_contractions(exe.compilation.artifacts["linalg"]) == 2
    np.testing.assert_allclose(exe(q, k, v), jax.nn.dot_product_attention(q, k, v), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize(("heads", "seq", "dim"), [(1, 7, 8), (3, 97, 16)])
def test_rotary_embedding_scores(heads, seq, dim, rng):
    q, k = (rng.standard_normal((heads, seq, dim)).astype(np.float32) for _ in range(2))
    exe = tilewright.compile(stablehlo_of(rotary_scores, q, k), threads=1)
    assert named_contractions(exe.compilation.artifacts["linalg"]) == 1
    np.testing.assert_allclose(exe(q, k), rotary_scores(q, k), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("seq", [264, 1000])
def test_dot_product_attention_at_long_rows(seq, rng):
    """A transpose of the softmax ([b, q, h, k] -> [b, h, k, q]) used to root the softmax's fusion
    group; with rows long enough to be chunked (264 = 3 x 88) the reductions came out wrong."""
    q, k, v = (rng.standard_normal((1, seq, 1, 64)).astype(np.float32) for _ in range(3))
    exe = tilewright.compile(stablehlo_of(jax.nn.dot_product_attention, q, k, v), threads=1)
    np.testing.assert_allclose(exe(q, k, v), jax.nn.dot_product_attention(q, k, v), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_attention_with_kv_repeated_once(dtype, rng):
    """``jnp.repeat(k, 1, axis=1)`` (GQA code with one query head per K/V head): the linalg stage
    folds the repeat away and P keeps a unit key dim that V does not read. The divide fused into
    P·V is split out anyway and the contraction loses that dim; the compile used to abort
    (SIGABRT in upstream's lower_contraction on the all-unit vector.contract). Error at most XLA's."""

    def fn(q, k, v):
        k, v = jnp.repeat(k, 1, axis=1), jnp.repeat(v, 1, axis=1)
        s = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
        return jax.nn.softmax(s, -1) @ v

    q, k, v = (rng.standard_normal((1, 2, 97, 64)).astype(dtype) for _ in range(3))
    exe = tilewright.compile(stablehlo_of(fn, q, k, v), threads=1)
    got = np.asarray(exe(q, k, v), np.float64)
    exact = np.asarray(jax.jit(fn)(*(a.astype(np.float32) for a in (q, k, v))), np.float64)
    xla = np.asarray(jax.jit(fn)(q, k, v), np.float64)
    assert np.abs(got - exact).max() <= max(np.abs(xla - exact).max(), 1e-5)
