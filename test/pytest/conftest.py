"""Shared helpers: real StableHLO from jax.jit, and comparisons with JAX's results."""

from __future__ import annotations

import os
import tempfile

import jax
import numpy as np

import pytest

# The suite never reads a tuning database a user's `tilewright tune` left in the cache directory
# (its entries would change the default schedule under the tests); test_tune*.py make their own.
os.environ["TILEWRIGHT_TUNE_DB"] = os.path.join(tempfile.gettempdir(), f"tilewright-tests-{os.getpid()}", "none.sqlite")

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")


def stablehlo_of(fn, *args) -> str:
    """The StableHLO text JAX exports for ``fn`` at these arguments."""
    return jax.jit(fn).lower(*args).as_text()


def assert_matches_jax(got, fn, *args, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    expected = jax.jit(fn)(*args)
    got_leaves = got if isinstance(got, tuple) else (got,)
    expected_leaves = tuple(expected) if isinstance(expected, tuple | list) else (expected,)
    assert len(got_leaves) == len(expected_leaves)
    for g, e in zip(got_leaves, expected_leaves, strict=True):
        e = np.asarray(e)
        assert g.shape == e.shape, (g.shape, e.shape)
        assert g.dtype == e.dtype, (g.dtype, e.dtype)
        if np.issubdtype(e.dtype, np.floating) or e.dtype.kind == "V" or str(e.dtype) == "bfloat16":
            np.testing.assert_allclose(g.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(g, e)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def ptxas_report(ptx: str, arch: str) -> str:
    """``ptxas -arch=ARCH -v``'s report on ``ptx`` (registers, spills, stack, shared memory per
    kernel); a PTX that ptxas rejects fails the test with its message."""
    import subprocess

    from tilewright.target.nvvm import toolkit

    done = subprocess.run(
        [toolkit.ptxas(), f"-arch={arch}", "-v", "-o", os.devnull, "-"],
        input=ptx.encode(),
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stderr.decode()
