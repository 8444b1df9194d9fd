"""Which fusion groups are row loops (``tw.row_loop``: reductions lowered along the innermost
vector dimension): only those whose reductions read contiguous memory. A reduction over a
middle axis read with a stride, marked, had its tiles transposed in registers (2.4x slower)."""

from __future__ import annotations

import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of


@pytest.mark.parametrize(
    ("axis", "marked"),
    [(2, True), (1, False)],
    ids=["last-axis", "middle-axis"],
)
@pytest.mark.parametrize("shape", [(7, 13, 97), (128, 64, 128)])
def test_only_contiguous_reductions_are_row_loops(rng, axis, marked, shape):
    x = rng.standard_normal(shape, dtype=np.float32)
    exe = tilewright.compile(stablehlo_of(lambda v: v.mean(axis=axis), x), threads=1)
    assert ("tw.row_loop" in exe.compilation.artifacts["scheduled"]) == marked
    np.testing.assert_allclose(exe(x), x.astype(np.float64).mean(axis=axis), rtol=1e-5, atol=1e-6)
