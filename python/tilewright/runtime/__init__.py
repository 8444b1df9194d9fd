"""Runtime: call compiled entry functions on numpy arrays.

The calling convention (set up by :mod:`tilewright.bufferize`) is
``entry(in_0, ..., in_n, out_0, ..., out_m)`` with every argument a pointer to
a ranked memref descriptor: results are allocated here with numpy and written
by the compiled code.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from tilewright.diagnostics import TilewrightError
from tilewright.runtime.memref import data_pointer, descriptor_for, empty_aligned, static_descriptor
from tilewright.types import Signature, TensorType

# Python scalars are weakly typed, as in JAX/XLA: they take the parameter's dtype when it
# is of a kind that holds them (an int may become a float, a float never an int). bool is
# not weak. Everything else is an array (numpy, JAX, a list turned by numpy.asarray) whose
# dtype and shape must be the parameter's.
_WEAK_SCALAR_KINDS: dict[type, str] = {int: "iufc", float: "fc", complex: "c"}


def _kind(dtype: np.dtype) -> str:
    """numpy's dtype kind, with ml_dtypes' floats (bfloat16: kind 'V') counted as floats."""
    return "f" if dtype.kind == "V" else dtype.kind


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _convert_weak_scalar(value: Any, expected: TensorType, index: int, entry: str) -> np.ndarray:
    what = f"argument #{index} of '@{entry}' is {_a('Python ' + type(value).__name__)}"
    dtype = expected.dtype
    if expected.shape != () or _kind(dtype) not in _WEAK_SCALAR_KINDS[type(value)]:
        raise TilewrightError(f"{what} ({value!r}), but the function expects {expected}")
    try:
        return np.asarray(value, dtype=dtype)
    except (OverflowError, TypeError, ValueError) as exc:
        raise TilewrightError(f"{what}: cannot convert to {expected}: {exc}") from None


def check_inputs(signature: Signature, args: Sequence[Any], entry: str) -> list[np.ndarray]:
    """Match arguments to the signature: Python scalars are converted, arrays must match exactly."""
    if len(args) != len(signature.inputs):
        raise TilewrightError(
            f"'@{entry}' takes {len(signature.inputs)} argument(s) {signature}, but {len(args)} were given"
        )
    arrays = []
    for index, (arg, expected) in enumerate(zip(args, signature.inputs, strict=True)):
        if type(arg) in _WEAK_SCALAR_KINDS:
            arrays.append(_convert_weak_scalar(arg, expected, index, entry))
            continue
        try:
            array = np.asarray(arg)
            given = TensorType.of_array(array)
        except ValueError as exc:
            raise TilewrightError(f"argument #{index} of '@{entry}': {exc}") from None
        if given != expected:
            origin = "" if isinstance(arg, np.ndarray | np.generic) else f", from {_a(type(arg).__name__)}"
            raise TilewrightError(
                f"argument #{index} of '@{entry}' has type {given} (numpy {array.dtype}{list(array.shape)}{origin}), "
                f"but the function expects {expected}"
            )
        arrays.append(np.ascontiguousarray(array))
    return arrays


class CpuFunction:
    """A JIT-compiled entry function, callable on numpy arrays.

    With static shapes (what the library compiles), every memref descriptor's sizes and
    strides are known at load time: the descriptors and the packed argument array are built
    once per thread, and a call only checks its arrays, allocates the results and stores
    the data pointers (small programs pay a few microseconds, not a signature walk).
    """

    def __init__(self, engine: Any, entry: str, signature: Signature, keepalive: Any = None) -> None:
        self._engine = engine
        self._entry = entry
        self.signature = signature
        self._keepalive = keepalive  # the MLIR context must outlive the engine
        self._function = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(engine.raw_lookup("_mlir_ciface_" + entry))
        types = (*signature.inputs, *signature.results)
        try:
            self._inputs = [(t.shape, t.dtype) for t in signature.inputs]
            self._results = [(t.shape, t.dtype) for t in signature.results]
            self._static = all(d >= 0 for t in types for d in t.shape)
        except ValueError:  # an element type numpy lacks: every call takes the checked path (and fails there)
            self._inputs, self._results, self._static = [], [], False
        self._per_thread = threading.local()

    def _frame(self) -> tuple[list[ctypes.Structure], Any]:
        """This thread's descriptors (inputs then results) and the packed pointers to them."""
        frame = getattr(self._per_thread, "frame", None)
        if frame is None:
            descriptors = [static_descriptor(shape, dtype) for shape, dtype in (*self._inputs, *self._results)]
            pointers = [ctypes.pointer(d) for d in descriptors]
            packed = (ctypes.c_void_p * len(pointers))(*[ctypes.addressof(p) for p in pointers])
            frame = self._per_thread.frame = (descriptors, packed, pointers)
        return frame[0], frame[1]

    def __call__(self, *args: Any) -> Any:
        if self._static and len(args) == len(self._inputs):
            inputs = []
            for arg, (shape, dtype) in zip(args, self._inputs, strict=True):
                if type(arg) is not np.ndarray or arg.shape != shape or arg.dtype != dtype:
                    break
                if not arg.flags.c_contiguous:
                    break
                inputs.append(arg)
            else:
                outputs = [empty_aligned(shape, dtype) for shape, dtype in self._results]
                descriptors, packed = self._frame()
                for d, array in zip(descriptors, (*inputs, *outputs), strict=True):
                    d.allocated = d.aligned = data_pointer(array)
                self._function(ctypes.addressof(packed))
                return outputs[0] if len(outputs) == 1 else tuple(outputs)
        return self._call_checked(args)

    def _call_checked(self, args: Sequence[Any]) -> Any:
        """Any arguments: Python scalars converted, arrays checked (errors name the argument)."""
        inputs = check_inputs(self.signature, args, self._entry)
        outputs = [empty_aligned(t.shape, t.dtype) for t in self.signature.results]
        descriptors = [descriptor_for(a) for a in (*inputs, *outputs)]
        pointers = [ctypes.pointer(d) for d in descriptors]
        packed = (ctypes.c_void_p * len(pointers))(*[ctypes.addressof(p) for p in pointers])
        self._function(ctypes.addressof(packed))
        if len(outputs) == 1:
            return outputs[0]
        return tuple(outputs)
