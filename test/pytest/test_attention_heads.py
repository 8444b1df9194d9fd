"""Multi-head attention in the layouts JAX exports, under the default schedule, against JAX.

``einsum`` over [batch, heads, seq, dim] and ``jax.nn.dot_product_attention`` over
[batch, seq, heads, dim] (plus grouped K/V heads and an additive bias) at odd sizes: seq 7, 97
and 1000, heads 1, 3 and 8, batch 1 and 2, causal and not. Each program must also take the
fused attention schedule (the plan names an attention group), so a layout that silently falls
back to two separate batch matmuls fails here, not only in the benchmarks.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from tilewright.compiler import CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.schedule.grouping import Payload, plan

# (batch, heads, seq, head dim)
SIZES = [(1, 1, 7, 16), (2, 3, 97, 64), (1, 8, 1000, 32)]


def _einsum_attention(causal: bool):
    def fn(q, k, v):
        scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.shape[-1])
        if causal:
            n = q.shape[2]
            scores = jnp.where(jnp.tril(jnp.ones((n, n), dtype=bool)), scores, -jnp.inf)
        return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(scores, axis=-1), v)

    return fn


def _heads_in_middle(causal: bool):
    """GPT-2's form: [seq, heads, dim] per sequence, ``einsum("qhd,khd->hqk")``, ``hqk,khd->qhd``."""

    def fn(q, k, v):
        scores = jnp.einsum("qhd,khd->hqk", q, k) / math.sqrt(q.shape[-1])
        if causal:
            n = q.shape[0]
            scores = jnp.where(jnp.tril(jnp.ones((n, n), dtype=bool)), scores, jnp.finfo(jnp.float32).min)
        return jnp.einsum("hqk,khd->qhd", jax.nn.softmax(scores, axis=-1), v)

    return fn


def _inputs(shapes: list[tuple[int, ...]], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s, dtype=np.float32) for s in shapes]


def _check(fn, args: list[np.ndarray], fused: bool = True, threads: int = 1) -> None:
    """tilewright's default schedule matches JAX (and fuses the attention, where asked)."""
    with jax.enable_x64(False):
        text = jax.jit(fn).lower(*args).as_text()
        expected = np.asarray(jax.jit(fn)(*args))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # nothing left unscheduled
        exe = tilewright.compile(text, target="cpu", entry="main", threads=threads)
    got = exe(*args)
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=2e-5 * float(np.max(np.abs(expected))))
    if fused:
        _assert_fused(text)


def _assert_fused(text: str) -> None:
    compilation = start(as_source(text), CompileOptions(schedule="none"))
    with compilation.context:
        payload = Payload.of(compilation.module)
        assert payload is not None
        assert plan(payload).attention, "\n".join(plan(payload).describe(payload))


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_einsum_heads_match_jax(size, causal):
    b, h, s, d = size
    _check(_einsum_attention(causal), _inputs([(b, h, s, d)] * 3, seed=s))


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_dot_product_attention_matches_jax(size, causal):
    b, h, s, d = size
    # JAX computes P·V as (Vᵀ·Pᵀ)ᵀ here; tw-canonicalize-contractions turns it around when that
    # moves less data, which at seq < head dim (7 x 16) it does not: fused only when seq > dim.
    fn = lambda q, k, v: jax.nn.dot_product_attention(q, k, v, is_causal=causal)  # noqa: E731
    _check(fn, _inputs([(b, s, h, d)] * 3, s), fused=s > d)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_heads_in_the_middle_match_jax(causal):
    _check(_heads_in_middle(causal), _inputs([(97, 3, 64)] * 3, seed=5))


def test_grouped_kv_heads_and_bias_match_jax():
    """GQA (8 query heads over 2 K/V heads) with an additive bias per head pair."""
    q, k, v, bias = _inputs([(2, 97, 8, 32), (2, 97, 2, 32), (2, 97, 2, 32), (2, 8, 97, 97)], seed=7)
    _check(lambda q, k, v, bias: jax.nn.dot_product_attention(q, k, v, bias=bias), [q, k, v, bias], fused=False)


def test_head_pairs_and_row_blocks_on_two_threads_match_jax():
    """The parallel loop over (head pair, row block) on two cores, causal."""
    _check(_einsum_attention(True), _inputs([(2, 3, 97, 64)] * 3, seed=17), threads=2)


def _masked_heads(q, k, v, keep):
    """A padding mask over the keys of each sequence ([batch, keys], as BERT-style models pass it)."""
    scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.shape[-1])
    scores = jnp.where(keep[:, None, None, :] > 0, scores, -1e9)
    return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(scores, axis=-1), v)


def test_padding_mask_over_keys_matches_jax():
    q, k, v, keep = _inputs([(2, 3, 97, 32)] * 3 + [(2, 97)], seed=11)
    _check(_masked_heads, [q, k, v, keep])


@pytest.mark.parametrize("bias_shape", [(3, 97, 97), (2, 1, 97, 97)], ids=["heads-bias", "batch-bias"])
def test_bias_without_the_batch_or_head_dim_matches_jax(bias_shape):
    """A per-head bias (ALiBi, relative positions) or a [batch, 1, q, k] one (read through a constant 0
    on its unit head axis) is broadcast over the merged (batch, head) dims: the attention stays fused."""
    q, k, v, bias = _inputs([(2, 97, 3, 32)] * 3 + [bias_shape], seed=13)
    _check(lambda q, k, v, bias: jax.nn.dot_product_attention(q, k, v, bias=bias), [q, k, v, bias])
