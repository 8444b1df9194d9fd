"""Numerics of tw.attention under the default schedule's flash attention (C++ extension) against a
float64 numpy reference and, for f16/bf16, against XLA's own error: one head and several, heads
before and after the sequence, GQA, causal, additive and boolean masks with fully masked rows,
sequence lengths that no block divides (1, 7, 97, 1000, 1023) and one long one (4096)."""

from __future__ import annotations

import re
import warnings

import ml_dtypes
import numpy as np

import pytest
import tilewright
from tilewright import extension

pytestmark = pytest.mark.skipif(not extension.available(), reason="the C++ extension is not built")

DIMS = "mnde"


def _type(shape: tuple[int, ...], dtype: str) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{dtype}>"


def _payload(
    batch: dict[str, int],
    m: int,
    n: int,
    d: int,
    e: int,
    layouts: dict[str, str],
    dtype: str = "f32",
    mask: str | None = None,
    causal: bool = False,
    scale: float = 0.125,
) -> tuple[str, dict[str, tuple[int, ...]]]:
    """A function @main(q, k, v[, mask]) -> out of one tw.attention. ``layouts`` spells each operand's
    dims in order with batch names (single letters) and m/n/d/e, e.g. ``{"q": "bmhd", ...}``."""
    sizes = {**batch, "m": m, "n": n, "d": d, "e": e}
    domain = [*batch, *DIMS]
    names = ["q", "k", "v", *(["mask"] if mask else []), "o"]
    shapes = {x: tuple(sizes[c] for c in layouts[x]) for x in names}
    types = {x: _type(shapes[x], dtype) for x in ("q", "k", "v", "o")}
    if mask:
        types["mask"] = _type(shapes["mask"], mask)
    dims = ", ".join(domain)
    maps = ", ".join(f"affine_map<({dims}) -> ({', '.join(layouts[x])})>" for x in names)
    args = ", ".join(f"%{x}: {types[x]}" for x in names[:-1])
    mask_clause = f"mask(%mask : {types['mask']})" if mask else ""
    text = f"""
func.func @main({args}) -> {types["o"]} {{
  %e = tensor.empty() : {types["o"]}
  %r = tw.attention {"causal " if causal else ""}scale = {scale} indexing_maps = [{maps}]
     ins(%q, %k, %v : {types["q"]}, {types["k"]}, {types["v"]}) {mask_clause}
     outs(%e : {types["o"]}) -> {types["o"]}
  return %r : {types["o"]}
}}
"""
    return text, shapes


def _reference(q, k, v, layouts, batch, mask=None, causal=False, scale=0.125):
    """float64 attention through einsum over the layouts; rows that see no key are 0."""
    b = "".join(batch)
    s = np.einsum(f"{layouts['q']},{layouts['k']}->{b}mn", q.astype(np.float64), k.astype(np.float64)) * scale
    if mask is not None:
        mk = np.einsum(f"{layouts['mask']}->{''.join(c for c in b + 'mn' if c in layouts['mask'])}", mask)
        mk = np.expand_dims(mk, tuple(i for i, c in enumerate(b + "mn") if c not in layouts["mask"]))
        s = np.where(mk, s, -np.inf) if mask.dtype == bool else s + mk.astype(np.float64)
    if causal:
        m, n = s.shape[-2:]
        s = np.where(np.tril(np.ones((m, n), bool)), s, -np.inf)
    top = s.max(-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        p = np.exp(s - np.where(np.isfinite(top), top, 0))
        total = p.sum(-1, keepdims=True)
        p = np.where(total > 0, p / np.where(total > 0, total, 1), 0)
    out = np.einsum(f"{b}mn,{layouts['v']}->{b}me", p, v.astype(np.float64))
    return np.einsum(f"{b}me->{layouts['o']}", out)


def _run(batch, m, n, d, e, layouts, *, dtype=np.float32, mask=None, causal=False, seed=0):
    names = {np.float32: "f32", np.float16: "f16", ml_dtypes.bfloat16: "bf16"}
    mask_type = None if mask is None else ("i1" if mask.dtype == bool else "f32")
    text, shapes = _payload(batch, m, n, d, e, layouts, names[dtype], mask_type, causal)
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal(shapes[x]).astype(dtype) for x in "qkv")
    args = [q, k, v] + ([mask] if mask is not None else [])
    got = tilewright.compile(text)(*args)
    want = _reference(q, k, v, layouts, batch, mask, causal)
    return got, want, (q, k, v)


def _rel(got, want) -> float:
    return float(np.abs(got.astype(np.float64) - want).max() / max(np.abs(want).max(), 1e-30))


ONE_HEAD = {"q": "md", "k": "nd", "v": "ne", "o": "me"}


@pytest.mark.parametrize(
    "seq, dim, causal",
    [(1, 32, False), (7, 64, True), (97, 128, False), (1000, 64, True), (1023, 32, False), (1023, 128, True)],
)
def test_one_head_f32(seq, dim, causal):
    got, want, _ = _run({}, seq, seq, dim, dim, ONE_HEAD, causal=causal)
    assert not np.isnan(got).any()
    assert _rel(got, want) <= 1e-5


