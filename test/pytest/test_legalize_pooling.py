"""Pooling: lax.reduce_window (max/avg/min) and the max-pool gradient (stablehlo.select_and_scatter) vs jax.jit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of


def _run(fn, *args, contains: str | None = None, rtol=1e-5, atol=1e-5):
    text = stablehlo_of(fn, *args)
    if contains is not None:
        assert contains in text
    assert_matches_jax(tilewright.compile(text)(*args), fn, *args, rtol=rtol, atol=atol)


def _max_pool(x, window, strides, padding):
    return lax.reduce_window(x, -jnp.inf, lax.max, window, strides, padding)


@pytest.mark.parametrize(
    "shape,window,strides,padding",
    [
        ((1, 7, 9, 3), (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
        ((2, 13, 13, 1), (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
        ((97,), (5,), (3,), ((2, 1),)),
        ((1, 1), (1, 1), (1, 1), "VALID"),
    ],
)
def test_max_pool_gradient(rng, shape, window, strides, padding):
    x = rng.standard_normal(shape).astype(np.float32)

    def loss(x):
        y = _max_pool(x, window, strides, padding)
        return jnp.sum(y * jnp.cos(jnp.arange(y.size, dtype=jnp.float32).reshape(y.shape)))

    _run(jax.grad(loss), x, contains="stablehlo.select_and_scatter")


def test_max_pool_gradient_ties_pick_the_first(rng):
    x = np.zeros((1, 6, 6, 1), np.float32)  # every window is a tie
    _run(jax.grad(lambda x: _max_pool(x, (1, 3, 3, 1), (1, 1, 1, 1), "VALID").sum()), x)


def test_min_pool_gradient_f64(rng):
    x = rng.standard_normal((3, 1000)).astype(np.float64)

    def loss(x):
        return lax.reduce_window(x, jnp.inf, lax.min, (1, 7), (1, 7), "SAME").sum()

    _run(jax.grad(loss), x, contains="stablehlo.select_and_scatter")


@pytest.mark.parametrize(
    "shape,window,strides,padding",
    [
        ((1, 7, 9, 3), (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
        ((2, 13, 13, 1), (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
        ((1000,), (7,), (1,), ((3, 3),)),
    ],
)
def test_max_and_avg_pool(rng, shape, window, strides, padding):
    x = rng.standard_normal(shape).astype(np.float32)
    _run(lambda x: _max_pool(x, window, strides, padding), x)
    avg = lambda x: lax.reduce_window(x, 0.0, lax.add, window, strides, padding) / np.prod(window)  # noqa: E731
    _run(avg, x)


def test_int_max_pool_with_dilation(rng):
    x = rng.integers(-100, 100, (1, 13, 7)).astype(np.int32)
    fn = lambda x: lax.reduce_window(  # noqa: E731
        x, np.int32(np.iinfo(np.int32).min), lax.max, (1, 3, 2), (1, 2, 1), "VALID", window_dilation=(1, 2, 3)
    )
    _run(fn, x)


def test_cumulative_ops(rng):
    x = rng.standard_normal((8, 9)).astype(np.float32)
    for fn in (lambda x: lax.cummax(x, axis=1), lambda x: lax.cumlogsumexp(x, axis=0), jnp.cumsum):
        _run(fn, x, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(1,), (8, 9), (97, 3)])
def test_reduce_window_with_a_called_function_as_body(rng, shape):
    @jax.jit
    def logaddexp(a, b):  # a nested jit: the reduction body calls a function
        return jnp.logaddexp(a, b)

    x = rng.standard_normal(shape).astype(np.float32)
    n = shape[0]
    fn = lambda x: lax.reduce_window(  # noqa: E731
        x,
        np.float32(-np.inf),
        logaddexp,
        (n,) + (1,) * (x.ndim - 1),
        (1,) * x.ndim,
        ((n - 1, 0),) + ((0, 0),) * (x.ndim - 1),
    )
    _run(fn, x, contains="call @logaddexp", rtol=1e-5, atol=1e-5)


def test_reduce_window_called_body_with_dilations_and_non_identity_init(rng):
    @jax.jit
    def add(a, b):
        return a + b

    x = rng.standard_normal((7, 13)).astype(np.float32)
    fn = lambda x: lax.reduce_window(  # noqa: E731
        x, np.float32(0.5), add, (2, 3), (1, 2), ((1, 2), (0, 1)), base_dilation=(2, 1), window_dilation=(1, 2)
    )
    _run(fn, x, contains="call @add", rtol=1e-5, atol=1e-5)
