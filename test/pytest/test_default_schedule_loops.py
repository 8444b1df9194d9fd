"""The default schedule reaches into loop bodies (fori_loop, scan, while), and a module it leaves
unscheduled always says why."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of


def repeated_layer(x, w):
    return jax.lax.fori_loop(0, 3, lambda i, h: jnp.tanh(h @ w), x)


def scanned_layers(x, ws):
    def step(h, w):
        h = jax.nn.relu(h @ w)
        return h, h.sum()

    return jax.lax.scan(step, x, ws)


def compile_quietly(text: str) -> tilewright.Executable:
    """The default compile; any RuntimeWarning (a fallback or an unscheduled module) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return tilewright.compile(text, threads=1)


@pytest.mark.parametrize(("rows", "width"), [(1, 7), (7, 97), (97, 64)])
def test_matmul_inside_a_fori_loop_is_scheduled(rows, width, rng):
    x = rng.standard_normal((rows, width)).astype(np.float32)
    w = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
    exe = compile_quietly(stablehlo_of(repeated_layer, x, w))
    scheduled = exe.compilation.artifacts["scheduled"]
    body = scheduled[scheduled.index("scf.while") :]
    assert "linalg.matmul" not in body  # tiled and vectorized inside the loop body
    assert "vector.contract" in body or "vector.fma" in body
    np.testing.assert_allclose(exe(x, w), repeated_layer(x, w), rtol=1e-5, atol=1e-5)


def test_scan_body_is_scheduled(rng):
    x = rng.standard_normal((13, 32)).astype(np.float32)
    ws = (rng.standard_normal((5, 32, 32)) / 6).astype(np.float32)
    exe = compile_quietly(stablehlo_of(scanned_layers, x, ws))
    assert "linalg.matmul" not in exe.compilation.artifacts["scheduled"]
    got_h, got_sums = exe(x, ws)
    want_h, want_sums = scanned_layers(x, ws)
    np.testing.assert_allclose(got_h, want_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_sums, want_sums, rtol=1e-5, atol=1e-4)


TWO_FUNCTIONS = """
func.func @main(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %e = tensor.empty() : tensor<8x8xf32>
  %r = linalg.exp ins(%a : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}
func.func @other(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  return %a : tensor<8x8xf32>
}
"""


def test_an_unscheduled_module_says_why(rng):
    with pytest.warns(RuntimeWarning, match=r"module left unscheduled: 2 functions"):
        exe = tilewright.compile(TWO_FUNCTIONS, threads=1)
    a = rng.standard_normal((8, 8)).astype(np.float32)
    np.testing.assert_allclose(exe(a), np.exp(a), rtol=1e-6)
