"""The model zoo: idiomatic JAX programs as users write them, at sizes people use (issue 10).

    python benchmarks/export.py --suite zoo     # rewrites benchmarks/programs/zoo_*.mlir
    python benchmarks/run.py --suite zoo -r 5   # -> results-zoo.json, results-zoo.md

Every program is plain ``jnp`` / ``jax.nn`` / ``lax`` code; weights are arguments,
scaled like trained ones (``N(0, 1/fan_in)`` matrices, norms near 1, small biases),
so f32 results of different implementations agree to ~1e-5 of their magnitude.
Each program has two sets of sizes: ``sizes`` (the benchmark, one core in seconds)
and ``small`` (the correctness test, ``test/pytest/test_zoo.py``). The static
choices (head counts, learning rate) are the same at both sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

GPT2_HEADS = 12
LLAMA_HEADS = 8
LEARNING_RATE = 0.1


# --- building blocks -------------------------------------------------------------------------


def layernorm(x, gamma, beta, eps=1e-5):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.var(x, axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * gamma + beta


def rmsnorm(x, weight, eps=1e-6):
    return x * lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps) * weight


def softmax(x):
    return jax.nn.softmax(x, axis=-1)


def _causal_mask(t: int):
    return jnp.tril(jnp.ones((t, t), dtype=bool))


# --- the programs ----------------------------------------------------------------------------


def mlp_gelu(x, w1, b1, w2, b2):
    """Transformer MLP: GELU (tanh approximation, jax.nn's default) between two dense layers."""
    return jax.nn.gelu(x @ w1 + b1) @ w2 + b2


def mha_einsum(q, k, v):
    """Multi-head attention over [batch, heads, seq, dim], written with jnp.einsum."""
    scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.shape[-1])
    return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(scores, axis=-1), v)


def dot_product_attention(q, k, v):
    """jax.nn.dot_product_attention over [batch, seq, heads, dim] (XLA's implementation)."""
    return jax.nn.dot_product_attention(q, k, v)


def causal_attention(q, k, v):
    """One head, [seq, dim], causal mask with jnp.where."""
    scores = q @ k.T / math.sqrt(q.shape[-1])
    scores = jnp.where(_causal_mask(q.shape[0]), scores, -jnp.inf)
    return jax.nn.softmax(scores, axis=-1) @ v


def gpt2_block(x, ln1_g, ln1_b, w_attn, b_attn, w_proj, b_proj, ln2_g, ln2_b, w_fc, b_fc, w_out, b_out):
    """GPT-2 block (pre-norm): fused QKV projection, 12 causal heads with einsum, GELU MLP (4x)."""
    t, d = x.shape
    hd = d // GPT2_HEADS
    q, k, v = jnp.split(layernorm(x, ln1_g, ln1_b) @ w_attn + b_attn, 3, axis=-1)
    q, k, v = (a.reshape(t, GPT2_HEADS, hd) for a in (q, k, v))
    att = jnp.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)
    att = jnp.where(_causal_mask(t), att, jnp.finfo(att.dtype).min)
    y = jnp.einsum("hqk,khd->qhd", jax.nn.softmax(att, axis=-1), v).reshape(t, d)
    x = x + y @ w_proj + b_proj
    h = layernorm(x, ln2_g, ln2_b)
    return x + jax.nn.gelu(h @ w_fc + b_fc) @ w_out + b_out


def _rotate_half(x):
    x1, x2 = jnp.split(x, 2, axis=-1)
    return jnp.concatenate([-x2, x1], axis=-1)


def _rope_tables(t: int, hd: int):
    inv_freq = 1.0 / (10000.0 ** (jnp.arange(0, hd, 2, dtype=jnp.float32) / hd))
    freqs = jnp.outer(jnp.arange(t, dtype=jnp.float32), inv_freq)
    emb = jnp.concatenate([freqs, freqs], axis=-1)[:, None, :]  # [seq, 1, head_dim]
    return jnp.cos(emb), jnp.sin(emb)


