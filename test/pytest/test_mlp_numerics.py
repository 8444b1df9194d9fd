"""The transformer MLP (dense, bias, GELU, dense, bias) under the default schedule, against JAX at odd sizes.

Rows 1 and 7 take the unpacked microkernel, 97 the packed path (K = 300 spans two K slabs);
the hidden width 1000 is no multiple of the microkernel's nr.
"""

from __future__ import annotations

import jax
import numpy as np
from test_library_numerics import compile_scheduled, f32, kinds

import pytest
from conftest import assert_matches_jax, stablehlo_of


def mlp_gelu(x, w1, b1, w2, b2):
    return jax.nn.gelu(x @ w1 + b1) @ w2 + b2


@pytest.mark.parametrize("rows", [1, 7, 97])
def test_mlp_gelu_matches_jax(rng: np.random.Generator, rows: int) -> None:
    d, hidden, out = 300, 1000, 97
    args = (
        f32(rng, rows, d),
        f32(rng, d, hidden) / np.float32(np.sqrt(d)),
        f32(rng, hidden) * np.float32(0.1),
        f32(rng, hidden, out) / np.float32(np.sqrt(hidden)),
        f32(rng, out) * np.float32(0.1),
    )
    text = stablehlo_of(mlp_gelu, *args)
    assert "contraction" in kinds(text)
    got = compile_scheduled(text)(*args)
    assert_matches_jax(got, mlp_gelu, *args, rtol=2e-4, atol=2e-4)
