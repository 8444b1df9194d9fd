"""Device arrays at the artifact runtime's boundary: arrays already on the GPU (torch, cupy,
JAX, ...) are passed without a copy, through the CUDA array interface or DLPack; results can
stay on the device as :class:`DeviceArray` (which exposes the CUDA array interface itself)."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from tilewright.diagnostics import TilewrightError
from tilewright.types import TensorType

KDL_CUDA = 2  # DLPack's device type of CUDA memory
_DL_CODES = {0: "i", 1: "u", 2: "f"}


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


def _mismatch(index: int, entry: str, got: str, expected: TensorType) -> TilewrightError:
    return TilewrightError(
        f"argument #{index} of '@{entry}' is a device array {got}, but the function expects {expected}"
    )


def _from_interface(arg: Any, expected: TensorType, index: int, entry: str) -> int:
    cai = arg.__cuda_array_interface__
    shape, dtype = tuple(cai["shape"]), np.dtype(cai["typestr"])
    got = f"{dtype}{list(shape)}"
    if (
        shape != expected.shape
        or dtype.itemsize != expected.dtype.itemsize
        or dtype.kind != np.dtype(expected.dtype).kind
    ):
        if not (expected.element == "bf16" and dtype.itemsize == 2):
            raise _mismatch(index, entry, got, expected)
    strides = cai.get("strides")
    if strides is not None and tuple(strides) != _c_strides(shape, dtype.itemsize):
        raise TilewrightError(f"argument #{index} of '@{entry}': device arrays must be C-contiguous")
    return int(cai["data"][0])


def _from_dlpack(arg: Any, expected: TensorType, index: int, entry: str) -> int:
    capsule = arg.__dlpack__()
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    tensor = _DLTensor.from_address(get(capsule, b"dltensor"))  # DLManagedTensor starts with its DLTensor
    shape = tuple(tensor.shape[i] for i in range(tensor.ndim))
    kind = _DL_CODES.get(tensor.dtype.code, "?")
    bits = tensor.dtype.bits
    got = f"{kind}{bits}{list(shape)}"
    want = np.dtype(expected.dtype)
    if shape != expected.shape or bits != want.itemsize * 8 or (kind != want.kind and expected.element != "bf16"):
        raise _mismatch(index, entry, got, expected)
    if tensor.strides and tuple(tensor.strides[i] for i in range(tensor.ndim)) != _c_strides(shape, 1):
        raise TilewrightError(f"argument #{index} of '@{entry}': device arrays must be C-contiguous")
    return int(tensor.data or 0) + int(tensor.byte_offset)


def _c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def device_pointer(arg: Any, expected: TensorType, index: int, entry: str) -> int | None:
    """The device address of ``arg`` if it is a GPU array of ``expected``'s shape and dtype
    (an error if it is one of another), None for anything else (a host array)."""
    if isinstance(arg, np.ndarray):
        return None
    pointer = None
    if hasattr(arg, "__cuda_array_interface__"):
        pointer = _from_interface(arg, expected, index, entry)
    elif hasattr(arg, "__dlpack_device__"):
        device_type, _ = arg.__dlpack_device__()
        if int(device_type) == KDL_CUDA:
            pointer = _from_dlpack(arg, expected, index, entry)
    if pointer is not None and pointer % DEVICE_ALIGNMENT:
        # The kernels declare their pointers aligned (128-bit vector loads): a view at an odd
        # offset would fault on the GPU.
        raise TilewrightError(
            f"argument #{index} of '@{entry}': device arrays must be {DEVICE_ALIGNMENT}-byte aligned "
            f"(this one starts at {pointer:#x}; pass a copy)"
        )
    return pointer


# tilewright.target.nvvm.lowering.KERNEL_POINTER_ALIGNMENT (the runtime imports no compiler).
DEVICE_ALIGNMENT = 16


# Pool blocks are rounded up to this many bytes, so near sizes share blocks (and stay aligned).
POOL_GRANULE = 512


class DevicePool:
    """Device memory kept for reuse across calls, by rounded size: ``cuMemAlloc``/``cuMemFree``
    cost tens of microseconds and synchronize the device, more than a small kernel runs, so an
    artifact allocates its inputs' copies, temporaries and results once and reuses them (what
    torch's and XLA's caching allocators do). Reuse within a call is ordered by the one stream
    every copy and launch goes to. :meth:`trim` gives everything back to the driver."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self._free: dict[int, list[int]] = {}
        self._size: dict[int, int] = {}

    def acquire(self, nbytes: int) -> int:
        size = -(-max(nbytes, 1) // POOL_GRANULE) * POOL_GRANULE
        blocks = self._free.get(size)
        if blocks:
            return blocks.pop()
        pointer = self._driver.alloc(size)
        self._size[pointer] = size
        return pointer

    def release(self, pointer: int) -> None:
        self._free.setdefault(self._size[pointer], []).append(pointer)

    def trim(self) -> int:
        """Free every pooled (released) block; returns how many bytes went back."""
        freed = 0
        for size, blocks in self._free.items():
            for pointer in blocks:
                self._driver.free(pointer)
                del self._size[pointer]
                freed += size
        self._free.clear()
        return freed

    @property
    def held_bytes(self) -> int:
        """Bytes allocated from the driver through this pool (in use or pooled)."""
        return sum(self._size.values())


class DeviceArray:
    """A result left on the GPU: ``__cuda_array_interface__`` for torch/cupy/numba, ``numpy()``
    to copy it to the host; its memory goes back to the driver (or to ``pool``, for reuse by
    the next call) with the object."""

    def __init__(self, pointer: int, type_: TensorType, driver: Any, pool: DevicePool | None = None) -> None:
        self.pointer, self.type, self._driver, self._pool = pointer, type_, driver, pool
        self.shape, self.dtype = type_.shape, np.dtype(type_.dtype)

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (self.pointer, False), "version": 3}

    def numpy(self) -> np.ndarray:
        array = np.empty(self.shape, self.dtype)
        self._driver.copy_to_host(array, self.pointer)
        return array

    def __del__(self) -> None:
        pointer, self.pointer = self.pointer, 0
        if pointer:
            try:
                if self._pool is not None:
                    self._pool.release(pointer)
                else:
                    self._driver.free(pointer)
            except Exception:  # noqa: BLE001 - interpreter shutdown: the context may be gone
                pass

    def __repr__(self) -> str:
        return f"<DeviceArray {self.type} at 0x{self.pointer:x}>"
