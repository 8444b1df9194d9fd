"""Row reductions (RMSNorm, layernorm, softmax as the model zoo writes them) under the default
schedule against JAX at odd sizes: rows of 1, 7, 97 and 300 (more rows than a chunk of the
per-row scalars), 997 and 1000 columns (prime, and chunked into partial vectors)."""

from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import stablehlo_of


def rmsnorm(x, w):
    return x * lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + 1e-6) * w


def layernorm(x, w):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.var(x, axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + 1e-5) * w + 0.5


def softmax(x, w):
    return jax.nn.softmax(x * w, axis=-1)


@pytest.mark.parametrize("fn", [rmsnorm, layernorm, softmax], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(1, 997), (7, 1000), (97, 997), (300, 1000), (7, 13)])
def test_row_reductions_match_jax(rng, fn, shape):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    w = (1 + 0.1 * rng.standard_normal(shape[-1:])).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the default schedule must apply
        exe = tilewright.compile(stablehlo_of(fn, x, w))
    if shape[0] > 1:  # one row is not tiled: the whole group is one tile
        assert "tw.row_loop" in exe.compilation.artifacts["scheduled"]
    # Producers write temporaries of their own, never a copy of the output tile (distinct destinations),
    # and the per-row square root runs once per row, not per element (row invariants hoisted).
    bufferized = exe.compilation.artifacts["bufferized"]
    assert "memref.copy" not in bufferized
    assert not re.search(r"math.sqrt .*vector<([2-9]|\d\d+)xf32>", bufferized)
    np.testing.assert_allclose(exe(x, w), np.asarray(jax.jit(fn)(x, w)), rtol=2e-5, atol=2e-5)
