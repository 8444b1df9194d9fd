"""Arrays the runtime allocates (results, seeded arguments) start on a cache line: the library's
vector kernels then never split a 64-byte access across two lines (numpy's own buffers are only
16-byte aligned)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

import pytest
import tilewright
from tilewright.runtime.inputs import load_npz_inputs, random_inputs
from tilewright.runtime.memref import ARRAY_ALIGNMENT, empty_aligned


@pytest.mark.parametrize("dtype", [np.float32, np.bool_, ml_dtypes.bfloat16, np.complex64, np.int8])
@pytest.mark.parametrize("shape", [(), (1,), (7, 13), (97, 3, 5)])
def test_empty_aligned(shape, dtype):
    a = empty_aligned(shape, dtype)
    assert a.shape == shape and a.dtype == np.dtype(dtype) and a.flags.c_contiguous
    assert a.ctypes.data % ARRAY_ALIGNMENT == 0


def test_results_and_seeded_arguments_are_aligned():
    exe = tilewright.compile(
        "func.func @main(%a: tensor<7x13xf32>) -> (tensor<7x13xf32>, tensor<3xf32>) {\n"
        "  %c = arith.constant dense<1.0> : tensor<3xf32>\n"
        "  return %a, %c : tensor<7x13xf32>, tensor<3xf32>\n}\n"
    )
    inputs = random_inputs(exe.signature, seed=0)
    assert all(x.ctypes.data % ARRAY_ALIGNMENT == 0 for x in inputs)
    for args in (inputs, [np.asfortranarray(x) for x in inputs]):  # the fast path and the checked one
        results = exe(*args)
        assert all(r.ctypes.data % ARRAY_ALIGNMENT == 0 for r in results)
        np.testing.assert_array_equal(results[0], inputs[0])
        np.testing.assert_array_equal(results[1], np.ones(3, np.float32))


def test_npz_inputs_are_aligned(tmp_path):
    """``run --inputs`` and ``bench --inputs`` hand the compiled code cache-line aligned arrays, as
    XLA and IREE hold theirs (numpy's np.load buffers are 16-byte aligned)."""
    arrays = [np.arange(7 * 13, dtype=np.float32).reshape(7, 13), np.arange(5, dtype=np.int8)]
    np.savez(tmp_path / "in.npz", *arrays)
    loaded = load_npz_inputs(str(tmp_path / "in.npz"))
    assert all(x.ctypes.data % ARRAY_ALIGNMENT == 0 for x in loaded)
    for got, want in zip(loaded, arrays, strict=True):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
