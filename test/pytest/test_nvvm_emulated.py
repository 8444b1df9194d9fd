"""The NVVM library's schedules and GPU mapping, run on the CPU by the GPU emulator
(:mod:`gpu_emulator`: every kernel of the ``nvvm`` target on host threads, a block's threads
concurrently, so barriers, shared memory and shuffles behave as on a GPU) and compared with
JAX at odd sizes (partial tiles, predicated threads).

This checks what the library's schedules and ``tw-gpu-map`` compute, before any GPU runs them
(no GPU is lent in CI).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from gpu_emulator import emulate

import pytest
from conftest import assert_matches_jax, stablehlo_of


def _layernorm(x, g, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * g + b


def _attention(q, k, v):
    return jax.nn.softmax(q @ jnp.swapaxes(k, -1, -2) / 8.0, axis=-1) @ v


CASES = {
    "matmul": (lambda a, b: a @ b, [(97, 131), (131, 77)]),
    "batch_matmul": (lambda a, b: a @ b, [(3, 7, 97), (3, 97, 65)]),
    "softmax": (lambda x: jax.nn.softmax(x, axis=-1), [(7, 1000)]),
    "layernorm": (_layernorm, [(97, 256), (256,), (256,)]),
    "elementwise": (lambda x, y: jnp.tanh(x * y + 1.0) - jnp.exp(-x), [(7, 97), (7, 97)]),
    # 3 channels: 85 rows of 3 threads per block, the last block partial.
    "short_rows": (lambda x: jnp.exp(x) * 2.0, [(5, 97, 3)]),
    "attention": (_attention, [(2, 97, 64), (2, 97, 64), (2, 97, 64)]),
    "row_of_one": (lambda x: x.sum(axis=-1) * 2.0, [(1, 1000)]),
    # A pad: its fill and the copy into its interior are left on the host by the library and
    # tiled onto the GPU by tw-gpu-map.
    "pad": (lambda x: jnp.pad(x, ((1, 2), (3, 0))) * 2.0, [(7, 97)]),
    "conv_same": (
        lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")),
        [(2, 9, 11, 3), (3, 3, 3, 5)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_library_mapping_computes_the_program(name, rng):
    fn, shapes = CASES[name]
    args = [rng.standard_normal(s).astype(np.float32) / np.sqrt(s[-1]) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no op left to a one-thread launch
        outputs = emulate(stablehlo_of(fn, *args), args)
    assert_matches_jax(tuple(outputs) if len(outputs) > 1 else outputs[0], fn, *args, rtol=1e-4, atol=1e-5)
