"""tilewright.jax.jit against jax.jit: real models, pytrees, the signature cache, static args, x64 off."""

from __future__ import annotations

import itertools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
import tilewright.jax as twj

INPUTS = Path(__file__).resolve().parents[1] / "Inputs"


def assert_tree_close(got, expected, rtol: float = 2e-5, atol: float = 2e-5) -> None:
    """Same pytree structure, numpy leaves, same shapes/dtypes, close values."""
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(expected)
    for g, e in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected), strict=True):
        e = np.asarray(e)
        assert isinstance(g, np.ndarray), type(g)
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


def normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (scale * rng.standard_normal(shape)).astype(np.float32)


# --- models ---------------------------------------------------------------------------------


def mlp(params, x):
    for w, b in params[:-1]:
        x = jax.nn.gelu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def mlp_params(rng, sizes):
    return [(normal(rng, m, n, scale=m**-0.5), normal(rng, n, scale=0.1)) for m, n in itertools.pairwise(sizes)]


def layernorm(x, g, b, eps: float = 1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) * lax.rsqrt(var + eps) * g + b


def gpt_block(p, x, n_heads: int = 4):
    """Pre-norm transformer block: causal multi-head attention and a GELU MLP."""
    t, d = x.shape
    hd = d // n_heads
    h = layernorm(x, p["ln1"]["g"], p["ln1"]["b"])
    q, k, v = jnp.split(h @ p["attn"]["w_qkv"] + p["attn"]["b_qkv"], 3, axis=-1)
    q, k, v = (a.reshape(t, n_heads, hd).transpose(1, 0, 2) for a in (q, k, v))
    scores = (q @ k.transpose(0, 2, 1)) / np.float32(np.sqrt(hd))
    scores = jnp.where(jnp.tril(jnp.ones((t, t), bool)), scores, -jnp.inf)
    y = (jax.nn.softmax(scores, axis=-1) @ v).transpose(1, 0, 2).reshape(t, d)
    x = x + y @ p["attn"]["w_o"] + p["attn"]["b_o"]
    h = layernorm(x, p["ln2"]["g"], p["ln2"]["b"])
    return x + jax.nn.gelu(h @ p["mlp"]["w_fc"] + p["mlp"]["b_fc"]) @ p["mlp"]["w_proj"] + p["mlp"]["b_proj"]


def gpt_params(rng, d: int):
    def ln():
        return {"g": 1 + normal(rng, d, scale=0.1), "b": normal(rng, d, scale=0.1)}

    return {
        "ln1": ln(),
        "attn": {
            "w_qkv": normal(rng, d, 3 * d, scale=d**-0.5),
            "b_qkv": normal(rng, 3 * d, scale=0.1),
            "w_o": normal(rng, d, d, scale=d**-0.5),
            "b_o": normal(rng, d, scale=0.1),
        },
        "ln2": ln(),
        "mlp": {
            "w_fc": normal(rng, d, 4 * d, scale=d**-0.5),
            "b_fc": normal(rng, 4 * d, scale=0.1),
            "w_proj": normal(rng, 4 * d, d, scale=(4 * d) ** -0.5),
            "b_proj": normal(rng, d, scale=0.1),
        },
    }


def conv(x, k, stride: int, padding: str):
    return lax.conv_general_dilated(x, k, (stride, stride), padding, dimension_numbers=("NHWC", "HWIO", "NHWC"))


def convnet(p, x):
    y = jax.nn.relu(conv(x, p["k1"], 1, "SAME") + p["c1"])
    y = jax.nn.relu(conv(y, p["k2"], 2, "VALID") + p["c2"])
    return y.mean(axis=(1, 2)) @ p["w"] + p["b"]


def convnet_params(rng):
    return {
        "k1": normal(rng, 3, 3, 3, 8, scale=0.3),
        "c1": normal(rng, 8, scale=0.1),
        "k2": normal(rng, 3, 3, 8, 16, scale=0.2),
        "c2": normal(rng, 16, scale=0.1),
        "w": normal(rng, 16, 10, scale=0.25),
        "b": normal(rng, 10, scale=0.1),
    }


