"""Triangular solves (jax.scipy.linalg.solve_triangular, lax.linalg.triangular_solve) vs jax.jit.

On CPU, jax.jit emits LAPACK's trsm as a custom call (``lapack_?trsm_ffi``) for
some forms and ``stablehlo.triangular_solve`` for others; both are lowered.
"""

from __future__ import annotations

import jax
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of


def _well_conditioned(rng, shape, dtype):
    a = rng.standard_normal(shape) * 0.3
    a += np.eye(shape[-1]) * 4  # a dominant diagonal keeps the solve accurate
    return a.astype(dtype)


def _run(fn, *args, rtol, atol):
    text = stablehlo_of(fn, *args)
    assert "stablehlo.triangular_solve" in text or "trsm_ffi" in text
    assert_matches_jax(tilewright.compile(text)(*args), fn, *args, rtol=rtol, atol=atol)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(rng, lower, trans, unit):
    a = _well_conditioned(rng, (7, 7), np.float64)
    b = rng.standard_normal((7, 13))
    fn = lambda a, b: jax.scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)  # noqa: E731
    _run(fn, a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("left_side", [True, False])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a", [False, True])
def test_batched_left_and_right(rng, left_side, lower, transpose_a):
    a = _well_conditioned(rng, (3, 13, 13), np.float32)
    b = rng.standard_normal((3, 13, 5) if left_side else (3, 5, 13)).astype(np.float32)
    fn = lambda a, b: lax.linalg.triangular_solve(  # noqa: E731
        a, b, left_side=left_side, lower=lower, transpose_a=transpose_a
    )
    _run(fn, a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m,n", [(1, 1), (97, 1), (1, 97)])
def test_odd_sizes(rng, m, n):
    a = _well_conditioned(rng, (m, m), np.float32)
    b = rng.standard_normal((m, n)).astype(np.float32)
    _run(lambda a, b: jax.scipy.linalg.solve_triangular(a, b, lower=True), a, b, rtol=1e-4, atol=1e-4)


def test_vector_rhs_in_a_bigger_program(rng):
    a = _well_conditioned(rng, (13, 13), np.float32)
    b = rng.standard_normal(13).astype(np.float32)

    def f(a, b):
        return jax.scipy.linalg.solve_triangular(a @ a.T * 0.1 + np.eye(13, dtype=np.float32), b, lower=False).sum()

    _run(f, a, b, rtol=1e-4, atol=1e-4)
