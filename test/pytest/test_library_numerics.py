"""The CPU schedule library keeps numerics: every library schedule vs numpy / jax.jit at odd shapes.

Each case also checks which library schedule the default selection picked
(:func:`tilewright.schedule.grouping.plan`) and that it really applied (a fallback
to unscheduled code is a RuntimeWarning, turned into an error here).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.compiler import CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.schedule.grouping import Payload, plan


def kinds(text: str) -> list[str]:
    """The default plan's schedule kinds for a program, e.g. ['contraction', 'fusion group']."""
    compilation = start(as_source(text), CompileOptions(schedule="none"))
    with compilation.context:
        payload = Payload.of(compilation.module)
        assert payload is not None
        return sorted({line.split(":")[0] for line in plan(payload).describe(payload)})


def compile_scheduled(text: str, threads: int | None = None) -> tilewright.Executable:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the default schedule must apply, not fall back
        return tilewright.compile(text, schedule="default", threads=threads)


def f32(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(
    ("m", "n", "k"),
    [
        (1, 1, 1),
        (7, 13, 5),
        (17, 34, 97),
        (97, 131, 77),
        (64, 96, 256),
        (999, 1000, 1001),
        # One cache tile up to 1.5 tiles (101, 145), several beyond (150 = 96 + 54).
        (101, 37, 50),
        (145, 17, 20),
        (150, 200, 64),
        # The packed path (K over several slabs, or B beyond L2): edges in M, N, K and the K slab.
        (7, 1001, 260),
        (97, 131, 300),
        (1001, 16, 513),
        (6, 16, 257),
        (13, 2000, 33),
    ],
)
def test_matmul(rng, m, n, k):
    a, b = f32(rng, m, k), f32(rng, k, n)
    text = stablehlo_of(lambda x, y: x @ y, a, b)
    assert "contraction" in kinds(text)
    got = compile_scheduled(text)(a, b)
    np.testing.assert_allclose(got, a.astype(np.float64) @ b.astype(np.float64), rtol=2e-4, atol=2e-4 * np.sqrt(k))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(("m", "k", "n"), [(257, 129, 300), (97, 333, 301)], ids=["unpacked", "packed"])
def test_matmul_threads(rng, threads, m, k, n):
    """Parallel cache tiles, and for the packed path the packs shared out on a forall too."""
    a, b = f32(rng, m, k), f32(rng, k, n)
    text = stablehlo_of(lambda x, y: x @ y, a, b)
    got = compile_scheduled(text, threads=threads)(a, b)
    np.testing.assert_allclose(got, a @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(("m", "n", "k"), [(7, 17, 33), (97, 64, 1000)])
def test_matmul_transposed_rhs(rng, m, n, k):
    """``x @ w.T``: JAX's dot_general becomes a transpose (8x8 blocks) feeding a matmul."""
    x, w = f32(rng, m, k), f32(rng, n, k)
    text = stablehlo_of(lambda a, b: a @ b.T, x, w)
    assert kinds(text) == ["contraction", "fusion group"]
    np.testing.assert_allclose(compile_scheduled(text)(x, w), x @ w.T, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(("batch", "m", "n", "k"), [(1, 1, 7, 3), (3, 17, 33, 9), (4, 97, 35, 64), (2, 97, 35, 300)])
def test_batch_matmul(rng, batch, m, n, k):
    a, b = f32(rng, batch, m, k), f32(rng, batch, k, n)
    text = stablehlo_of(lambda x, y: jnp.einsum("bij,bjk->bik", x, y), a, b)
    assert kinds(text) == ["contraction"]
    np.testing.assert_allclose(compile_scheduled(text)(a, b), a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
@pytest.mark.parametrize(("m", "n", "k"), [(33, 20, 97), (40, 20, 300)])  # unpacked, packed
def test_matmul_half_inputs_f32_accumulation(rng, dtype, m, n, k):
    np_dtype = np.float16 if dtype == jnp.float16 else ml_dtypes.bfloat16
    a = rng.standard_normal((m, k)).astype(np_dtype)
    b = rng.standard_normal((k, n)).astype(np_dtype)
    text = stablehlo_of(lambda x, y: jnp.matmul(x, y, preferred_element_type=jnp.float32), a, b)
    assert kinds(text) == ["contraction"]
    got = compile_scheduled(text)(a, b)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, a.astype(np.float32) @ b.astype(np.float32), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("shape", "kernel", "features", "padding", "strides"),
    [
        ((1, 9, 7, 5), (3, 3), 7, "SAME", (1, 1)),
        ((2, 12, 10, 16), (3, 3), 32, "VALID", (1, 1)),
        ((1, 17, 17, 8), (5, 3), 24, "SAME", (2, 2)),
        ((1, 8, 8, 3), (1, 1), 17, "VALID", (1, 1)),
    ],
)
def test_conv_nhwc_hwio(rng, shape, kernel, features, padding, strides):
    x = f32(rng, *shape)
    w = f32(rng, *kernel, shape[-1], features)

    def conv(a, b):
        return lax.conv_general_dilated(a, b, strides, padding, dimension_numbers=("NHWC", "HWIO", "NHWC"))

    text = stablehlo_of(conv, x, w)
    assert "convolution" in kinds(text)
    expected = np.asarray(jax.jit(conv)(x, w))
    np.testing.assert_allclose(compile_scheduled(text)(x, w), expected, rtol=1e-4, atol=1e-4)


def softmax(x):
    return jax.nn.softmax(x, axis=-1)


def layernorm(x):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * lax.rsqrt(var + 1e-5)


def gelu_chain(x):
    return jax.nn.gelu(x * 2.0 + 1.0) - jnp.tanh(x)


def mean_var(x):
    return x.mean(0), x.var(0)


@pytest.mark.parametrize("fn", [softmax, layernorm, gelu_chain, jnp.transpose], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (97, 1000), (3, 17, 33)])
def test_fusion_groups(rng, fn, shape):
    x = f32(rng, *shape)
    text = stablehlo_of(fn, x)
    # Column reductions (mean_var reduces axis 0) are left unscheduled: see grouping.plan.
    if fn is not mean_var:
        assert kinds(text) == ["fusion group"]
    got = compile_scheduled(text)(x)
    expected = jax.jit(fn)(x)
    got = got if isinstance(got, tuple) else (got,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=2e-5, atol=2e-5)


def attention(q, k, v):
    return jax.nn.softmax(q @ k.T * (1.0 / np.sqrt(q.shape[-1])), axis=-1) @ v


def causal_attention(q, k, v):
    s = q @ k.T / np.sqrt(q.shape[-1])
    mask = jnp.tril(jnp.ones((q.shape[0], k.shape[0]), dtype=bool))
    return jax.nn.softmax(jnp.where(mask, s, -1e30), axis=-1) @ v


def multi_head_attention(q, k, v):
    s = jnp.einsum("hqd,hkd->hqk", q, k) / np.sqrt(q.shape[-1])
    return jnp.einsum("hqk,hkd->hqd", jax.nn.softmax(s, axis=-1), v)


@pytest.mark.parametrize(("seq", "dim"), [(1, 8), (17, 64), (97, 32), (256, 64)])
@pytest.mark.parametrize("fn", [attention, causal_attention], ids=lambda f: f.__name__)
def test_attention_one_head(rng, fn, seq, dim):
    q, k, v = (f32(rng, seq, dim) for _ in range(3))
    text = stablehlo_of(fn, q, k, v)
    assert "attention" in kinds(text)
    np.testing.assert_allclose(compile_scheduled(text)(q, k, v), np.asarray(jax.jit(fn)(q, k, v)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("heads", "seq", "dim"), [(2, 33, 16), (4, 128, 32)])
def test_attention_multi_head(rng, heads, seq, dim):
    q, k, v = (f32(rng, heads, seq, dim) for _ in range(3))
    text = stablehlo_of(multi_head_attention, q, k, v)
    assert "attention" in kinds(text)
    expected = np.asarray(jax.jit(multi_head_attention)(q, k, v))
    np.testing.assert_allclose(compile_scheduled(text, threads=2)(q, k, v), expected, rtol=1e-4, atol=1e-5)
