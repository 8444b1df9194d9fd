"""The StableHLO ``check`` dialect's comparisons, in numpy.

These follow the StableHLO reference interpreter, so that a case passes here
exactly when ``stablehlo-translate --interpret`` would accept tilewright's
numbers as its own:

* ``stablehlo/tests/CheckOps.cpp`` (``evalExpectEqOp``, ``evalExpectAlmostEqOp``,
  ``evalExpectCloseOp`` with ``ULPDifference``);
* ``stablehlo/reference/Element.cpp`` (``Element::operator==`` and
  ``areApproximatelyEqual`` on ``APFloat``);
* ``stablehlo/tools/StablehloTranslateMain.cpp`` (the custom-call spellings:
  ``check.expect_close`` uses ULP limits [0, 3], ``check.expect_almost_eq``
  tolerance 0.001, ``check.eq`` exact for integer types and
  ``almost_eq`` with tolerance 0.0001 otherwise). ``CheckOps.td`` gives
  ``expect_almost_eq[_const]`` a default tolerance of 0.001 and
  ``expect_close`` ``min_ulp_difference = 0``, ``max_ulp_difference = 3``.

Semantics, per element (complex numbers: real and imaginary parts each):

``expect_eq``
    integers and booleans bit-exact; floats by IEEE equality, so ``-0.0 == 0.0``
    and ``NaN != NaN`` (APFloat ``==``).
``expect_almost_eq(tol)``
    equal (IEEE) passes; if either is NaN, passes iff both are NaN; an infinity
    only matches itself; otherwise both finite: signs must agree (``-0.0`` vs a
    positive number fails) and ``|a - b| <= tol`` computed in double.
``expect_close(min_ulp, max_ulp)``
    ULP difference: 0 if bit-identical or both NaN; for finite values the
    distance between ``|a|`` and ``|b|`` as unsigned bit patterns (sum of the two
    when the signs differ); infinite otherwise. Passes iff ``min_ulp <= d <= max_ulp``.

The reference aborts on ``expect_close``/``expect_almost_eq`` of integers; here
they fall back to exact equality, which is what such a check can only mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np

EXPECT_CLOSE_MAX_ULP = 3
EXPECT_ALMOST_EQ_TOLERANCE = 0.001
CHECK_EQ_TOLERANCE = 0.0001
_MAX_ULP = np.iinfo(np.uint64).max

_UINT_OF_SIZE = {2: np.uint16, 4: np.uint32, 8: np.uint64}


@dataclass(frozen=True)
class Check:
    """One check from the program: its kind and the limits the reference uses for it."""

    kind: str  # "eq" | "almost_eq" | "close"
    tolerance: float = EXPECT_ALMOST_EQ_TOLERANCE
    min_ulp: int = 0
    max_ulp: int = EXPECT_CLOSE_MAX_ULP

    def compare(self, actual: np.ndarray, expected: np.ndarray) -> str | None:
        """``None`` if ``actual`` passes against ``expected``, else a description of the first mismatch."""
        return compare(self, actual, expected)


def _is_float(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.floating) or dtype == np.dtype(ml_dtypes.bfloat16)


def _parts(array: np.ndarray) -> list[np.ndarray]:
    """Real arrays as themselves, complex ones as [real, imag] (each compared on its own)."""
    if np.issubdtype(array.dtype, np.complexfloating):
        return [np.ascontiguousarray(array.real), np.ascontiguousarray(array.imag)]
    return [array]


def ieee_equal(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Element-wise ``Element::operator==``: exact, IEEE for floats (NaN != NaN, -0 == 0)."""
    if np.issubdtype(actual.dtype, np.complexfloating):
        return (actual.real == expected.real) & (actual.imag == expected.imag)
    if _is_float(actual.dtype):
        return actual.astype(np.float64) == expected.astype(np.float64)
    return actual == expected


def almost_equal(actual: np.ndarray, expected: np.ndarray, tolerance: float) -> np.ndarray:
    """Element-wise ``areApproximatelyEqual`` on real floats (see the module docstring)."""
    a = actual.astype(np.float64)
    b = expected.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        equal = a == b
        a_nan, b_nan = np.isnan(a), np.isnan(b)
        unordered = a_nan | b_nan
        finite = np.isfinite(a) & np.isfinite(b)
        same_sign = np.signbit(a) == np.signbit(b)
        close = np.abs(a - b) <= tolerance
    return equal | (unordered & (a_nan == b_nan)) | (~unordered & finite & same_sign & close)


def ulp_difference(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Element-wise ``ULPDifference`` on real floats, as uint64 (``2**64-1`` = unbounded)."""
    uint = _UINT_OF_SIZE[actual.dtype.itemsize]
    width = actual.dtype.itemsize * 8
    sign = np.uint64(1) << np.uint64(width - 1)
    a_bits = np.ascontiguousarray(actual).view(uint).astype(np.uint64)
    b_bits = np.ascontiguousarray(expected).view(uint).astype(np.uint64)
    a_mag, b_mag = a_bits & ~sign, b_bits & ~sign
    a_neg, b_neg = (a_bits & sign) != 0, (b_bits & sign) != 0
    a64, b64 = actual.astype(np.float64), expected.astype(np.float64)
    finite = np.isfinite(a64) & np.isfinite(b64)
    with np.errstate(over="ignore"):
        distance = np.where(a_neg != b_neg, a_mag + b_mag, np.maximum(a_mag, b_mag) - np.minimum(a_mag, b_mag))
    result = np.where(finite, distance, np.uint64(_MAX_ULP))
    result = np.where(np.isnan(a64) & np.isnan(b64), np.uint64(0), result)
    return np.where(a_bits == b_bits, np.uint64(0), result).astype(np.uint64)


def compare(check: Check, actual: np.ndarray, expected: np.ndarray) -> str | None:
    """Apply ``check``; ``None`` on success, else where and how the first element differs."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)} (actual) vs {list(expected.shape)} (expected)"
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype} (actual) vs {expected.dtype} (expected)"
    if actual.size == 0:
        return None
    inexact = _is_float(actual.dtype) or np.issubdtype(actual.dtype, np.complexfloating)
    kind = check.kind if inexact else "eq"
    if kind == "eq":
        ok = ieee_equal(actual, expected)
        what = "values differ"
    elif kind == "almost_eq":
        ok = np.logical_and.reduce(
            [almost_equal(a, e, check.tolerance) for a, e in zip(_parts(actual), _parts(expected), strict=True)]
        )
        what = f"not within tolerance {check.tolerance:g}"
    elif kind == "close":
        pairs = zip(_parts(actual), _parts(expected), strict=True)
        ulps = np.maximum.reduce([ulp_difference(a, e) for a, e in pairs])
        ok = (ulps >= check.min_ulp) & (ulps <= check.max_ulp)
        what = f"ULP difference not in [{check.min_ulp}, {check.max_ulp}]"
    else:
        raise ValueError(f"unknown check kind '{check.kind}'")
    ok = np.asarray(ok)
    if ok.all():
        return None
    bad = np.argwhere(~ok)
    index = tuple(int(i) for i in bad[0])
    detail = f"{actual[index]!r} (actual) vs {expected[index]!r} (expected) at index {list(index)}"
    if kind == "close":
        detail += f", ULP difference {int(ulps[index])}"
    return f"{what}: {detail}; {len(bad)} of {actual.size} element(s) mismatch"
