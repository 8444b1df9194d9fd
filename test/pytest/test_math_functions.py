"""Vector math without libm: programs from JAX (GELU, log-softmax, RoPE) against JAX at odd sizes,
and each polynomial the CPU lowering picks against a float64 reference within the ulp bound README
documents ("Vector math"): sin/cos (own), erf and log (upstream's, through the C++ extension's
``tw-math-approximation``), tanh (upstream's).

Each vectorized function must reach the LLVM dialect as FMAs on vectors, with no intrinsic LLVM
would scalarize into one libm call per element.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

import pytest
import tilewright
from conftest import assert_matches_jax, stablehlo_of
from tilewright import extension

needs_extension = pytest.mark.skipif(not extension.available(), reason="the C++ extension is not built")


def ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in ulps of the float32 result (subnormal results: ulps of 2^-149)."""
    want32 = want.astype(np.float32)
    return np.abs(got.astype(np.float64) - want) / np.spacing(np.abs(want32)).astype(np.float64)


def elementwise(name: str, rows: int, cols: int) -> str:
    """``math.<name>`` on f32 as a linalg elementwise op (the default schedule vectorizes it)."""
    t = f"tensor<{rows}x{cols}xf32>"
    return f"""
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: {t}) -> {t} {{
  %e = tensor.empty() : {t}
  %r = linalg.generic {{indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}}
      ins(%x : {t}) outs(%e : {t}) {{
  ^bb0(%a: f32, %b: f32):
    %y = math.{name} %a : f32
    linalg.yield %y : f32
  }} -> {t}
  return %r : {t}
}}
"""


def assert_no_libm(exe: tilewright.Executable, *names: str) -> None:
    """The vector ops became FMA polynomials: no ``llvm.intr.<name>`` on vectors, no call to ``<name>f``."""
    llvm = str(exe.compilation.artifacts["llvm-dialect"])
    for name in names:
        assert not re.search(rf"llvm\.intr\.{name}\(.*\) : \(vector<", llvm), f"vector {name} left to LLVM (libm)"
        assert f"@{name}f(" not in llvm, f"{name}f called"
    assert re.search(r"llvm\.intr\.fma\(.*\) : \(vector<", llvm), "no vector FMA polynomial"


# ---- programs from JAX ----------------------------------------------------------------------------


def rope(x: jax.Array, inv_freq: jax.Array) -> jax.Array:
    """Rotary position embedding over [seq, dim]: angles position * inv_freq (a model's buffer; computed
    in the program, ``10000 ** (-2i/dim)`` rounds differently in XLA's pow and ours by an ulp, which
    large angles turn into 1e-5 differences that are not the sine's)."""
    seq, dim = x.shape
    angles = jnp.arange(seq, dtype=jnp.float32)[:, None] * inv_freq[None, :]
    x1, x2 = x[:, : dim // 2], x[:, dim // 2 :]
    cos, sin = jnp.cos(angles), jnp.sin(angles)
    return jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


@pytest.mark.parametrize(("seq", "dim"), [(1, 64), (7, 32), (97, 64), (1000, 128)])
def test_rope_matches_jax(seq, dim, rng):
    x = rng.standard_normal((seq, dim)).astype(np.float32)
    inv_freq = (1.0 / 10000.0 ** (np.arange(0, dim, 2) / dim)).astype(np.float32)
    exe = tilewright.compile(stablehlo_of(rope, x, inv_freq))
    bufferized = str(exe.compilation.artifacts["bufferized"])
    if seq > 1:
        assert re.search(r"math\.sin %\S+ : vector<", bufferized), "sin not vectorized"
        assert_no_libm(exe, "sin", "cos")
    # Angles up to 999 rad: XLA's sin/cos and ours are each within 2 ulps of the truth.
    assert_matches_jax(exe(x, inv_freq), rope, x, inv_freq, rtol=1e-5, atol=1e-6)


@needs_extension
@pytest.mark.parametrize(("rows", "cols"), [(1, 7), (7, 97), (97, 1000)])
def test_log_softmax_matches_jax(rows, cols, rng):
    x = (rng.standard_normal((rows, cols)) * 8).astype(np.float32)
    exe = tilewright.compile(stablehlo_of(jax.nn.log_softmax, x))
    assert_no_libm(exe, "log", "exp")
    assert_matches_jax(exe(x), jax.nn.log_softmax, x, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("approximate", [False, True])
@pytest.mark.parametrize(("rows", "cols"), [(7, 97), (97, 1000)])
def test_gelu_matches_jax(approximate, rows, cols, rng):
    """GELU as JAX exports it: erf through chlo.erfc (jaxlib legalizes it into an exp polynomial, so no
    math.erf reaches the lowering) or tanh (upstream's polynomial)."""

    def gelu(x):
        return jax.nn.gelu(x, approximate=approximate)

    x = (rng.standard_normal((rows, cols)) * 3).astype(np.float32)
    exe = tilewright.compile(stablehlo_of(gelu, x))
    assert_no_libm(exe, "erf", "tanh", "exp")
    assert_matches_jax(exe(x), gelu, x, rtol=1e-5, atol=1e-6)


# ---- each function against float64 ---------------------------------------------------------------

SPECIAL = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-40, 1e-38, 2e-38, np.inf, -np.inf, np.nan], dtype=np.float32)