# --- models against jax.jit -----------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 7, 97])
def test_mlp_matches_jax(rng, batch):
    params = mlp_params(rng, [13, 97, 31, 5])
    x = normal(rng, batch, 13)
    assert_tree_close(twj.jit(mlp)(params, x), jax.jit(mlp)(params, x))


def test_gpt_block_matches_jax(rng):
    params, x = gpt_params(rng, 64), normal(rng, 17, 64)
    # -O1: the scalar-loop code of this block takes LLVM's -O3 much longer to optimize, for the same numbers.
    got = twj.jit(gpt_block, opt_level=1)(params, x)
    assert_tree_close(got, jax.jit(gpt_block)(params, x), rtol=1e-4, atol=1e-4)


def test_convnet_matches_jax(rng):
    params, x = convnet_params(rng), normal(rng, 2, 13, 11, 3)
    assert_tree_close(twj.jit(convnet)(params, x), jax.jit(convnet)(params, x), rtol=1e-4, atol=1e-4)


def test_convnet_with_max_pooling_matches_jax(rng):
    def pooled(p, x):
        y = jax.nn.relu(conv(x, p["k1"], 1, "SAME") + p["c1"])
        y = lax.reduce_window(y, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        return y.reshape(y.shape[0], -1) @ jnp.ones((y.shape[1] * y.shape[2] * 8, 3), jnp.float32)

    params, x = convnet_params(rng), normal(rng, 3, 9, 7, 3)
    assert_tree_close(twj.jit(pooled)(params, x), jax.jit(pooled)(params, x), rtol=1e-4, atol=1e-4)


def test_grad_of_mlp_loss_matches_jax(rng):
    def loss(params, x, y):
        return jnp.mean((mlp(params, x) - y) ** 2)

    params, x, y = mlp_params(rng, [13, 97, 1]), normal(rng, 7, 13), normal(rng, 7, 1)
    grad = jax.grad(loss)
    assert_tree_close(twj.jit(grad)(params, x, y), jax.jit(grad)(params, x, y), rtol=1e-4, atol=1e-5)
    value_and_grad = jax.value_and_grad(loss)
    assert_tree_close(twj.jit(value_and_grad)(params, x, y), jax.jit(value_and_grad)(params, x, y), rtol=1e-4)


# --- calling convention ---------------------------------------------------------------------


def test_pytree_inputs_and_outputs_keep_their_structure(rng):
    def f(inputs, scale, *, extra):
        a, (b, c) = inputs["pair"]
        return {"sum": a + b, "nested": (c * scale, [extra["z"] - 1]), "none": None, "rank0": jnp.sum(a)}

    inputs = {"pair": (normal(rng, 7), (normal(rng, 7), normal(rng, 3, 1)))}
    extra = {"z": np.arange(5, dtype=np.int32)}
    got = twj.jit(f)(inputs, np.float32(2.5), extra=extra)
    assert_tree_close(got, jax.jit(f)(inputs, np.float32(2.5), extra=extra))
    assert got["none"] is None and got["rank0"].shape == ()


def test_unused_arguments_and_passthrough_results(rng):
    def f(x, unused, y):
        return y, x + 1

    x, unused, y = normal(rng, 3), normal(rng, 97), np.arange(4, dtype=np.int64)
    jitted = twj.jit(f)
    assert_tree_close(jitted(x, unused, y), jax.jit(f)(x, unused, y))
    assert len(jitted.get_compiled(x, unused, y).executable.signature.inputs) == 3


def test_cache_hit_on_same_signature_and_recompilation_on_a_new_one(rng):
    jitted = twj.jit(lambda x, s: x * s + 1)
    x = normal(rng, 7, 5)
    np.testing.assert_allclose(jitted(x, np.float32(2)), x * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(jitted(x + 1, np.float32(3)), (x + 1) * 3 + 1, rtol=1e-6)  # new values: cache hit
    assert jitted.compilations == 1
    jitted(normal(rng, 1, 5), np.float32(2))  # new shape
    assert jitted.compilations == 2
    jitted(x.astype(np.float64), np.float32(2))  # new dtype
    assert jitted.compilations == 3
    jitted(x, 2.0)  # a Python scalar is weakly typed: another signature
    assert jitted.compilations == 4
    jitted({"a": x}["a"], 5.0)
    assert jitted.compilations == 4 and jitted.cache_size == 4


def test_numpy_and_jax_arrays_of_one_shape_and_dtype_are_one_signature(rng):
    jitted = twj.jit(lambda x, y: x * y)
    x = normal(rng, 7, 5)
    for a, b in [(x, x), (jnp.asarray(x), x), (x, jnp.asarray(x)), (jnp.asarray(x), jnp.asarray(x))]:
        np.testing.assert_allclose(jitted(a, b), x * x, rtol=1e-6)
    assert jitted.compilations == 1 and jitted.cache_size == 1
    jitted(x, jnp.ones((7, 5), jnp.float32) * 2)  # a jnp result is not weak either
    jitted(x, 2.0)  # a Python scalar is weak: its own signature
    assert jitted.compilations == 2
    with jax.enable_x64(False):  # float64 numpy becomes float32 as JAX places it: the float32 signature
        x32 = twj.jit(lambda x: x + 1)
        for a in (x, x.astype(np.float64), jnp.asarray(x)):
            assert x32(a).dtype == np.float32
        assert x32.compilations == 1


def test_static_arguments_by_position_and_name(rng):
    def f(x, n, *, mode):
        y = x * n
        return jnp.tanh(y) if mode == "tanh" else jnp.exp(y)

    x = normal(rng, 11)
    jitted = twj.jit(f, static_argnums=1, static_argnames="mode")
    for n, mode in [(2, "tanh"), (3, "tanh"), (2, "exp"), (2, "tanh")]:
        assert_tree_close(
            jitted(x, n, mode=mode), jax.jit(f, static_argnums=1, static_argnames="mode")(x, n, mode=mode)
        )
    assert jitted.compilations == 3

    by_name = twj.jit(static_argnames="n")(lambda x, n: x**n)
    np.testing.assert_allclose(by_name(x, 3), x**3, rtol=1e-6)
    np.testing.assert_allclose(by_name(x, n=3), x**3, rtol=1e-6)
    with pytest.raises(tilewright.TilewrightError, match="hashable"):
        twj.jit(lambda x, n: x, static_argnums=1)(x, [1, 2])


def test_x64_off_matches_jax_dtypes_and_weak_types(rng):
    def f(x, y, k):
        return x * 2.0 + y, k + 1

    with jax.enable_x64(False):
        x16, x64 = normal(rng, 7).astype(np.float16), rng.standard_normal(7)
        for args in [(x16, 1.5, 3), (x64, np.float32(1.5), np.int64(3)), (x64, x64, np.arange(3))]:
            assert_tree_close(twj.jit(f)(*args), jax.jit(f)(*args), rtol=2e-3, atol=2e-3)
        got = twj.jit(f)(x64, 1.5, 3)
        assert got[0].dtype == np.float32 and got[1].dtype == np.int32


def test_schedule_is_applied_to_every_signature(rng):
    matmul = twj.jit(jnp.matmul, schedule=str(INPUTS / "tile-matmul.transform.mlir"))
    for m, k, n in [(7, 13, 97), (1, 5, 3)]:
        a, b = normal(rng, m, k), normal(rng, k, n)
        np.testing.assert_allclose(matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
    artifacts = matmul.get_compiled(normal(rng, 7, 13), normal(rng, 13, 97)).executable.compilation.artifacts
    assert "scf.for" not in artifacts["linalg"] and "scf.for" in artifacts["scheduled"]  # tiled by the schedule


def test_unsupported_ops_are_errors_at_the_python_line(rng):
    def f(x):
        y = jax.pure_callback(np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)  # a host callback: a custom_call
        return y + 1

    with pytest.raises(tilewright.TilewrightError, match=r"test_jax_jit\.py:\d+:\d+: error: 'stablehlo.custom_call'"):
        twj.jit(f)(normal(rng, 3))
