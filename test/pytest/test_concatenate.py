"""Concatenates (lowered with a branch per element, rewritten to selects by tw-select-branches)
under the default schedule against JAX at odd sizes: rows of 1, 7 and 97, rotary embeddings
(rotate_half) with 1 and 3 heads, concatenations along the last and a middle axis."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return jnp.concatenate([-x2, x1], axis=-1)


def rope(q, cos, sin):
    return q * cos + rotate_half(q) * sin


def compile_default(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the default schedule must apply
        return tilewright.compile(stablehlo_of(fn, *args))


@pytest.mark.parametrize(("seq", "heads", "dim"), [(1, 1, 16), (7, 3, 64), (97, 3, 34), (97, 1, 2)])
def test_rotary_embedding_matches_jax(rng, seq, heads, dim):
    q = rng.standard_normal((seq, heads, dim)).astype(np.float32)
    angles = rng.standard_normal((seq, 1, dim)).astype(np.float32)
    cos, sin = np.cos(angles), np.sin(angles)
    exe = compile_default(rope, q, cos, sin)
    assert "scf.if" not in exe.compilation.artifacts["scheduled"]
    np.testing.assert_allclose(exe(q, cos, sin), np.asarray(jax.jit(rope)(q, cos, sin)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("shape", "axis"), [((7, 13), -1), ((97, 5), -1), ((1, 9), -1), ((7, 3, 5), 1)])
def test_concatenate_matches_jax(rng, shape, axis):
    a = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape).astype(np.float32)

    def fn(x, y):
        return jnp.concatenate([jnp.tanh(x), y * 2.0, x[..., :1] if axis == -1 else x], axis=axis) + 1.0

    exe = compile_default(fn, a, b)
    np.testing.assert_allclose(exe(a, b), np.asarray(jax.jit(fn)(a, b)), rtol=1e-6, atol=1e-6)
