"""Prefix scans (jnp.cumsum, cumprod, lax.cummax, cummin, cumlogsumexp): reduce_window over a whole
dimension lowered as an O(n) scan (tilewright.ingress.legalize.scan), vs jax.jit.

Tolerances: max/min and integers are exact. Float sums, products and logaddexps associate
differently from XLA (which rewrites the window as a tree of blocks; the scan runs in window
order, by a tree within blocks of 16 f32 / 8 f64 along the last dimension, and from the right
when reversed), so they agree to rounding: |got - xla| <= tol * (|xla| + prefix sum of |x|),
tol 2e-5 for float32 and 1e-12 for float64, at n up to 1000.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import stablehlo_of

SCANS = {
    "cumsum": lax.cumsum,
    "cumprod": lax.cumprod,
    "cummax": lax.cummax,
    "cummin": lax.cummin,
    "cumlogsumexp": lax.cumlogsumexp,
}

# (shape, axis): n = 1, 7, 97, 1000; 1-D, 2-D along both axes, 3-D along the middle axis. Rows wider
# than a block (7x97 axis 0, 3x97x70 axis 1) take the row-by-row form; narrower ones carry a vector.
CASES = [
    ((1,), 0),
    ((7,), 0),
    ((1000,), 0),
    ((97, 7), 0),
    ((97, 7), 1),
    ((7, 97), 0),
    ((7, 1000), 1),
    ((1000, 3), 0),
    ((3, 97, 5), 1),
    ((3, 97, 70), 1),
    ((2, 1, 7), 1),
    ((1, 7), 0),
]


def _inputs(rng: np.random.Generator, name: str, dtype: type) -> list[np.ndarray]:
    xs = []
    for shape, _ in CASES:
        if np.issubdtype(dtype, np.integer):
            x = rng.integers(-3, 4, shape)
        elif name == "cumprod":
            x = rng.uniform(0.9, 1.1, shape)  # products of 1000 stay in range
        else:
            x = rng.standard_normal(shape) * 3
        xs.append(x.astype(dtype))
    return xs


def _check(got: np.ndarray, expected: np.ndarray, x: np.ndarray, axis: int, reverse: bool) -> None:
    assert got.shape == expected.shape and got.dtype == expected.dtype, (got.dtype, expected.dtype)
    if not np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_array_equal(got, expected)
        return
    tol = 2e-5 if expected.dtype == np.float32 else 1e-12
    a = np.flip(np.abs(x), axis) if reverse else np.abs(x)
    scale = np.cumsum(a.astype(np.float64), axis=axis)
    scale = np.flip(scale, axis) if reverse else scale
    bound = tol * (np.abs(expected.astype(np.float64)) + scale)
    err = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    assert np.all((err <= bound) | (got == expected)), f"max error {err.max():g}, bound {bound.min():g}"


def _program(name: str, reverse: bool):
    scan = SCANS[name]
    return lambda *xs: tuple(scan(x, axis=axis, reverse=reverse) for x, (_, axis) in zip(xs, CASES, strict=True))


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize(
    "name,dtype",
    [(n, d) for n in SCANS for d in (np.float32, np.float64, np.int32) if not (n == "cumlogsumexp" and d == np.int32)],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_scan_matches_jax(rng, name, dtype, reverse):
    xs = _inputs(rng, name, dtype)
    fn = _program(name, reverse)
    exe = tilewright.compile(stablehlo_of(fn, *xs))
    linalg = exe.compilation.artifacts["linalg"]
    # Every case with n > 1 is a scan: no padded copy, no window loop (n = 1 is elementwise).
    assert "tensor.pad" not in linalg and '"reduction"' not in linalg
    assert linalg.count("vector.transfer_write") >= sum(shape[axis] > 1 for shape, axis in CASES)
    for got, expected, x, (_, axis) in zip(exe(*xs), jax.jit(fn)(*xs), xs, CASES, strict=True):
        _check(got, np.asarray(expected), x, axis, reverse)


def test_large_cumsum_is_a_scan_and_matches(rng):
    """1024x1024 along both axes: what was O(n^2) (pooling over a padded copy) is one pass."""
    x = rng.standard_normal((1024, 1024)).astype(np.float32)
    for axis in (0, 1):
        fn = lambda x, axis=axis: jnp.cumsum(x, axis=axis)  # noqa: E731
        exe = tilewright.compile(stablehlo_of(fn, x))
        assert "vector.transfer_write" in exe.compilation.artifacts["linalg"]
        _check(exe(x), np.asarray(jax.jit(fn)(x)), x, axis, False)


def test_special_values(rng):
    """-inf (logaddexp of two equal infinities: the x + y branch), NaN propagation in max/min."""
    x = rng.standard_normal((5, 37)).astype(np.float32)
    x[:, :3] = -np.inf
    x[1, 20] = np.inf
    y = rng.standard_normal((37, 5)).astype(np.float32)
    y[10, 2] = np.nan

    def fn(x, y):
        return (
            lax.cumlogsumexp(x, axis=1),
            lax.cumlogsumexp(x, axis=1, reverse=True),
            lax.cummax(y, axis=0),
            lax.cummin(y, axis=0, reverse=True),
            lax.cummax(x, axis=1),
        )

    got = tilewright.compile(stablehlo_of(fn, x, y))(x, y)
    for g, e in zip(got, jax.jit(fn)(x, y), strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=2e-5, atol=2e-5)  # NaN == NaN, inf == inf


def test_unsigned_and_narrow_integers(rng):
    """Unsigned max/min compare unsigned (values past 2^31); uint8/int8 sums and products wrap like XLA's."""
    big = rng.integers(0, 2**32, (9, 40), dtype=np.uint64).astype(np.uint32)
    small = rng.integers(0, 256, (40, 9), dtype=np.int64).astype(np.uint8)
    signed = rng.integers(-128, 128, (3, 40, 2), dtype=np.int64).astype(np.int8)

    def fn(big, small, signed):
        return (
            lax.cummax(big, axis=1),
            lax.cummin(big, axis=0, reverse=True),
            lax.cumsum(small, axis=0),
            lax.cumprod(small, axis=1),
            lax.cummin(signed, axis=1),
            lax.cumsum(signed, axis=1, reverse=True),
        )

    got = tilewright.compile(stablehlo_of(fn, big, small, signed))(big, small, signed)
    for g, e in zip(got, jax.jit(fn)(big, small, signed), strict=True):
        assert g.dtype == np.asarray(e).dtype
        np.testing.assert_array_equal(g, np.asarray(e))