def llama_block(x, attn_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down):
    """LLaMA block: RMSNorm, rotary embeddings (rotate_half with jnp.concatenate), 8 causal heads, SwiGLU."""
    t, d = x.shape
    hd = d // LLAMA_HEADS
    h = rmsnorm(x, attn_norm)
    q, k, v = ((h @ w).reshape(t, LLAMA_HEADS, hd) for w in (wq, wk, wv))
    cos, sin = _rope_tables(t, hd)
    q = q * cos + _rotate_half(q) * sin
    k = k * cos + _rotate_half(k) * sin
    scores = jnp.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)
    scores = jnp.where(_causal_mask(t), scores, -jnp.inf)
    out = jnp.einsum("hqk,khd->qhd", jax.nn.softmax(scores, axis=-1), v).reshape(t, d)
    x = x + out @ wo
    h = rmsnorm(x, ffn_norm)
    return x + (jax.nn.silu(h @ w_gate) * (h @ w_up)) @ w_down


def _conv(x, w, **kwargs):
    return lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"), **kwargs)


def _max_pool(x):
    """2x2 max-pool, stride 2 (what flax.linen.max_pool emits)."""
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def small_cnn(x, w1, b1, w2, b2, w_fc, b_fc):
    """Two (conv 3x3 + bias + relu + 2x2 max-pool) stages, then a dense classifier."""
    x = _max_pool(jax.nn.relu(_conv(x, w1) + b1))
    x = _max_pool(jax.nn.relu(_conv(x, w2) + b2))
    return x.reshape(x.shape[0], -1) @ w_fc + b_fc


def depthwise_conv(x, w):
    """Depthwise 3x3 (groups = channels), NHWC, HWIO filter of shape [3, 3, 1, C], SAME."""
    return _conv(x, w, feature_group_count=x.shape[-1])


def batched_matmul(a, b):
    return jnp.matmul(a, b)


def cumsum(x):
    return jnp.cumsum(x, axis=-1)


def sort(x):
    return jnp.sort(x, axis=-1)


def train_step(embed, w1, b1, w2, b2, tokens, labels):
    """One SGD step of a bag-of-embeddings classifier: embedding gather, dense relu, dense,
    cross-entropy via take_along_axis; jax.value_and_grad (the gather's gradient is a scatter-add)."""

    def loss_fn(params):
        embed, w1, b1, w2, b2 = params
        h = embed[tokens].mean(axis=1)
        h = jax.nn.relu(h @ w1 + b1)
        logp = jax.nn.log_softmax(h @ w2 + b2, axis=-1)
        return -jnp.take_along_axis(logp, labels[:, None], axis=-1).mean()

    params = (embed, w1, b1, w2, b2)
    loss, grads = jax.value_and_grad(loss_fn)(params)
    return (loss, *(p - LEARNING_RATE * g for p, g in zip(params, grads, strict=True)))


