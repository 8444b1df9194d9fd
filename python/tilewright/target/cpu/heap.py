"""The C heap policy the JIT-compiled code runs under: freed temporaries stay in the process.

Compiled functions ``malloc`` their temporaries (packed matmul operands, intermediate
tensors) on every call and free them on return. glibc serves blocks above its mmap
threshold (128 KiB, growing only as such blocks are freed) with fresh ``mmap``s and trims
the heap top back to the kernel, so every call pays a page fault per 4 KiB of temporaries:
the MLP of the model zoo (256x1024 -> 4096 -> 1024) faulted 13,000 pages (~50 MiB) per
call, 30% of its time. Serving blocks up to 32 MiB from the heap and keeping what was
freed makes the second call fault nothing, as XLA's and BLAS's own buffer pools do.

``TILEWRIGHT_KEEP_HEAP=0`` leaves the C library's policy alone. Other C libraries than
glibc have no ``mallopt`` with these options and are left alone too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

KEEP_HEAP_ENV = "TILEWRIGHT_KEEP_HEAP"

# glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

# The largest mmap threshold glibc accepts on 64-bit hosts (HEAP_MAX_SIZE / 2): blocks up
# to it come from the heap; larger ones are still mapped (and faulted) per call.
HEAP_BLOCK_MAX_BYTES = 32 * 1024 * 1024

# Free memory at the heap top kept instead of returned to the kernel: several calls'
# worth of the temporaries above.
KEEP_FREED_BYTES = 512 * 1024 * 1024


@functools.cache
def keep_freed_temporaries() -> bool:
    """Set the process's glibc heap to serve and keep temporaries (once); whether it was set."""
    if os.environ.get(KEEP_HEAP_ENV, "1") == "0":
        return False
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; the trim threshold is set after the mmap threshold,
    # which would otherwise move it (glibc keeps trim = 2 x mmap while the latter is dynamic).
    return bool(mallopt(M_MMAP_THRESHOLD, HEAP_BLOCK_MAX_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREED_BYTES))
