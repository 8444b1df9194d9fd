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
