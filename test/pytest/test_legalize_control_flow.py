"""Control flow (lax.while_loop/fori_loop -> stablehlo.while; lax.cond/switch -> if/case) vs jax.jit."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of


def _run(fn, *args, contains: str, rtol=1e-5, atol=1e-5):
    text = stablehlo_of(fn, *args)
    assert contains in text
    assert_matches_jax(tilewright.compile(text)(*args), fn, *args, rtol=rtol, atol=atol)


@pytest.mark.parametrize("n", [0, 1, 7, 97])
def test_while_loop_several_carried_values(rng, n):
    x = rng.standard_normal(13).astype(np.float32)

    def f(x, n):
        def body(c):
            i, x, s = c
            return i + 1, jnp.cos(x) * 0.9 + 0.1, s + x.sum()

        return lax.while_loop(lambda c: c[0] < n, body, (np.int32(0), x, np.float32(0)))

    _run(f, x, np.int32(n), contains="stablehlo.while")


def test_while_loop_data_dependent_exit(rng):
    def newton_sqrt(a):
        def body(c):
            x, it = c
            return 0.5 * (x + a / x), it + 1

        return lax.while_loop(lambda c: jnp.any(jnp.abs(c[0] * c[0] - a) > 1e-5) & (c[1] < 100), body, (a, 0))

    a = rng.uniform(0.5, 100, (7, 3)).astype(np.float64)
    _run(newton_sqrt, a, contains="stablehlo.while")


def test_fori_loop_with_unsigned_and_bool_state():
    def f(x):
        def body(i, c):
            x, flag = c
            return x * np.uint8(3) + i.astype(np.uint8), ~flag

        return lax.fori_loop(0, 7, body, (x, np.bool_(True)))

    _run(f, np.arange(97, dtype=np.uint8), contains="stablehlo.while")


def test_nested_loops_with_sort_and_scatter_inside(rng):
    def f(x, idx):
        def outer(i, x):
            x = jnp.sort(x)[::-1]
            return lax.fori_loop(0, 3, lambda j, y: y.at[idx].add(1.0 + j), x)

        return lax.fori_loop(0, 4, outer, x)

    x = rng.standard_normal(7).astype(np.float32)
    _run(f, x, np.array([0, 6, 0], np.int32), contains="stablehlo.while")


@pytest.mark.parametrize("p", [True, False])
def test_cond(rng, p):
    x = rng.standard_normal((7, 5)).astype(np.float32)
    fn = lambda p, x: lax.cond(p, lambda x: jnp.tanh(x) @ x.T, lambda x: x @ x.T * 2, x)  # noqa: E731
    _run(fn, np.bool_(p), x, contains="stablehlo.case", rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 5])
def test_switch(rng, k):
    x = rng.standard_normal(97).astype(np.float32)
    branches = [lambda x: x + 1, lambda x: jnp.sort(x), lambda x: jnp.cumsum(x)]
    _run(lambda k, x: lax.switch(k, branches, x), np.int32(k), x, contains="stablehlo.case", rtol=1e-4, atol=1e-4)