# --- inputs ----------------------------------------------------------------------------------


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _dense(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    return _normal(rng, fan_in, fan_out, scale=fan_in**-0.5)


def _bias(rng: np.random.Generator, n: int) -> np.ndarray:
    return _normal(rng, n, scale=0.02)


def _norm_weight(rng: np.random.Generator, n: int) -> np.ndarray:
    return 1 + _normal(rng, n, scale=0.1)


def _mlp_inputs(rng, m, d, hidden):
    return [_normal(rng, m, d), _dense(rng, d, hidden), _bias(rng, hidden), _dense(rng, hidden, d), _bias(rng, d)]


def _norm_inputs(rng, rows, d, beta=True):
    return [_normal(rng, rows, d), _norm_weight(rng, d), *([_bias(rng, d)] if beta else [])]


def _gpt2_inputs(rng, seq, d):
    return [
        _normal(rng, seq, d),
        _norm_weight(rng, d),
        _bias(rng, d),
        _dense(rng, d, 3 * d),
        _bias(rng, 3 * d),
        _dense(rng, d, d),
        _bias(rng, d),
        _norm_weight(rng, d),
        _bias(rng, d),
        _dense(rng, d, 4 * d),
        _bias(rng, 4 * d),
        _dense(rng, 4 * d, d),
        _bias(rng, d),
    ]


def _llama_inputs(rng, seq, d, hidden):
    x = _normal(rng, seq, d)
    attention = [_norm_weight(rng, d), *(_dense(rng, d, d) for _ in range(4))]
    ffn = [_norm_weight(rng, d), _dense(rng, d, hidden), _dense(rng, d, hidden), _dense(rng, hidden, d)]
    return [x, *attention, *ffn]


def _cnn_inputs(rng, batch, hw, c0, c1, c2, classes):
    flat = (hw // 4) ** 2 * c2
    return [
        _normal(rng, batch, hw, hw, c0),
        _normal(rng, 3, 3, c0, c1, scale=(9 * c0) ** -0.5),
        _bias(rng, c1),
        _normal(rng, 3, 3, c1, c2, scale=(9 * c1) ** -0.5),
        _bias(rng, c2),
        _dense(rng, flat, classes),
        _bias(rng, classes),
    ]


def _train_inputs(rng, vocab, d, hidden, classes, batch, seq):
    return [
        _normal(rng, vocab, d, scale=d**-0.5),
        _dense(rng, d, hidden),
        _bias(rng, hidden),
        _dense(rng, hidden, classes),
        _bias(rng, classes),
        rng.integers(0, vocab, (batch, seq), dtype=np.int32),
        rng.integers(0, classes, (batch,), dtype=np.int32),
    ]


@dataclass(frozen=True)
class ZooProgram:
    """A zoo program: ``fn(*make_inputs(rng, **sizes))``; ``shape`` formats the sizes for tables."""

    fn: Callable[..., Any]
    make_inputs: Callable[..., list[np.ndarray]]
    sizes: dict[str, int]
    small: dict[str, int]
    shape: str  # str.format template over the sizes

    def inputs(self, seed: int = 0, *, small: bool = False) -> list[np.ndarray]:
        return self.make_inputs(np.random.default_rng(seed), **(self.small if small else self.sizes))

    def describe(self, *, small: bool = False) -> str:
        return self.shape.format(**(self.small if small else self.sizes))


def _normals(n: int) -> Callable[..., list[np.ndarray]]:
    """Inputs of ``n`` standard normal arrays of one shape (the sizes, in order)."""
    return lambda rng, **dims: [_normal(rng, *dims.values()) for _ in range(n)]


ZOO: dict[str, ZooProgram] = {
    "zoo_mlp_gelu": ZooProgram(
        mlp_gelu, _mlp_inputs, {"m": 256, "d": 1024, "hidden": 4096}, {"m": 7, "d": 33, "hidden": 97},
        "{m}x{d} -> {hidden} -> {d}, GELU",
    ),
    "zoo_layernorm": ZooProgram(
        layernorm, _norm_inputs, {"rows": 2048, "d": 1024}, {"rows": 7, "d": 97}, "{rows}x{d}, last axis"
    ),
    "zoo_rmsnorm": ZooProgram(
        rmsnorm, lambda rng, rows, d: _norm_inputs(rng, rows, d, beta=False), {"rows": 2048, "d": 1024},
        {"rows": 7, "d": 97}, "{rows}x{d}, last axis",
    ),
    "zoo_softmax": ZooProgram(
        softmax, _normals(1), {"rows": 256, "cols": 4096}, {"rows": 7, "cols": 97}, "{rows}x{cols}, last axis"
    ),
    "zoo_mha_einsum": ZooProgram(
        mha_einsum, _normals(3), {"b": 2, "h": 8, "s": 512, "d": 64}, {"b": 2, "h": 3, "s": 17, "d": 16},
        "[b, h, s, d] = {b}x{h}x{s}x{d}, einsum",
    ),
    "zoo_dot_product_attention": ZooProgram(
        dot_product_attention, _normals(3), {"b": 2, "s": 512, "h": 8, "d": 64},
        {"b": 2, "s": 17, "h": 3, "d": 16}, "[b, s, h, d] = {b}x{s}x{h}x{d}, jax.nn",
    ),
    "zoo_causal_attention": ZooProgram(
        causal_attention, _normals(3), {"s": 1024, "d": 64}, {"s": 97, "d": 16}, "seq {s}, head {d}, causal"
    ),
    "zoo_gpt2_block": ZooProgram(
        gpt2_block, _gpt2_inputs, {"seq": 256, "d": 768}, {"seq": 7, "d": 96},
        f"seq {{seq}}, d {{d}}, {GPT2_HEADS} heads, causal",
    ),
    "zoo_llama_block": ZooProgram(
        llama_block, _llama_inputs, {"seq": 256, "d": 512, "hidden": 1536}, {"seq": 7, "d": 64, "hidden": 96},
        f"seq {{seq}}, d {{d}}, {LLAMA_HEADS} heads, SwiGLU {{hidden}}, RoPE",
    ),
    "zoo_small_cnn": ZooProgram(
        small_cnn, _cnn_inputs, {"batch": 8, "hw": 32, "c0": 3, "c1": 32, "c2": 64, "classes": 10},
        {"batch": 2, "hw": 12, "c0": 3, "c1": 8, "c2": 16, "classes": 10},
        "NHWC {batch}x{hw}x{hw}x{c0}, conv {c1}, pool, conv {c2}, pool, dense {classes}",
    ),
    "zoo_depthwise_conv": ZooProgram(
        depthwise_conv, lambda rng, n, hw, c: [_normal(rng, n, hw, hw, c), _normal(rng, 3, 3, 1, c, scale=1 / 3)],
        {"n": 1, "hw": 56, "c": 128}, {"n": 2, "hw": 13, "c": 24}, "NHWC {n}x{hw}x{hw}x{c}, 3x3, groups {c}",
    ),
    "zoo_batched_matmul": ZooProgram(
        batched_matmul, lambda rng, b, m, k, n: [_normal(rng, b, m, k), _dense(rng, k, n)[None].repeat(b, 0)],
        {"b": 16, "m": 256, "k": 256, "n": 256}, {"b": 3, "m": 7, "k": 33, "n": 97}, "{b}x{m}x{k} @ {b}x{k}x{n}",
    ),
    "zoo_cumsum": ZooProgram(cumsum, _normals(1), {"r": 1024, "c": 1024}, {"r": 7, "c": 97}, "{r}x{c}, last axis"),
    "zoo_sort": ZooProgram(sort, _normals(1), {"r": 1024, "c": 1024}, {"r": 7, "c": 97}, "{r}x{c}, last axis"),
    "zoo_train_step": ZooProgram(
        train_step, _train_inputs,
        {"vocab": 4096, "d": 128, "hidden": 256, "classes": 32, "batch": 128, "seq": 64},
        {"vocab": 50, "d": 8, "hidden": 16, "classes": 5, "batch": 6, "seq": 7},
        "vocab {vocab}x{d}, tokens {batch}x{seq}, {d}->{hidden}->{classes}, SGD",
    ),
}  # fmt: skip


def export(name: str, *, small: bool = False) -> str:
    """StableHLO text of zoo program ``name``, lowered at its benchmark (or small) sizes."""
    program = ZOO[name]
    with jax.enable_x64(False):  # f32 programs (jnp.arange is int32), whatever the caller's setting
        return jax.jit(program.fn).lower(*program.inputs(small=small)).as_text()
