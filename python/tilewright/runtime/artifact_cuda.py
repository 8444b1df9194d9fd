"""The CUDA driver behind :class:`~tilewright.runtime.artifact.GpuArtifactProgram`: the
device's primary context, the module from the cubin (PTX, JIT-compiled by the driver, when the
cubin does not load: a driver older than the ``ptxas`` that made it), allocations, copies and
launches on the default stream.

Through ``cuda-bindings`` (``pip install tilewright[gpu]``) when installed
(:class:`CudaDriver`), else straight through ``libcuda.so.1`` with ctypes
(:class:`CtypesCudaDriver`: the same calls; a machine with an NVIDIA driver needs nothing
else). Every failure is a TilewrightError naming the call and CUDA's error: no driver, no GPU.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np

from tilewright.diagnostics import TilewrightError

# CUdevice_attribute values (cuda.h).
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76


def runs_on(arch: str, capability: tuple[int, int]) -> bool:
    """Whether a cubin for ``arch`` (``sm_80``, ``sm_90a``) loads on a GPU of compute
    ``capability``: ``sm_XY`` on X.Y and later (a later major through the artifact's PTX,
    which the driver JIT-compiles), an arch-specific ``sm_XYa`` (wgmma) on X.Y only."""
    digits = arch.removeprefix("sm_").rstrip("a")
    major, minor = int(digits[:-1]), int(digits[-1])
    if arch.endswith("a"):
        return capability == (major, minor)
    return capability >= (major, minor)


def _bindings() -> Any:
    try:
        from cuda.bindings import driver
    except ImportError:
        try:
            from cuda import cuda as driver  # cuda-python < 12.6
        except ImportError:
            raise TilewrightError(
                "running an nvvm artifact needs cuda-bindings (pip install 'tilewright[gpu]' or cuda-bindings)"
            ) from None
    return driver


class CudaDriver:
    """CUDA driver calls on device ``device`` (default 0)."""

    def __init__(self, device: int = 0) -> None:
        self.cu = _bindings()
        self._call("cuInit", 0)
        count = self._call("cuDeviceGetCount")
        if count < 1:
            raise TilewrightError("no CUDA GPU is visible (cuDeviceGetCount is 0): nvvm artifacts run on a GPU")
        if device >= count:
            raise TilewrightError(f"CUDA device {device} asked for, but {count} visible")
        self.device = self._call("cuDeviceGet", device)
        self.context = self._call("cuDevicePrimaryCtxRetain", self.device)
        self._call("cuCtxSetCurrent", self.context)

    def _call(self, name: str, *args: Any) -> Any:
        try:
            out = getattr(self.cu, name)(*args)
        except RuntimeError as exc:  # cuda-bindings raises this when libcuda.so is missing
            raise TilewrightError(f"{name} failed: {exc} (is an NVIDIA driver installed?)") from None
        err, rest = out[0], out[1:]
        if err != self.cu.CUresult.CUDA_SUCCESS:
            _, text = self.cu.cuGetErrorName(err)
            name_text = text.decode() if isinstance(text, bytes) else str(err)
            if name_text == "CUDA_ERROR_NO_DEVICE":
                raise TilewrightError("no CUDA GPU is visible (CUDA_ERROR_NO_DEVICE): nvvm artifacts run on a GPU")
            raise TilewrightError(f"{name} failed: {name_text}")
        return rest[0] if len(rest) == 1 else (rest or None)

    def load_module(self, cubin: bytes | None, ptx: bytes | None) -> Any:
        if cubin is not None:
            try:
                return self._call("cuModuleLoadData", cubin)
            except TilewrightError:
                if ptx is None:
                    raise
        assert ptx is not None
        return self._call("cuModuleLoadData", ptx + b"\0")

    def function(self, module: Any, name: str) -> Any:
        try:
            return self._call("cuModuleGetFunction", module, name.encode())
        except TilewrightError:
            raise TilewrightError(f"the artifact's module has no kernel '{name}'") from None

    def compute_capability(self) -> tuple[int, int]:
        attribute = self.cu.CUdevice_attribute
        major = self._call("cuDeviceGetAttribute", attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, self.device)
        minor = self._call("cuDeviceGetAttribute", attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, self.device)
        return int(major), int(minor)

    def alloc(self, nbytes: int) -> int:
        return int(self._call("cuMemAlloc", nbytes))

    def free(self, pointer: int) -> None:
        self._call("cuMemFree", pointer)

    def copy_to_device(self, pointer: int, array: np.ndarray) -> None:
        self._call("cuMemcpyHtoD", pointer, array.ctypes.data, array.nbytes)

    def copy_to_host(self, array: np.ndarray, pointer: int) -> None:
        self._call("cuMemcpyDtoH", array.ctypes.data, pointer, array.nbytes)

    def copy_on_device(self, dst: int, src: int, nbytes: int) -> None:
        self._call("cuMemcpyDtoD", dst, src, nbytes)

    def launch(self, function: Any, grid: Sequence[int], block: Sequence[int], smem: int, params: int) -> None:
        self._call("cuLaunchKernel", function, *grid, *block, smem, 0, params, 0)

    def synchronize(self) -> None:
        self._call("cuCtxSynchronize")


class CtypesCudaDriver:
    """The driver API through ctypes on ``libcuda.so.1`` (no Python package needed)."""

    def __init__(self, device: int = 0) -> None:
        try:
            self.lib = ctypes.CDLL("libcuda.so.1")
        except OSError:
            raise TilewrightError(
                "no CUDA driver: libcuda.so.1 not found and cuda-bindings not installed (nvvm artifacts run on a "
                "machine with an NVIDIA GPU and its driver)"
            ) from None
        self._call("cuInit", ctypes.c_uint(0))
        count = ctypes.c_int()
        self._call("cuDeviceGetCount", ctypes.byref(count))
        if count.value <= device:
            raise TilewrightError(
                f"no CUDA GPU {device} is visible ({count.value} visible): nvvm artifacts run on a GPU"
            )
        dev, self.context = ctypes.c_int(), ctypes.c_void_p()
        self._call("cuDeviceGet", ctypes.byref(dev), ctypes.c_int(device))
        self.device = dev
        self._call("cuDevicePrimaryCtxRetain", ctypes.byref(self.context), dev)
        self._call("cuCtxSetCurrent", self.context)

    def _call(self, name: str, *args: Any) -> None:
        function = getattr(self.lib, name)
        function.restype = ctypes.c_int
        err = function(*args)
        if err:
            text = ctypes.c_char_p()
            self.lib.cuGetErrorName(ctypes.c_int(err), ctypes.byref(text))
            code = text.value.decode() if text.value else str(err)
            if code == "CUDA_ERROR_NO_DEVICE":
                raise TilewrightError("no CUDA GPU is visible (CUDA_ERROR_NO_DEVICE): nvvm artifacts run on a GPU")
            raise TilewrightError(f"{name} failed: {code}")

    def load_module(self, cubin: bytes | None, ptx: bytes | None) -> Any:
        module = ctypes.c_void_p()
        if cubin is not None:
            try:
                self._call("cuModuleLoadData", ctypes.byref(module), ctypes.c_char_p(cubin))
                return module
            except TilewrightError:
                if ptx is None:
                    raise
        assert ptx is not None
        self._call("cuModuleLoadData", ctypes.byref(module), ctypes.c_char_p(ptx + b"\0"))
        return module

    def function(self, module: Any, name: str) -> Any:
        function = ctypes.c_void_p()
        try:
            self._call("cuModuleGetFunction", ctypes.byref(function), module, name.encode())
        except TilewrightError:
            raise TilewrightError(f"the artifact's module has no kernel '{name}'") from None
        return function

    def compute_capability(self) -> tuple[int, int]:
        values = []
        for attribute in (CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR):
            value = ctypes.c_int()
            self._call("cuDeviceGetAttribute", ctypes.byref(value), ctypes.c_int(attribute), self.device)
            values.append(value.value)
        return values[0], values[1]

    def alloc(self, nbytes: int) -> int:
        pointer = ctypes.c_uint64()
        self._call("cuMemAlloc_v2", ctypes.byref(pointer), ctypes.c_size_t(nbytes))
        return pointer.value

    def free(self, pointer: int) -> None:
        self._call("cuMemFree_v2", ctypes.c_uint64(pointer))

    def copy_to_device(self, pointer: int, array: np.ndarray) -> None:
        self._call(
            "cuMemcpyHtoD_v2",
            ctypes.c_uint64(pointer),
            ctypes.c_void_p(array.ctypes.data),
            ctypes.c_size_t(array.nbytes),
        )

    def copy_to_host(self, array: np.ndarray, pointer: int) -> None:
        self._call(
            "cuMemcpyDtoH_v2",
            ctypes.c_void_p(array.ctypes.data),
            ctypes.c_uint64(pointer),
            ctypes.c_size_t(array.nbytes),
        )

    def copy_on_device(self, dst: int, src: int, nbytes: int) -> None:
        self._call("cuMemcpyDtoD_v2", ctypes.c_uint64(dst), ctypes.c_uint64(src), ctypes.c_size_t(nbytes))

    def launch(self, function: Any, grid: Sequence[int], block: Sequence[int], smem: int, params: int) -> None:
        dims = [ctypes.c_uint(int(v)) for v in (*grid, *block, smem)]
        self._call("cuLaunchKernel", function, *dims, ctypes.c_void_p(0), ctypes.c_void_p(params), ctypes.c_void_p(0))

    def synchronize(self) -> None:
        self._call("cuCtxSynchronize")


def default_driver() -> Any:
    """``cuda-bindings``' driver when installed, else ctypes on ``libcuda.so.1``."""
    try:
        _bindings()
    except TilewrightError:
        return CtypesCudaDriver()
    return CudaDriver()
