"""Vector exp (``tw-approximate-vector-math``) and tanh (upstream's, through the C++ extension's
``tw-math-approximation``) polynomials against float64 numpy.

The default schedule vectorizes these elementwise ops, so the compiled code uses
the polynomials, not libm (checked on the LLVM dialect stage). Errors are
measured in ulps of the float32 result over the whole finite range, plus the
special values: overflow to inf, underflow through the subnormals to 0, NaN.
"""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright import extension

SPECIAL = np.array(
    [
        *(0.0, -0.0, 1e-30, -1e-30, 1e-8, -3e-4, 0.6249, 0.6251, -0.625, 9.0, -9.0),
        *(88.72, 88.73, 100.0, -87.3, -95.0, -103.9, -104.5, np.inf, -np.inf, np.nan),
    ],
    dtype=np.float32,
)


def inputs(rows: int, cols: int, low: float, high: float) -> np.ndarray:
    grid = np.linspace(low, high, rows * cols - SPECIAL.size, dtype=np.float32)
    return np.concatenate([grid, SPECIAL]).reshape(rows, cols)


def ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of the float32 spacing at ``want`` (normal results only)."""
    f32 = np.finfo(np.float32)
    normal = (np.abs(want) >= f32.tiny) & (np.abs(want) <= f32.max)
    spacing = np.spacing(np.abs(want[normal]).astype(np.float32)).astype(np.float64)
    return np.abs(got[normal].astype(np.float64) - want[normal]) / spacing


def assert_polynomial(exe: tilewright.Executable, name: str) -> None:
    """The schedule vectorized ``math.<name>`` on f32 and the LLVM dialect has the FMA polynomial instead.

    Without ``tw-approximate-vector-math``, MLIR 22 lowers the vector op to ``llvm.intr.<name>``, which
    LLVM scalarizes into one libm call per element (tanh's polynomial has an exp inside).
    """
    artifacts = exe.compilation.artifacts
    assert re.search(rf"math\.{name} %\S+ : vector<[0-9x]+xf32>", str(artifacts["bufferized"])), "not vectorized"
    llvm = str(artifacts["llvm-dialect"])
    for intrinsic in {name, "exp"}:
        assert f"llvm.intr.{intrinsic}" not in llvm, f"the vector {name} still lowers to llvm.intr.{intrinsic}"
    assert re.search(r"llvm\.intr\.fma\(.*\) : \(vector<", llvm), "no vector FMA polynomial"


@pytest.mark.parametrize(
    ("name", "fn", "ref", "low", "high", "max_ulp"),
    [
        ("exp", jnp.exp, np.exp, -110.0, 95.0, 2.0),
        # Upstream's (Eigen's) rational tanh, as XLA: 4.24 ulp over every 512th float32.
        pytest.param(
            "tanh",
            jnp.tanh,
            np.tanh,
            -12.0,
            12.0,
            5.0,
            marks=pytest.mark.skipif(not extension.available(), reason="the C++ extension is not built"),
        ),
    ],
)
@pytest.mark.parametrize("shape", [(7, 97), (1000, 64)])
def test_vector_math_matches_float64(name, fn, ref, low, high, max_ulp, shape):
    x = inputs(*shape, low, high)
    exe = tilewright.compile(stablehlo_of(fn, x))
    assert_polynomial(exe, name)
    got = exe(x)
    with np.errstate(over="ignore"):
        want = ref(x.astype(np.float64))
    assert ulp_error(got, want).max() <= max_ulp
    want32 = want.astype(np.float32) if name == "tanh" else np.where(want > np.finfo(np.float32).max, np.inf, want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want32))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want32))
    # Results below the normal range: subnormals, then 0 (never garbage or negative).
    tiny = np.isfinite(want) & (np.abs(want) < np.finfo(np.float32).tiny)
    np.testing.assert_allclose(got[tiny], want[tiny], rtol=0, atol=2e-45)


def test_softmax_rows_sum_to_one():
    """Softmax as JAX exports it (max, exp, sum, divide) with the polynomial exp, at an odd shape."""
    x = np.random.default_rng(0).standard_normal((97, 1000)).astype(np.float32) * 30

    def softmax(v):
        e = jnp.exp(v - v.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    exe = tilewright.compile(stablehlo_of(softmax, x))
    assert_polynomial(exe, "exp")
    got = exe(x)
    e = np.exp((x - x.max(-1, keepdims=True)).astype(np.float64))  # the subtraction rounds in f32 too
    want = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(got.sum(-1, dtype=np.float64), 1.0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-30)