def test_two_scans_of_one_type_keep_their_own_outputs(rng):
    """Two scans with outputs of one type (one tensor.empty after CSE) in one function, with a matmul."""
    x = rng.standard_normal((33, 20)).astype(np.float32)

    def fn(x):
        s = jnp.cumsum(x, axis=0)
        return s, lax.cummax(x, axis=0), jnp.tanh(s @ x.T)

    exe = tilewright.compile(stablehlo_of(fn, x))
    for g, e in zip(exe(x), jax.jit(fn)(x), strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=2e-5, atol=2e-4)


def test_scan_in_a_scheduled_module(rng):
    """The scan's loops hold no linalg op: the default schedule still schedules the matmul around it."""
    x = rng.standard_normal((64, 64)).astype(np.float32)

    def fn(x, w):
        return jnp.cumsum(jnp.tanh(x @ w), axis=1) + 1.0

    exe = tilewright.compile(stablehlo_of(fn, x, x))
    scheduled = exe.compilation.artifacts["scheduled"]
    assert "linalg.matmul" not in scheduled and "vector.fma" in scheduled  # the microkernel
    np.testing.assert_allclose(exe(x, x), np.asarray(jax.jit(fn)(x, x)), rtol=2e-5, atol=2e-4)


def test_not_scans_keep_the_window_lowering(rng):
    """A window shorter than the dimension, or an init that is not the identity (whose result depends on
    where it is counted: XLA's tree counts it once per level), is pooling over a padded copy as before."""
    x = rng.standard_normal((4, 37)).astype(np.float32)

    def sliding(x):
        return lax.reduce_window(x, np.float32(0), lax.add, (1, 3), (1, 1), ((0, 0), (2, 0)))

    def not_identity(x):
        return lax.reduce_window(x, np.float32(1), lax.add, (1, 37), (1, 1), ((0, 0), (36, 0)))

    for fn in (sliding, not_identity):
        exe = tilewright.compile(stablehlo_of(fn, x))
        linalg = exe.compilation.artifacts["linalg"]
        assert "vector.transfer_write" not in linalg and "tensor.pad" in linalg
    np.testing.assert_allclose(exe(x), np.cumsum(x, axis=1) + np.arange(37, 0, -1), rtol=1e-5, atol=1e-4)  # spec
    exe = tilewright.compile(stablehlo_of(sliding, x))
    np.testing.assert_allclose(exe(x), np.asarray(jax.jit(sliding)(x)), rtol=1e-5, atol=1e-5)
