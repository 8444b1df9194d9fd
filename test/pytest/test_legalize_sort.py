"""stablehlo.sort (jnp.sort/argsort, lax.sort multi-operand, top_k) compiled by tilewright vs jax.jit."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of


def _run(fn, *args, contains="stablehlo.sort"):
    text = stablehlo_of(fn, *args)
    assert contains in text
    assert_matches_jax(tilewright.compile(text)(*args), fn, *args)


@pytest.mark.parametrize("shape,axis", [((1,), 0), ((7,), 0), ((97,), 0), ((1000,), 0), ((13, 7), 0), ((5, 97), -1)])
def test_sort_float(rng, shape, axis):
    x = rng.standard_normal(shape).astype(np.float32)
    _run(lambda x: jnp.sort(x, axis=axis), x)


def test_sort_with_nans_and_signed_zeros():
    x = np.array([3.0, np.nan, -0.0, 0.0, -np.inf, 1.0, np.nan, np.inf, -2.0], np.float32)
    _run(jnp.sort, x)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint64, np.float64, np.bool_])
def test_sort_dtypes(rng, dtype):
    # Booleans half true, half false in every row (astype(bool) of 0..199 would be almost all true).
    x = (rng.random((7, 13)) < 0.5) if dtype == np.bool_ else rng.integers(0, 200, (7, 13)).astype(dtype)
    if dtype == np.bool_:
        assert x.any(axis=1).all() and (~x).any(axis=1).all()
    _run(lambda x: jnp.sort(x, axis=1), x)


@pytest.mark.parametrize("n", [1, 7, 97, 1000])
def test_argsort_is_stable(rng, n):
    x = rng.integers(0, 5, n).astype(np.int32)  # many ties: stability decides the order
    _run(lambda x: jnp.argsort(x, stable=True), x)


def test_lax_sort_multi_operand(rng):
    keys = rng.integers(0, 4, (3, 97)).astype(np.int32)
    a = rng.standard_normal((3, 97)).astype(np.float32)
    b = rng.integers(0, 100, (3, 97)).astype(np.uint16)
    _run(lambda k, a, b: lax.sort((k, a, b), dimension=1, num_keys=1, is_stable=True), keys, a, b)
    _run(lambda k, a, b: lax.sort((k, a, b), dimension=1, num_keys=2), keys, a, b)


def test_descending_and_middle_dimension(rng):
    x = rng.standard_normal((5, 13, 3)).astype(np.float32)
    _run(lambda x: jnp.sort(x, axis=1, descending=True), x)


def test_top_k(rng):
    x = rng.standard_normal((7, 97)).astype(np.float32)
    _run(lambda x: lax.top_k(x, 5), x, contains="chlo.top_k")  # CHLO legalizes to a sort


def test_median_in_a_bigger_program(rng):
    x = rng.standard_normal((13, 7)).astype(np.float64)
    _run(lambda x: jnp.median(jnp.tanh(x), axis=0) * 2, x)
