"""Gathers of rows and their gradients (``jax.grad`` of ``x[idx]``, ``jnp.take``,
``take_along_axis``) vs JAX.

Row gathers take the row-copy path of ``ingress/legalize/gather.py``; the gradients' scatter-adds
the whole-window path of ``ingress/legalize/scatter.py`` (a row or an element per index, combined
as one elementwise op). Odd table sizes, widths that fill no vector (1, 5, 130), duplicate tokens
(their rows accumulate) and out-of-range tokens (dropped or clamped as JAX's mode says).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of

ROWS = [1, 7, 97]
WIDTHS = [1, 5, 130]


def _check(fn, *args, op: str = "stablehlo.scatter"):
    text = stablehlo_of(fn, *args)
    assert op in text
    assert_matches_jax(tilewright.compile(text)(*args), fn, *args)


def _tokens(rng, rows: int, shape: tuple[int, ...], low: int = 0, high: int | None = None) -> np.ndarray:
    """Token ids in ``[low, high)`` with every row of a small table hit more than once."""
    return rng.integers(low, rows if high is None else high, shape).astype(np.int32)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("rows", ROWS)
def test_grad_of_embedding_lookup(rng, rows, width):
    """``jax.grad`` of a loss of ``table[tokens]`` over a grid of tokens (the zoo's train step)."""
    table = rng.standard_normal((rows, width)).astype(np.float32)
    tokens = _tokens(rng, rows, (3, 11))  # 33 tokens: duplicates at every size
    weight = rng.standard_normal(width).astype(np.float32)

    def loss(table, tokens):
        return jnp.sum(jnp.tanh(table[tokens].mean(axis=1)) * weight)

    _check(jax.grad(loss), table, tokens)


@pytest.mark.parametrize("mode", ["fill", "clip"])
@pytest.mark.parametrize("width", WIDTHS)
def test_grad_of_take_with_out_of_range_tokens(rng, width, mode):
    """``jnp.take`` with tokens past both ends: ``fill`` drops their gradient, ``clip`` sends it
    to the first or last row."""
    rows = 7
    table = rng.standard_normal((rows, width)).astype(np.float32)
    tokens = np.array([0, 6, -3, 7, 100, 2, 2, -1, 6], np.int32)
    scale = rng.standard_normal((len(tokens), width)).astype(np.float32)

    def loss(table, tokens):
        return jnp.sum(jnp.sin(jnp.take(table, tokens, axis=0, mode=mode)) * scale)

    _check(jax.grad(loss), table, tokens)


@pytest.mark.parametrize("width", WIDTHS)
def test_grad_of_negative_indices(rng, width):
    """``x[idx]`` with negative indices (counted from the end) and duplicates."""
    table = rng.standard_normal((97, width)).astype(np.float32)
    tokens = np.array([[-1, 0, 96], [-97, 5, -1]], np.int32)

    def loss(table, tokens):
        return jnp.sum(table[tokens] ** 2)

    _check(jax.grad(loss), table, tokens)


@pytest.mark.parametrize("classes", [1, 7, 130])
def test_grad_of_take_along_axis(rng, classes):
    """Cross-entropy's ``take_along_axis`` (one element per row: a batched scalar scatter)."""
    logits = rng.standard_normal((97, classes)).astype(np.float32)
    labels = _tokens(rng, classes, (97,))

    def loss(logits, labels):
        logp = jax.nn.log_softmax(logits, axis=-1)
        return -jnp.take_along_axis(logp, labels[:, None], axis=-1).mean()

    _check(jax.grad(loss), logits, labels)


@pytest.mark.parametrize("width", [5, 130])
def test_row_scatter_add_drops_out_of_range_rows(rng, width):
    """``x.at[i].add(rows, mode="drop")``: rows past either end change nothing, duplicates add up."""
    x = rng.standard_normal((7, width)).astype(np.float32)
    i = np.array([6, 7, 0, -1, 6, 100, 3], np.int32)
    u = rng.standard_normal((len(i), width)).astype(np.float32)
    _check(lambda x, i, u: x.at[i].add(u, mode="drop"), x, i, u)


@pytest.mark.parametrize("rows", ROWS)
def test_row_scatter_of_integer_blocks(rng, rows):
    """2-D windows of integers combined whole (``max``), on a 3-D operand."""
    x = rng.integers(-50, 50, (rows, 3, 5)).astype(np.int32)
    i = _tokens(rng, rows, (9,))
    u = rng.integers(-50, 50, (9, 3, 5)).astype(np.int32)
    _check(lambda x, i, u: x.at[i].max(u), x, i, u)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("rows", ROWS)
def test_embedding_lookup(rng, rows, width):
    """``table[tokens]`` over a grid of tokens, negative ones counted from the end, then a mean."""
    table = rng.standard_normal((rows, width)).astype(np.float32)
    tokens = _tokens(rng, rows, (3, 11), low=-rows)
    _check(lambda t, i: (t[i], t[i].mean(axis=1)), table, tokens, op="stablehlo.gather")


@pytest.mark.parametrize("mode", ["fill", "clip"])
def test_take_with_out_of_range_tokens(rng, mode):
    """``jnp.take`` past both ends: ``clip`` clamps the row, ``fill`` gives NaN rows."""
    table = rng.standard_normal((7, 130)).astype(np.float32)
    tokens = np.array([0, 6, -3, 7, 100, 2, 2, -1, 6], np.int32)
    _check(lambda t, i: jnp.take(t, i, axis=0, mode=mode), table, tokens, op="stablehlo.gather")


def test_gather_of_trailing_rows_by_two_indices(rng):
    """``x[i, j]`` on a 3-D array of bytes: two start indices, each slice a contiguous row."""
    x = rng.integers(0, 255, (7, 5, 97)).astype(np.uint8)
    i = rng.integers(0, 7, 11).astype(np.int32)
    j = rng.integers(0, 5, 11).astype(np.int32)
    _check(lambda x, i, j: x[i, j], x, i, j, op="stablehlo.gather")


@pytest.mark.parametrize("rows", [2, 7, 97])
def test_column_scatter_add(rng, rows):
    """``x.at[:, i].add(cols)``: strided windows, element by element (a sliced column was once
    written along a row)."""
    x = rng.standard_normal((rows, 5)).astype(np.float32)
    i = np.array([0, 4, 2, 4], np.int32)
    u = rng.standard_normal((rows, len(i))).astype(np.float32)
    _check(lambda x, i, u: x.at[:, i].add(u), x, i, u)


@pytest.mark.parametrize("width", [5, 130])
def test_row_scatter_add_of_broadcast_rows(rng, width):
    """Update rows that are broadcasts: of one row (read from the broadcast's operand, every
    index the same row), of a 1-row matrix (a broadcast unit dim: offset 0), and of one column
    per index (broadcast along the window: the broadcast is used as it is)."""
    x = rng.standard_normal((7, width)).astype(np.float32)
    i = np.array([6, 0, 6, 3, 2, 6], np.int32)
    v = rng.standard_normal(width).astype(np.float32)
    c = rng.standard_normal((len(i), 1)).astype(np.float32)

    def f(x, i, v, c):
        k = len(i)
        return (
            x.at[i].add(jnp.broadcast_to(v, (k, width))),
            x.at[i].add(jnp.broadcast_to(v[None, :] * 2, (k, width))),
            x.at[i].add(jnp.broadcast_to(c, (k, width))),
        )

    _check(f, x, i, v, c)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("rows", ROWS)
def test_embedding_bag_mean(rng, rows, width):
    """``table[tokens].mean(axis=1)``: the gather's only use sums over a token dim, so rows are
    added into the result as they are gathered (duplicates and negative tokens included)."""
    table = rng.standard_normal((rows, width)).astype(np.float32)
    tokens = _tokens(rng, rows, (3, 11), low=-rows)
    _check(lambda t, i: t[i].mean(axis=1), table, tokens, op="stablehlo.gather")


def test_embedding_bag_sums_of_integers_over_two_dims(rng):
    """Sums over both token dims of a 3-D token grid, and over the first only, with an init."""
    table = rng.integers(-99, 99, (97, 5)).astype(np.int32)
    tokens = _tokens(rng, 97, (4, 3, 7))

    def f(t, i):
        return t[i].sum(axis=(0, 2)), lax.reduce(t[i], np.int32(5), lax.add, (0,))

    _check(f, table, tokens, op="stablehlo.gather")


def test_embedding_bag_not_a_sum(rng):
    """A maximum over tokens and a sum over the row dim still gather the rows first."""
    table = rng.standard_normal((7, 130)).astype(np.float32)
    tokens = _tokens(rng, 7, (3, 11))
    _check(lambda t, i: (t[i].max(axis=1), t[i * 1].sum(axis=2)), table, tokens, op="stablehlo.gather")


# x.at[0].add(u) with the index as a plain constant (JAX broadcasts a scalar constant instead, which
# legalization does not fold): the single position's loop folds away.
ONE_POSITION = """
func.func @main(%x: tensor<ROWSx130xf32>, %u: tensor<WINDOWxf32>) -> tensor<ROWSx130xf32> {
  %i = stablehlo.constant dense<0> : tensor<1xi64>
  %0 = "stablehlo.scatter"(%x, %i, %u) <{scatter_dimension_numbers = #stablehlo.scatter<
      update_window_dims = [0], inserted_window_dims = [INSERTED], scatter_dims_to_operand_dims = [INSERTED]>,
      unique_indices = true}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<ROWSx130xf32>, tensor<1xi64>, tensor<WINDOWxf32>) -> tensor<ROWSx130xf32>
  return %0 : tensor<ROWSx130xf32>
}
"""


@pytest.mark.parametrize("rows", [1, 3, 97])
@pytest.mark.parametrize("what", ["row", "column"])
def test_scatter_at_one_constant_position(rng, rows, what):
    """One update at constant index 0 (a row, or the first column): the rest of the operand is
    kept (a row written at offsets 0 out of place was once taken for a write of the whole operand,
    and the copy of the operand dropped)."""
    window, inserted = (130, 0) if what == "row" else (rows, 1)
    text = ONE_POSITION.replace("ROWS", str(rows)).replace("WINDOW", str(window)).replace("INSERTED", str(inserted))
    x = rng.standard_normal((rows, 130)).astype(np.float32)
    u = rng.standard_normal(window).astype(np.float32)
    expected = x.copy()
    if what == "row":
        expected[0] += u
    else:
        expected[:, 0] += u
    np.testing.assert_allclose(tilewright.compile(text)(x, u), expected, rtol=1e-6)
