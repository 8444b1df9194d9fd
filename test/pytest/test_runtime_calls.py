"""Calling compiled functions: the precomputed fast path (static shapes, exact C-contiguous
numpy arrays) and the checked path (anything else) give the same results; errors still name
the argument. No timing here: the per-call cost is measured by ``tilewright bench``."""

from __future__ import annotations

import threading

import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of


def two_results(a, b):
    return a * b + 1.0, jnp.sum(a, axis=0)


@pytest.fixture(scope="module")
def exe():
    a = np.zeros((7, 97), np.float32)
    return tilewright.compile(stablehlo_of(two_results, a, a), threads=1)


class Subclass(np.ndarray):
    pass


def expected(a, b):
    return a * b + 1.0, a.sum(axis=0)


def check(got, a, b):
    for g, e in zip(got, expected(a, b), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


def test_fast_path_reuses_nothing_but_descriptors(exe, rng):
    a, b = rng.standard_normal((2, 7, 97), dtype=np.float32)
    first = exe(a, b)
    second = exe(b, a)  # the same descriptors, other arrays: nothing of the first call leaks
    check(first, a, b)
    check(second, b, a)
    assert first[0] is not second[0] and not np.shares_memory(first[0], second[0])


def test_checked_path_takes_what_the_fast_path_does_not(exe, rng):
    a, b = rng.standard_normal((2, 7, 97), dtype=np.float32)
    transposed = np.asfortranarray(a)  # not C-contiguous
    check(exe(transposed, b), a, b)
    readonly = a.copy()
    readonly.flags.writeable = False
    check(exe(readonly, b), a, b)
    check(exe(a.view(Subclass), b), a, b)  # not exactly an ndarray
    check(exe(jnp.asarray(a), b), a, b)


def test_errors_still_name_the_argument(exe):
    good = np.zeros((7, 97), np.float32)
    with pytest.raises(tilewright.TilewrightError, match=r"argument #1 of '@main' has type tensor<7x97xf64>"):
        exe(good, good.astype(np.float64))
    with pytest.raises(tilewright.TilewrightError, match=r"argument #0 of '@main' has type tensor<97x7xf32>"):
        exe(good.T.copy(), good)
    with pytest.raises(tilewright.TilewrightError, match=r"takes 2 argument\(s\)"):
        exe(good)


def test_threads_call_one_function_at_once(exe, rng):
    """Each thread has descriptors of its own: concurrent calls never see each other's arrays."""
    inputs = [rng.standard_normal((2, 7, 97), dtype=np.float32) for _ in range(4)]
    results: dict[int, tuple] = {}

    def work(i: int) -> None:
        for _ in range(50):
            results[i] = exe(inputs[i][0], inputs[i][1])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (a, b) in enumerate(inputs):
        check(results[i], a, b)


@pytest.mark.parametrize("shape", [(1,), (0, 5), ()])
def test_odd_shapes(rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    fn = tilewright.compile(stablehlo_of(lambda v: v * 2.0, x), threads=1)
    np.testing.assert_array_equal(fn(x), x * 2.0)
