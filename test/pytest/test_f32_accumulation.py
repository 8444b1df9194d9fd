"""f16/bf16 contractions accumulate in f32 and round once, as XLA does (issue 11 item 6): the
error against a float64 reference is at most 1.5x XLA's, at K from 64 to 4096 (accumulating in
f16/bf16 was up to 48x XLA's at K = 4096)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of

DTYPES = {"f16": np.float16, "bf16": ml_dtypes.bfloat16}


def relative_error(got, reference) -> float:
    return float(np.abs(np.asarray(got, np.float64) - reference).max() / np.abs(reference).max())


def check_against_xla(fn, *args) -> None:
    reference = np.asarray(jax.jit(fn)(*[np.asarray(a, np.float64) for a in args]))
    xla = jax.jit(fn)(*args)
    ours = tilewright.compile(stablehlo_of(fn, *args), threads=1)(*args)
    assert ours.dtype == args[0].dtype
    assert relative_error(ours, reference) <= 1.5 * relative_error(xla, reference) + 1e-7


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):  # the float64 reference
        yield


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("k", [64, 1000, 4096])
def test_matmul(rng, dtype, k):
    t = DTYPES[dtype]
    a, b = rng.standard_normal((7, k)).astype(t), rng.standard_normal((k, 97)).astype(t)
    check_against_xla(jnp.matmul, a, b)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_multi_head_einsum(rng, dtype):
    t = DTYPES[dtype]
    q, k = rng.standard_normal((2, 3, 97, 64)).astype(t), rng.standard_normal((2, 3, 7, 64)).astype(t)
    check_against_xla(lambda q, k: jnp.einsum("bhqd,bhkd->bhqk", q, k), q, k)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_convolution(rng, dtype):
    t = DTYPES[dtype]
    x, w = rng.standard_normal((1, 13, 13, 112)).astype(t), rng.standard_normal((3, 3, 112, 5)).astype(t)

    def conv(x, w):
        return jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))

    check_against_xla(conv, x, w)