def grid(low: float, high: float, rows: int, cols: int) -> np.ndarray:
    x = np.linspace(low, high, rows * cols - SPECIAL.size, dtype=np.float32)
    return np.concatenate([x, SPECIAL]).reshape(rows, cols)


@pytest.mark.parametrize(
    ("name", "reference", "low", "high", "max_ulp", "needs_cxx"),
    [
        ("sin", np.sin, -3.0e5, 3.0e5, 2.0, False),  # own; libm above 2^18
        ("cos", np.cos, -3.0e5, 3.0e5, 2.0, False),
        ("sin", np.sin, -8.0, 8.0, 2.0, False),
        ("erf", scipy.special.erf, -5.0, 5.0, 4.0, True),  # upstream
        ("log", np.log, 0.0, 1.0e5, 1.0, True),  # upstream, subnormal operands scaled
        ("tanh", np.tanh, -12.0, 12.0, 5.0, True),  # upstream
    ],
)
@pytest.mark.parametrize("shape", [(7, 97), (1000, 33)])
def test_vector_function_within_ulp_bound(name, reference, low, high, max_ulp, needs_cxx, shape):
    if needs_cxx and not extension.available():
        pytest.skip("the C++ extension is not built")
    x = grid(low, high, *shape)
    exe = tilewright.compile(elementwise(name, *shape))
    assert_no_libm(exe, name)
    got = exe(x)
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64))
    finite = np.isfinite(want)
    assert ulp_error(got[finite], want[finite]).max() <= max_ulp
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])


@needs_extension
def test_log_of_subnormals():
    """Upstream's log alone clamps its operand to 2^-126 (log = -87.3 for every subnormal); the
    pass scales subnormal operands first, so they are as accurate as the rest."""
    x = (np.arange(1, 7 * 97 + 1, dtype=np.float64) * 1.1e-43).astype(np.float32).reshape(7, 97)
    x[0, :3] = [1e-45, 5e-39, -1e-45]
    exe = tilewright.compile(elementwise("log", 7, 97))
    got = exe(x)
    with np.errstate(invalid="ignore"):
        want = np.log(x.astype(np.float64))
    assert np.isnan(got[0, 2])
    positive = x > 0
    assert ulp_error(got[positive], want[positive]).max() <= 1.0


def test_huge_trig_arguments_take_libm():
    """Beyond 2^18 the three-part reduction loses bits: a vector with such a lane runs libm for all."""
    x = np.geomspace(3e5, 3e38, 7 * 16, dtype=np.float32).reshape(7, 16)
    x[3, 5] = 0.5  # an ordinary lane of a vector that takes the slow path
    exe = tilewright.compile(elementwise("sin", 7, 16))
    np.testing.assert_array_max_ulp(exe(x), np.sin(x.astype(np.float64)).astype(np.float32), maxulp=1)