def test_key_transposed_and_filled_output():
    """Kᵀ stored (d, n), as the linalg stage materializes it for ``q @ k.T``, and an output made by a
    fill (JAX's init, ignored by the op): the named path without a transpose, the fill tiled."""
    text, shapes = _payload({}, 300, 260, 64, 32, {"q": "md", "k": "dn", "v": "ne", "o": "me"})
    text = text.replace(
        "%e = tensor.empty()",
        "%z = arith.constant 1.0 : f32\n  %e0 = tensor.empty() : tensor<300x32xf32>\n  %e = linalg.fill"
        " ins(%z : f32) outs(%e0 : tensor<300x32xf32>) -> tensor<300x32xf32>\n  %unused = tensor.empty()",
    )
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(shapes[x]).astype(np.float32) for x in "qkv")
    got = tilewright.compile(text)(q, k, v)
    want = _reference(q, k, v, {"q": "md", "k": "dn", "v": "ne", "o": "me"}, {})
    assert _rel(got, want) <= 1e-5


def test_long_causal_sequence():
    """4096 keys: several key blocks, half of them skipped; the result is exact to f32."""
    got, want, _ = _run({}, 4096, 4096, 64, 64, ONE_HEAD, causal=True)
    assert _rel(got, want) <= 1e-5


@pytest.mark.parametrize(
    "layout",
    [
        {"q": "bhmd", "k": "bhnd", "v": "bhne", "o": "bhme"},  # jnp.einsum over [batch, heads, seq, dim]
        {"q": "bmhd", "k": "bnhd", "v": "bnhe", "o": "bmhe"},  # dot_product_attention's [batch, seq, heads, dim]
    ],
)
def test_two_by_eight_heads(layout):
    got, want, _ = _run({"b": 2, "h": 8}, 97, 97, 64, 64, layout, causal=True)
    assert _rel(got, want) <= 1e-5


def test_grouped_query_attention():
    """8 query heads over 2 K/V heads: the group dim g is a batch dim K and V omit."""
    layout = {"q": "bmhgd", "k": "bnhd", "v": "bnhe", "o": "bmhge"}
    got, want, _ = _run({"b": 1, "h": 2, "g": 4}, 33, 65, 32, 32, layout)
    assert _rel(got, want) <= 1e-5


def test_padding_mask_with_fully_masked_rows():
    """An additive -inf padding mask that hides every key from some rows: those rows are 0, not NaN;
    JAX's finite mask value (a large negative) gives XLA's uniform average, as the reference."""
    m = n = 100
    bias = np.zeros((m, n), np.float32)
    bias[:, 60:] = -np.inf  # padded keys
    bias[90:, :] = -np.inf  # padded queries: no key at all
    layout = {**ONE_HEAD, "mask": "mn"}
    got, want, _ = _run({}, m, n, 32, 32, layout, mask=bias)
    assert not np.isnan(got).any()
    assert np.all(got[90:] == 0)
    assert _rel(got, want) <= 1e-5
    finite = np.where(np.isinf(bias), np.float32(-0.7 * np.finfo(np.float32).max), bias)
    got, want, _ = _run({}, m, n, 32, 32, layout, mask=finite)
    assert _rel(got, want) <= 1e-5
    assert np.allclose(got[95], got[95:].mean(0), rtol=1e-5)  # uniform over all keys, as XLA's


def test_boolean_mask_per_batch():
    layout = {"q": "bmd", "k": "bnd", "v": "bne", "mask": "bmn", "o": "bme"}
    keep = np.random.default_rng(1).random((2, 50, 70)) < 0.3
    keep[:, 7, :] = False
    got, want, _ = _run({"b": 2}, 50, 70, 32, 32, layout, mask=keep, causal=True)
    assert not np.isnan(got).any()
    assert _rel(got, want) <= 1e-5


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_half_precision_no_worse_than_xla(dtype):
    """f16/bf16 operands accumulate in f32: the error against float64 is at most XLA's own."""
    import jax
    import jax.numpy as jnp

    got, want, (q, k, v) = _run({}, 1000, 1000, 64, 64, ONE_HEAD, dtype=dtype, causal=True)

    def xla(q, k, v):
        s = (q @ k.T) * jnp.asarray(0.125, q.dtype)
        s = jnp.where(jnp.tril(jnp.ones(s.shape, bool)), s, -jnp.inf)
        return jax.nn.softmax(s, axis=-1) @ v

    theirs = np.asarray(jax.jit(xla)(q, k, v))
    assert _rel(got, want) <= max(_rel(theirs, want), 1e-3)


