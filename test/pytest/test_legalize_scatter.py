"""stablehlo.scatter (x.at[i].set/add/mul/min/max, lax.scatter*) compiled by tilewright vs jax.jit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of

UPDATES = {
    "set": lambda x, i, u: x.at[i].set(u),
    "add": lambda x, i, u: x.at[i].add(u),
    "mul": lambda x, i, u: x.at[i].multiply(u),
    "min": lambda x, i, u: x.at[i].min(u),
    "max": lambda x, i, u: x.at[i].max(u),
}


def _check(fn, *args, rtol=1e-5, atol=1e-5):
    assert "stablehlo.scatter" in stablehlo_of(fn, *args)
    exe = tilewright.compile(stablehlo_of(fn, *args))
    before = [np.copy(a) for a in args]
    got = exe(*args)
    for a, b in zip(args, before, strict=True):  # updates happen in copies, never in the caller's arrays
        np.testing.assert_array_equal(a, b)
    assert_matches_jax(got, fn, *args, rtol=rtol, atol=atol)


@pytest.mark.parametrize("kind", sorted(UPDATES))
@pytest.mark.parametrize("n,k", [(1, 1), (7, 13), (97, 5)])
def test_vector_updates_with_duplicates(rng, kind, n, k):
    x = rng.standard_normal(n).astype(np.float32)
    i = rng.integers(0, n, size=k).astype(np.int32)  # k > n forces duplicates
    u = rng.standard_normal(k).astype(np.float32)
    if kind == "set":
        i = np.unique(i)  # XLA leaves the winner of duplicate sets unspecified
        u = u[: len(i)]
    _check(UPDATES[kind], x, i, u)


@pytest.mark.parametrize("kind", ["set", "add", "max"])
def test_row_updates_2d(rng, kind):
    x = rng.standard_normal((7, 97)).astype(np.float32)
    i = np.array([6, 0, 3] if kind == "set" else [6, 0, 6, 3], np.int32)
    u = rng.standard_normal((len(i), 97)).astype(np.float32)
    _check(UPDATES[kind], x, i, u)


def test_point_updates_2d_int(rng):
    x = rng.integers(-50, 50, (13, 7)).astype(np.int32)
    rows = np.array([0, 12, 5, 5, 12], np.int32)
    cols = np.array([6, 0, 3, 3, 0], np.int32)
    u = rng.integers(-9, 9, 5).astype(np.int32)
    _check(lambda x, r, c, u: x.at[r, c].add(u), x, rows, cols, u)


def test_out_of_bounds_updates_are_dropped(rng):
    x = rng.standard_normal(7).astype(np.float32)
    i = np.array([-9, 2, 7, 100, 6], np.int32)
    u = np.arange(5, dtype=np.float32) + 1
    _check(lambda x, i, u: x.at[i].add(u, mode="drop"), x, i, u)


def test_slice_window_partially_out_of_bounds_is_skipped(rng):
    x = rng.standard_normal((1000,)).astype(np.float32)
    i = np.array([[0], [998], [500]], np.int32)  # the window at 998 does not fit: XLA skips it entirely
    u = rng.standard_normal((3, 3)).astype(np.float32)
    dn = jax.lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,)
    )
    _check(lambda x, i, u: jax.lax.scatter_add(x, i, u, dn), x, i, u)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float64, np.bool_])
def test_element_types(rng, dtype):
    # Booleans half true, half false: max (logical or) must differ from set and from leaving x.
    x = (rng.random(97) < 0.5) if dtype == np.bool_ else rng.integers(0, 100, 97).astype(dtype)
    i = rng.integers(0, 97, 13).astype(np.int32)
    u = (rng.random(13) < 0.5) if dtype == np.bool_ else rng.integers(0, 100, 13).astype(dtype)
    if dtype == np.bool_:
        assert (x[i] & ~u).any() and (~x[i] & u).any(), "updates that keep x and updates that change it"
    _check(UPDATES["max"], x, i, u)


def test_unsigned_indices(rng):
    x = rng.standard_normal(7).astype(np.float32)
    i = np.array([6, 0, 6], np.uint32)
    u = rng.standard_normal(3).astype(np.float32)
    _check(UPDATES["add"], x, i, u)


def test_batched_scatter_vmap(rng):
    x = rng.standard_normal((5, 7)).astype(np.float32)
    i = rng.integers(0, 7, (5, 3)).astype(np.int32)
    u = rng.standard_normal((5, 3)).astype(np.float32)
    _check(jax.vmap(UPDATES["add"]), x, i, u)


def test_scatter_in_a_bigger_program(rng):
    def f(x, i, u):
        y = jnp.tanh(x).at[i].add(u * 2)
        return y.sum(axis=0), y

    x = rng.standard_normal((13, 7)).astype(np.float32)
    i = np.array([1, 12, 1], np.int32)
    u = rng.standard_normal((3, 7)).astype(np.float32)
    _check(f, x, i, u)


# An argmax scatter (JAX has no variadic scatter to export): two operands, values and their tags,
# updated together by one body that compares the values and selects both, between other ops.
VARIADIC = """
func.func @main(%x: tensor<97xf32>, %tags: tensor<97xTAG>, %i: tensor<13x1xi32>, %u: tensor<13xf32>, %v: tensor<13xTAG>)
    -> (tensor<f32>, tensor<97xf32>, tensor<97xTAG>) {
  %t = stablehlo.tanh %x : tensor<97xf32>
  %0:2 = "stablehlo.scatter"(%t, %tags, %i, %u, %v) <{scatter_dimension_numbers = #stablehlo.scatter<
      inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<TAG>, %c: tensor<f32>, %d: tensor<TAG>):
    %gt = stablehlo.compare GT, %c, %a : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %m = stablehlo.select %gt, %c, %a : tensor<i1>, tensor<f32>
    %n = stablehlo.select %gt, %d, %b : tensor<i1>, tensor<TAG>
    stablehlo.return %m, %n : tensor<f32>, tensor<TAG>
  }) : (tensor<97xf32>, tensor<97xTAG>, tensor<13x1xi32>, tensor<13xf32>, tensor<13xTAG>)
      -> (tensor<97xf32>, tensor<97xTAG>)
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %sum = stablehlo.reduce(%0#0 init: %zero) applies stablehlo.add across dimensions = [0]
      : (tensor<97xf32>, tensor<f32>) -> tensor<f32>
  return %sum, %0#0, %0#1 : tensor<f32>, tensor<97xf32>, tensor<97xTAG>
}
"""


@pytest.mark.parametrize(("tag", "dtype"), [("i32", np.int32), ("f32", np.float32)])
def test_variadic_scatter_in_a_bigger_program(rng, tag, dtype):
    x = rng.standard_normal(97).astype(np.float32)
    tags = np.arange(97).astype(dtype)
    i = np.concatenate([[5, 96, 0], rng.integers(0, 97, 10)]).astype(np.int32).reshape(13, 1)
    i[3:6] = 5  # duplicates: the largest of several updates wins, with its own tag
    u = rng.standard_normal(13).astype(np.float32) * 2
    v = (1000 + np.arange(13)).astype(dtype)
    got_sum, got_x, got_tags = tilewright.compile(VARIADIC.replace("TAG", tag))(x, tags, i, u, v)
    want_x, want_tags = np.tanh(x.astype(np.float64)).astype(np.float32), tags.copy()
    for k, j in enumerate(i[:, 0]):
        if u[k] > want_x[j]:
            want_x[j], want_tags[j] = u[k], v[k]
    assert (want_tags >= 1000).sum() >= 4, "the updates should win at several positions"
    np.testing.assert_allclose(got_x, want_x, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(got_tags, want_tags)
    np.testing.assert_allclose(got_sum, want_x.astype(np.float64).sum(), rtol=1e-5)
