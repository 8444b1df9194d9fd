"""stablehlo.fft (jnp.fft.fft/ifft/rfft/irfft/fftn) compiled by tilewright vs jax.jit.

Complex results are returned as real and imaginary parts.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of


def _parts(fn):
    def split(*args):
        y = fn(*args)
        return (jnp.real(y), jnp.imag(y)) if jnp.iscomplexobj(y) else y

    return split


def _run(fn, *args, rtol, atol):
    fn = _parts(fn)
    text = stablehlo_of(fn, *args)
    assert "stablehlo.fft" in text
    assert_matches_jax(tilewright.compile(text)(*args), fn, *args, rtol=rtol, atol=atol)


@pytest.mark.parametrize("n", [1, 7, 16, 97])
def test_fft_and_ifft_of_complex(rng, n):
    re, im = rng.standard_normal((2, 3, n)).astype(np.float32)
    _run(lambda a, b: jnp.fft.fft(a + 1j * b), re, im, rtol=1e-4, atol=1e-4 * n)
    _run(lambda a, b: jnp.fft.ifft(a + 1j * b), re, im, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n", [1, 8, 13, 1000])
def test_rfft_and_irfft_f64(rng, n):
    x = rng.standard_normal((2, n))
    _run(jnp.fft.rfft, x, rtol=1e-9, atol=1e-9 * n)
    _run(lambda x: jnp.fft.irfft(jnp.fft.rfft(x), n=n), x, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", [6, 7])
def test_irfft_of_an_arbitrary_spectrum(rng, n):
    re, im = rng.standard_normal((2, 5, n // 2 + 1)).astype(np.float32)
    _run(lambda a, b: jnp.fft.irfft(a + 1j * b, n=n), re, im, rtol=1e-4, atol=1e-4)


def test_fft_along_a_middle_axis_and_fftn(rng):
    x = rng.standard_normal((5, 7, 3)).astype(np.float32)
    _run(lambda x: jnp.fft.fft(x, axis=1), x, rtol=1e-4, atol=1e-4)
    _run(lambda x: jnp.fft.fftn(x, axes=(0, 2)), x, rtol=1e-4, atol=1e-4)
    _run(lambda x: jnp.fft.rfftn(x), x, rtol=1e-4, atol=1e-4)
    _run(lambda x: jnp.fft.irfftn(jnp.fft.rfftn(x), s=x.shape), x, rtol=1e-4, atol=1e-4)
