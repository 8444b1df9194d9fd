"""numpy arrays as MLIR memref descriptors (the C interface's ranked struct).

A ranked memref descriptor is ``{allocated*, aligned*, offset, sizes[rank],
strides[rank]}``; rank 0 has no size or stride arrays. Descriptors here point
at numpy's own buffers (C-contiguous), so no data is copied in or out and any
dtype works, bfloat16 and bool included: the compiled code only sees bytes.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

# Alignment of the arrays the runtime allocates (results, seeded arguments): one cache line.
# numpy's buffers come from malloc, 16-byte aligned, so every 64-byte vector access of an
# AVX-512 kernel straddled two cache lines (RMSNorm 2048x1024 ran 1.4-2x slower on them).
ARRAY_ALIGNMENT = 64


def empty_aligned(shape: tuple[int, ...], dtype: np.dtype | type, alignment: int = ARRAY_ALIGNMENT) -> np.ndarray:
    """An uninitialized C-contiguous array whose data starts on an ``alignment``-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + alignment, dtype=np.uint8)
    offset = (-raw.ctypes.data) % alignment
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)


@functools.cache
def descriptor_type(rank: int) -> type[ctypes.Structure]:
    fields: list[tuple[str, object]] = [
        ("allocated", ctypes.c_void_p),
        ("aligned", ctypes.c_void_p),
        ("offset", ctypes.c_int64),
    ]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRefDescriptor{rank}D", (ctypes.Structure,), {"_fields_": fields})


def descriptor_for(array: np.ndarray) -> ctypes.Structure:
    """A descriptor viewing ``array``, which must be C-contiguous and stay alive."""
    if not array.flags.c_contiguous:
        raise ValueError("memref descriptors need C-contiguous arrays")
    desc = descriptor_type(array.ndim)()
    ptr = array.ctypes.data
    desc.allocated = ptr
    desc.aligned = ptr
    desc.offset = 0
    if array.ndim:
        desc.sizes[:] = list(array.shape)
        itemsize = array.itemsize
        desc.strides[:] = [s // itemsize if itemsize else 0 for s in array.strides]
    return desc


def static_descriptor(shape: tuple[int, ...], dtype: np.dtype) -> ctypes.Structure:
    """A descriptor of a C-contiguous ``shape`` array of ``dtype`` with its pointers unset: the
    caller stores ``allocated``/``aligned`` per call (sizes and strides never change)."""
    desc = descriptor_type(len(shape))()
    desc.offset = 0
    if shape:
        desc.sizes[:] = list(shape)
        strides, step = [], 1
        for size in reversed(shape):
            strides.append(step)
            step *= size
        desc.strides[:] = strides[::-1]
    return desc


def data_pointer(array: np.ndarray) -> int:
    """The address of ``array``'s first element, the cheapest way numpy allows: ``from_buffer``
    (about a third of ``array.ctypes.data``) where the buffer is writable, not empty, and of a
    dtype the buffer protocol knows (ml_dtypes' bfloat16 is not)."""
    if array.flags.writeable and array.nbytes and array.dtype.isbuiltin == 1:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    return array.ctypes.data
