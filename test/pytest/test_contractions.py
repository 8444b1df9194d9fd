"""``tw-canonicalize-contractions``: dot_general in any layout becomes a named (batch) matmul.

Each einsum below legalizes to a ``linalg.generic`` contraction (operands not in
``[batch, m, k] x [batch, k, n]`` order, several K or batch dims, transposed
results). After the linalg stage no generic contraction may remain, and the
results must match numpy in float64 at odd shapes, both unscheduled and with the
CPU library's schedule.
"""

from __future__ import annotations

import re
import warnings

import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of

CASES = [
    # (einsum, lhs shape, rhs shape)
    ("shd,thd->hst", (7, 3, 5), (9, 3, 5)),  # attention scores, heads in the middle
    ("hst,thd->shd", (3, 7, 9), (9, 3, 5)),  # attention output back in [seq, heads, dim]
    ("hsd,hdn->sn", (3, 7, 5), (3, 5, 11)),  # output projection: K = heads x head size
    ("mk,nk->mn", (97, 77), (131, 77)),  # B transposed, as x @ w.T
    ("km,kn->mn", (13, 1), (13, 17)),  # A transposed, M = 1
    ("bmk,bkn->nbm", (2, 7, 5), (2, 5, 3)),  # transposed result
    ("abmk,abkn->abmn", (2, 3, 7, 4), (2, 3, 4, 6)),  # two batch dims
]


def linalg_text(text: str) -> str:
    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import as_source

    return str(start(as_source(text), CompileOptions(schedule="none")).module)


@pytest.mark.parametrize(("spec", "lhs", "rhs"), CASES, ids=[c[0] for c in CASES])
def test_generic_contractions_become_named(rng, spec, lhs, rhs):
    a = rng.standard_normal(lhs).astype(np.float32)
    b = rng.standard_normal(rhs).astype(np.float32)
    text = stablehlo_of(lambda x, y: jnp.einsum(spec, x, y), a, b)
    linalg = linalg_text(text)
    assert re.search(r"linalg\.(batch_)?matmul ", linalg), linalg
    assert "arith.mulf" not in linalg, "a generic contraction survived the linalg stage"
    expected = np.einsum(spec, a.astype(np.float64), b.astype(np.float64))
    for schedule in ("none", "default"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # the library schedule must apply
            got = tilewright.compile(text, schedule=schedule)(a, b)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4, err_msg=schedule)


def test_half_inputs_accumulate_in_f32(rng):
    a = rng.standard_normal((17, 33)).astype(np.float16)
    b = rng.standard_normal((7, 33)).astype(np.float16)

    def fn(x, y):
        return jnp.einsum("mk,nk->mn", x, y, preferred_element_type=jnp.float32)

    text = stablehlo_of(fn, a, b)
    assert "linalg.matmul" in linalg_text(text)
    got = tilewright.compile(text, schedule="none")(a, b)
    expected = a.astype(np.float64) @ b.astype(np.float64).T
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)
