"""The vectorized sort (ingress/legalize/sort_network.py) against JAX, bit for bit.

Odd row lengths (padding to a power of two, partial vectors), one row and
several, every comparator JAX emits for one key (floats canonicalized, total
order, signed and unsigned integers, descending), argsort's stability among
ties, and the zeros and NaNs that JAX's comparator ties (their input order,
their exact bits).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.target.cpu.host import host_cpu


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.kind in "fV" or a.dtype == ml_dtypes.bfloat16 else a


def _check(fn, *args, cpu: str | None = None) -> None:
    text = stablehlo_of(fn, *args)
    assert "stablehlo.sort" in text
    exe = tilewright.compile(text, cpu=cpu) if cpu else tilewright.compile(text)
    linalg = exe.compilation.artifacts["linalg"]
    # The network (vector min/max/shuffles), not the element-wise merge (tensor.insert);
    # rows of one element need no sort at all.
    if args[0].shape[-1] == 1:
        assert "scf.for" not in linalg
    else:
        assert "vector.shuffle" in linalg and "arith.maxsi" in linalg
    assert "tensor.insert " not in linalg
    got = exe(*args)
    expected = jax.jit(fn)(*args)
    got = got if isinstance(got, tuple) else (got,)
    expected = tuple(expected) if isinstance(expected, tuple | list) else (expected,)
    for g, e in zip(got, expected, strict=True):
        e = np.asarray(e)
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_array_equal(_bits(g), _bits(e))


def _specials(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal values with NaNs of both signs and payloads, infinities, both zeros and duplicates."""
    x = rng.standard_normal(shape).astype(np.float32)
    x = np.round(x * 4) / 4  # duplicates
    pick = rng.random(shape)
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)
    x = np.where(pick < 0.3, specials[rng.integers(0, len(specials), shape)], x)
    bits = x.view(np.uint32)
    payload = (rng.random(shape) < 0.5) & np.isnan(x)
    bits[payload] |= rng.integers(1, 1 << 22, shape).astype(np.uint32)[payload]  # other NaN payloads
    return bits.view(np.float32)


SHAPES = [(1, 1), (1, 2), (7, 7), (7, 97), (1, 1000), (3, 1025)]


@pytest.mark.parametrize("shape", SHAPES)
def test_sort_float_specials(rng, shape):
    _check(jnp.sort, _specials(rng, shape))


def test_rows_with_and_without_ties_to_keep(rng):
    """One operand, JAX's float comparator: rows whose zeros are all +0.0 and NaNs all the quiet
    NaN sort their keys alone; a row with -0.0 or another NaN takes the positions (bit-exact)."""
    x = np.round(rng.standard_normal((7, 97)).astype(np.float32) * 4) / 4
    x[1, ::5] = 0.0
    x[1, 1::7] = np.nan  # the quiet NaN: keys alone still exact
    x[2, ::5] = 0.0
    x[2, 3] = -0.0
    x[3, ::9] = np.nan
    x[3, 5] = -np.nan
    x[4, ::11] = np.array(0x7FC00001, np.uint32).view(np.float32)  # another payload
    x[5, :] = -0.0
    _check(jnp.sort, x)
    _check(lambda x: jnp.sort(x, descending=True), x)


@pytest.mark.parametrize("shape", [(7, 97), (1, 1025)])
def test_sort_descending(rng, shape):
    _check(lambda x: jnp.sort(x, descending=True), _specials(rng, shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_argsort_stable(rng, shape):
    x = _specials(rng, shape)
    _check(jnp.argsort, x)
    _check(lambda x: jnp.argsort(x, descending=True), x)


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.int8, np.uint16])
def test_sort_integers(rng, dtype):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, (7, 97), endpoint=True).astype(dtype)
    x[:, :5] = info.min
    x[:, 5:9] = info.max
    _check(lambda x: jnp.sort(x, axis=-1), x)
    _check(lambda x: jnp.argsort(x, axis=-1), x)


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_sort_64_bit_integers(rng, dtype):
    """64-bit keys sort alone (vector<8xi64>); with another operand (argsort) there is no room for
    the position: the merge sort."""
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, (7, 1000), dtype=dtype, endpoint=True)
    x[:, :5] = info.min
    x[:, 5:9] = info.max
    _check(lambda x: jnp.sort(x, axis=-1), x)
    _check(lambda x: jnp.sort(x, axis=0, descending=True), x)
    text = stablehlo_of(jnp.argsort, x)
    exe = tilewright.compile(text)
    assert "tensor.insert " in exe.compilation.artifacts["linalg"]
    np.testing.assert_array_equal(exe(x), jax.jit(jnp.argsort)(x))


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_sort_half_floats(rng, dtype):
    x = _specials(rng, (7, 97)).astype(dtype)
    _check(jnp.argsort, x)
    _check(jnp.sort, x)


def test_key_value_sorts(rng):
    keys = rng.integers(0, 5, (7, 1000)).astype(np.int32)  # many ties: stability decides
    values = rng.standard_normal((7, 1000)).astype(np.float64)
    _check(lambda k, v: lax.sort((k, v), dimension=1, num_keys=1), keys, values)
    _check(lambda k, v: lax.sort_key_val(k, v), _specials(rng, (7, 97)), keys[:, :97])
    # Two results of one type (their tensor.empty inits are one value after CSE), along either axis.
    other = rng.integers(-9, 9, (7, 1000)).astype(np.int32)
    _check(lambda k, v: lax.sort_key_val(k, v), keys, other)
    _check(lambda k, v: lax.sort_key_val(k, v, dimension=0), keys, other)
    # One result unused (not gathered), either one.
    _check(lambda k, v: lax.sort_key_val(k, v)[1], keys, other)
    _check(lambda k, v: lax.sort_key_val(k, v)[0] * 2, keys, other)


@pytest.mark.parametrize("dtype", [np.int8, np.float32])
def test_argsort_iota_is_the_positions(rng, dtype):
    # int8 rows of 1000 indices: the iota (int64 here, x64) is the positions, widened.
    x = rng.integers(-5, 5, (7, 1000)).astype(dtype)
    _check(jnp.argsort, x)
    _check(lambda x: jnp.argsort(x, axis=0), x)
    _check(lambda x: jnp.argsort(x.astype(np.int16)).astype(np.int32), x)


def test_other_axes(rng):
    x = _specials(rng, (5, 97, 3))
    _check(lambda x: jnp.sort(x, axis=1), x)
    _check(lambda x: jnp.argsort(x, axis=0), x)


@pytest.mark.skipif(not {"avx2", "fma"} <= host_cpu().features, reason="the host cannot run AVX2 code")
def test_avx2_code(rng):
    """The 512-bit vectors split in two AVX2 registers (no 64-bit min/max there: compares and blends)."""
    x = _specials(rng, (7, 1025))
    _check(jnp.sort, x, cpu="haswell")
    _check(jnp.argsort, x, cpu="haswell")
    keys = rng.integers(0, 5, (7, 97)).astype(np.int32)
    _check(lambda k, v: lax.sort_key_val(k, v), keys, keys * 3, cpu="haswell")
