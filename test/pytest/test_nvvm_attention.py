"""Flash attention on the NVVM target (:mod:`tilewright.schedule.nvvm.attention`): the attention
chain JAX exports compiles to ONE kernel (no ``seq x seq`` scores in global memory) that
``ptxas`` accepts for sm_80 and sm_90 with no spills and no device heap; run through the GPU
emulator, it matches a float64 reference at odd sizes (f32, and f16 with f32 accumulation).
"""

from __future__ import annotations

import math
import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from gpu_emulator import emulate

import pytest
from conftest import ptxas_report, stablehlo_of
from tilewright import extension
from tilewright.compiler import CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.schedule.cpu.flash import AttentionShape
from tilewright.schedule.nvvm.attention import gpu_flash_plan

pytestmark = pytest.mark.skipif(not extension.available(), reason="tw.attention needs the C++ extension")


def _attention(q, k, v, causal: bool = False):
    """Attention as models write it for f16/bf16: scores and output accumulated in f32
    (``preferred_element_type``), the probabilities rounded to V's type before P·V."""
    s = jnp.einsum("bhqd,bhkd->bhqk", q, k, preferred_element_type=jnp.float32) / math.sqrt(q.shape[-1])
    if causal:
        n = q.shape[-2]
        s = jnp.where(jnp.tril(jnp.ones((n, n), bool)), s, jnp.float32(-0.7 * float(jnp.finfo(jnp.float32).max)))
    p = jax.nn.softmax(s, axis=-1).astype(v.dtype)
    return jnp.einsum("bhqk,bhkd->bhqd", p, v, preferred_element_type=jnp.float32)


def _reference(q, k, v, causal: bool) -> np.ndarray:
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    s = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if causal:
        n = s.shape[-1]
        s = np.where(np.tril(np.ones((n, n), bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


@pytest.mark.parametrize(
    ("m", "n", "plan"),
    [(4096, 4096, (64, 64)), (97, 97, (1, 97)), (130, 130, (26, 26)), (1031, 1031, (1, 1)), (64, 1024, (64, 64))],
)
def test_tiles_divide_the_lengths(m, n, plan):
    """Static tiles (the thread's state needs no dynamic allocation): divisors up to 64; a prime key
    count up to MAX_WHOLE_KEYS in one step."""
    shape = AttentionShape((64,), m, n, 64, 64, causal=False, itemsize=2)
    got = gpu_flash_plan(shape)
    assert got is not None and (got.rows, got.keys) == plan


def test_layouts_it_cannot_map_are_left_to_the_other_rows():
    assert gpu_flash_plan(AttentionShape((2, 4, 8), 64, 64, 64, 64, causal=False, itemsize=4)) is None  # 4 grid dims
    assert gpu_flash_plan(AttentionShape((2,), 64, 64, 64, 64, causal=False, itemsize=4, row_major=False)) is None
    assert gpu_flash_plan(AttentionShape((2,), -1, 64, 64, 64, causal=False, itemsize=4)) is None


def _source(shape: tuple[int, ...], dtype, causal: bool) -> str:
    spec = jax.ShapeDtypeStruct(shape, dtype)
    return stablehlo_of(lambda q, k, v: _attention(q, k, v, causal), spec, spec, spec)


def _ptx(source: str, arch: str) -> str:
    compilation = start(as_source(source), CompileOptions(target="nvvm", gpu_arch=arch))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a one-thread launch would warn
        ptx = compilation.run_until("ptx")
    assert isinstance(ptx, str)
    return ptx


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize(
    ("shape", "dtype", "causal"),
    [((4, 16, 4096, 64), "float16", False), ((4, 16, 4096, 64), "bfloat16", True), ((1, 2, 97, 64), "float32", False)],
)
def test_one_kernel_that_ptxas_accepts_without_spills(shape, dtype, causal, arch, tmp_path):
    ptx = _ptx(_source(shape, dtype, causal), arch)
    assert re.findall(r"\.entry (\w+)\(", ptx) == ["main_kernel"]  # the whole attention: one kernel
    assert "malloc" not in ptx  # the thread's state is private memory, not the device heap
    report = ptxas_report(ptx, arch)
    assert "0 bytes spill stores, 0 bytes spill loads" in report, report


@pytest.mark.parametrize(
    ("shape", "dtype", "causal"),
    [
        ((1, 2, 97, 64), np.float32, False),
        ((1, 2, 97, 64), np.float16, False),
        ((1, 1, 130, 64), np.float32, True),
        ((1, 1, 130, 64), np.float16, True),
    ],
)
def test_emulated_matches_float64(shape, dtype, causal, rng):
    args = [rng.standard_normal(shape).astype(dtype) for _ in range(3)]
    source = _source(shape, dtype, causal)
    (got,) = emulate(source, args)
    expected = _reference(*args, causal)
    xla = np.asarray(jax.jit(lambda q, k, v: _attention(q, k, v, causal))(*args), np.float64)
    # f32: tight; f16: no worse than XLA's own error against float64 (P is rounded to f16 there).
    tolerance = 1e-5 if dtype == np.float32 else 2 * np.abs(xla - expected).max() + 1e-6
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.astype(np.float64), expected, atol=tolerance, rtol=0)


def test_f16_attention_as_users_write_it_is_one_kernel():
    """``q @ k.swapaxes(-1, -2) / sqrt(d)``, ``jax.nn.softmax``, ``@ v`` on f16 arrays (f16 x f16 ->
    f32 -> f16 products, an f16 softmax between them) is raised, so it runs as the one attention kernel
    plus the output's cast to f16 (it was 13 kernels)."""

    def fn(q, k, v):
        return jax.nn.softmax(q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1]), -1) @ v

    spec = jax.ShapeDtypeStruct((1, 2, 97, 64), "float16")
    compilation = start(as_source(stablehlo_of(fn, spec, spec, spec)), CompileOptions(target="nvvm"))
    nvvm = str(compilation.run_until("nvvm"))
    assert len(re.findall(r"\bgpu\.kernel\b", nvvm)) == 2, nvvm