def test_default_schedule_flashes_long_causal_jax_attention(tmp_path):
    """JAX's causal attention at 2048 keys: the default schedule raises the chain to tw.attention and
    flashes it (a key loop bounded at the diagonal), and the result is XLA's."""
    import jax
    import jax.numpy as jnp

    def causal(q, k, v):
        s = q @ k.T * np.float32(0.125)
        s = jnp.where(jnp.tril(jnp.ones(s.shape, bool)), s, -jnp.inf)
        return jax.nn.softmax(s, axis=-1) @ v

    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2048, 64)).astype(np.float32) for _ in range(3))
    text = jax.jit(causal).lower(q, k, v).as_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the attention part applies, nothing falls back
        exe = tilewright.compile(text, dump_dir=tmp_path)
    scheduled = next(tmp_path.glob("*scheduled*")).read_text()
    assert "arith.minsi" in scheduled and "step %c128" in scheduled  # key blocks, ended at the diagonal
    assert "2048x2048" not in next(tmp_path.glob("*bufferized*")).read_text()
    got = exe(q, k, v)
    want = np.asarray(jax.jit(causal)(q, k, v))
    assert _rel(got, want) <= 1e-5


def test_chain_the_raise_leaves_stays_row_fused():
    """A long causal chain tw-raise-attention does not take (softmax without its max: exp(s) / sum):
    the default schedule keeps it row-fused, with no fallback warning, and XLA's result."""
    import jax
    import jax.numpy as jnp

    def unstable(q, k, v):
        s = q @ k.T * np.float32(0.125)
        p = jnp.where(jnp.tril(jnp.ones(s.shape, bool)), jnp.exp(s), 0.0)
        return (p / p.sum(-1, keepdims=True)) @ v

    rng = np.random.default_rng(6)
    q, k, v = (0.3 * rng.standard_normal((2048, 64)).astype(np.float32) for _ in range(3))
    text = jax.jit(unstable).lower(q, k, v).as_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exe = tilewright.compile(text)
    assert _rel(exe(q, k, v), np.asarray(jax.jit(unstable)(q, k, v))) <= 1e-5


@pytest.mark.parametrize("schedule", ["none", "default"])
def test_raised_attention_under_any_schedule(schedule):
    """With ``raise_attention`` JAX's chain is tw.attention from the linalg stage on: the default
    schedule flashes it (row-fused form at 300 keys), ``none`` leaves it to tw-decompose-attention
    before bufferization; both give XLA's result."""
    import jax

    def attention(q, k, v):
        return jax.nn.softmax(q @ k.T * np.float32(0.125), axis=-1) @ v

    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((300, 32)).astype(np.float32) for _ in range(3))
    text = jax.jit(attention).lower(q, k, v).as_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exe = tilewright.compile(text, schedule=None if schedule == "default" else schedule, raise_attention=True)
    assert _rel(exe(q, k, v), np.asarray(jax.jit(attention)(q, k, v))) <= 1e-5


def _users_attention(q, k, v):
    """Attention as users write it on f16/bf16 arrays: JAX exports P·V as a generic with extf."""
    import jax

    s = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    return jax.nn.softmax(s, -1) @ v


@pytest.mark.parametrize(
    ("dtype", "shape", "repeat"),
    [
        (np.float16, (1, 2, 97, 64), 1),
        (ml_dtypes.bfloat16, (2, 1, 1000, 32), 1),
        (np.float16, (1, 4, 7, 64), 2),  # GQA by jnp.repeat
    ],
    ids=["f16-97", "bf16-1000", "f16-gqa-7"],
)
def test_default_schedule_flashes_narrow_attention_as_users_write_it(tmp_path, dtype, shape, repeat):
    """The CPU default raises the chains only the C++ matcher reads (no ``raise_attention`` flag) and
    flashes them: the scores are never materialized (they were, tiled alone: 178 s to compile f16 at
    1x2x1024x64), nothing falls back, and the error against f32 is at most XLA's own."""
    import jax
    import jax.numpy as jnp

    def fn(q, k, v):
        if repeat > 1:
            k, v = jnp.repeat(k, repeat, axis=1), jnp.repeat(v, repeat, axis=1)
        return _users_attention(q, k, v)

    rng = np.random.default_rng(8)
    kv = (shape[0], shape[1] // repeat, *shape[2:])
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in (shape, kv, kv))
    text = jax.jit(fn).lower(q, k, v).as_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the raised part applies, nothing falls back
        exe = tilewright.compile(text, dump_dir=tmp_path, threads=1)
    seq = shape[2]
    assert "transform.tw.raise_attention" in next(tmp_path.glob("*scheduled.transform*")).read_text()
    # The flash blocks of keys are seq x seq at most: no scores over the heads.
    assert not re.search(rf"\dx{seq}x{seq}x", next(tmp_path.glob("*bufferized*")).read_text())
    got = np.asarray(exe(q, k, v), np.float64)
    exact = np.asarray(jax.jit(fn)(*(a.astype(np.float32) for a in (q, k, v))), np.float64)
    xla = np.asarray(jax.jit(fn)(q, k, v), np.float64)
    assert np.abs(got - exact).max() <= np.abs(xla - exact).max()
