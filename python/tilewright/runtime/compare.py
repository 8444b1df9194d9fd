"""Comparing a run's results with expected ones (``tilewright run --expected FILE.npz``).

Floating-point results pass when ``|got - expected| <= atol + rtol * |expected|``
elementwise (NaN equals NaN, infinities must match), with ``rtol`` by dtype unless
given and ``atol = rtol * max|expected|`` unless given: summation order may move
small elements by more than ``rtol`` of themselves, not by more than ``rtol`` of the
result's scale. Integer and boolean results must be equal.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tilewright.diagnostics import SourceLocation, TilewrightError

# Default relative tolerance per element type (absent: exact).
DEFAULT_RTOL = {
    "float16": 1e-2,
    "bfloat16": 1e-2,
    "float32": 1e-5,
    "complex64": 1e-5,
    "float64": 1e-12,
    "complex128": 1e-12,
}


@dataclass(frozen=True)
class ResultCheck:
    """The comparison of one result with its expected value."""

    name: str
    passed: bool
    summary: str  # "max |error| 2.4e-08 (6.0e-08 of max|expected| 0.405), rtol 1e-05 atol 4.1e-06"

    def line(self) -> str:
        return f"{self.name}: {self.summary}: {'ok' if self.passed else 'MISMATCH'}"


def _as_expected_dtype(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    """npz stores bfloat16 and other ml_dtypes as raw voids of the same width: view them as the result's type."""
    if expected.dtype.kind == "V" and expected.dtype.itemsize == got.dtype.itemsize:
        return expected.view(got.dtype)
    return expected


def check_result(
    name: str, got: np.ndarray, expected: np.ndarray, rtol: float | None, atol: float | None
) -> ResultCheck:
    expected = _as_expected_dtype(np.asarray(expected), got)
    if got.shape != expected.shape:
        return ResultCheck(name, False, f"shape {list(got.shape)}, expected {list(expected.shape)}")
    if got.dtype != expected.dtype:
        return ResultCheck(name, False, f"dtype {got.dtype}, expected {expected.dtype}")
    default_rtol = DEFAULT_RTOL.get(str(got.dtype))
    if default_rtol is None:  # integers, booleans: exact
        differ = int(np.count_nonzero(got != expected))
        if differ:
            return ResultCheck(name, False, f"{differ} of {got.size} element(s) differ ({got.dtype}: exact)")
        return ResultCheck(name, True, f"equal ({got.dtype}: exact)")
    rtol = default_rtol if rtol is None else rtol
    wide = np.complex128 if np.iscomplexobj(got) else np.float64
    g, e = got.astype(wide), expected.astype(wide)
    finite_e = np.isfinite(e)
    scale = float(np.max(np.abs(e[finite_e]))) if finite_e.any() else 0.0
    atol = rtol * scale if atol is None else atol
    both = finite_e & np.isfinite(g)
    error = np.abs(g[both] - e[both])
    max_abs = float(np.max(error)) if error.size else 0.0
    passed = bool(np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))
    relative = f" ({max_abs / scale:.1e} of max|expected| {scale:.3g})" if scale > 0 else ""
    summary = f"max |error| {max_abs:.1e}{relative}, rtol {rtol:g} atol {atol:.2g}"
    if not passed:
        outside = int(np.count_nonzero(~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)))
        summary += f", {outside} of {got.size} element(s) outside"
    return ResultCheck(name, passed, summary)


def check_results(
    results: Sequence[np.ndarray],
    expected: dict[str, np.ndarray],
    path: str,
    rtol: float | None = None,
    atol: float | None = None,
) -> list[ResultCheck]:
    """Compare ``result0, result1, ...`` with the arrays of an npz file (``path``: for messages).

    The file's arrays are matched by name when it names them ``result0, result1, ...``
    (what ``tilewright run --output`` writes), otherwise in stored order.
    """
    names = [f"result{i}" for i in range(len(results))]
    wanted = [expected[n] for n in names] if sorted(expected) == sorted(names) else list(expected.values())
    if len(wanted) != len(results):
        raise TilewrightError(
            f"the function returns {len(results)} result(s) but the file holds {len(wanted)} array(s)",
            SourceLocation(path),
        )
    return [check_result(n, r, w, rtol, atol) for n, r, w in zip(names, results, wanted, strict=True)]


def load_expected(path: str) -> dict[str, np.ndarray]:
    """The arrays of an npz file by name, in stored order."""
    p = Path(path)
    if not p.is_file():
        raise TilewrightError(
            "is a directory" if p.is_dir() else "expected-results file not found", SourceLocation(path)
        )
    try:
        with np.load(p, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise TilewrightError("not an .npz archive (a single .npy array?)", SourceLocation(path))
            return {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise TilewrightError(
            "not an .npz file (expected results are written by np.savez)", SourceLocation(path)
        ) from None
