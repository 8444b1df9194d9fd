"""Runtime: call compiled entry functions on numpy arrays.

The calling convention (set up by :mod:`tilewright.bufferize`) is
``entry(in_0, ..., in_n, out_0, ..., out_m)`` with every argument a pointer to
a ranked memref descriptor: results are allocated here with numpy and written
by the compiled code.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np

from tilewright.diagnostics import TilewrightError
from tilewright.runtime.memref import descriptor_for
from tilewright.types import Signature, TensorType


def check_inputs(signature: Signature, args: Sequence[Any], entry: str) -> list[np.ndarray]:
    """Match arguments to the signature; plain Python values are converted, arrays must match."""
    if len(args) != len(signature.inputs):
        raise TilewrightError(
            f"'@{entry}' takes {len(signature.inputs)} argument(s) {signature}, but {len(args)} were given"
        )
    arrays = []
    for index, (arg, expected) in enumerate(zip(args, signature.inputs, strict=True)):
        if not isinstance(arg, np.ndarray | np.generic):
            try:
                arg = np.asarray(arg, dtype=expected.dtype)
            except (TypeError, ValueError) as exc:
                raise TilewrightError(f"argument #{index} of '@{entry}': cannot convert to {expected}: {exc}") from None
        array = np.asarray(arg)
        try:
            given = TensorType.of_array(array)
        except ValueError as exc:
            raise TilewrightError(f"argument #{index} of '@{entry}': {exc}") from None
        if given != expected:
            raise TilewrightError(
                f"argument #{index} of '@{entry}' has type {given} (numpy {array.dtype}{list(array.shape)}), "
                f"but the function expects {expected}"
            )
        arrays.append(np.ascontiguousarray(array))
    return arrays


class CpuFunction:
    """A JIT-compiled entry function, callable on numpy arrays."""

    def __init__(self, engine: Any, entry: str, signature: Signature, keepalive: Any = None) -> None:
        self._engine = engine
        self._entry = entry
        self.signature = signature
        self._keepalive = keepalive  # the MLIR context must outlive the engine
        self._function = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(engine.raw_lookup("_mlir_ciface_" + entry))

    def __call__(self, *args: Any) -> Any:
        inputs = check_inputs(self.signature, args, self._entry)
        outputs = [np.empty(t.shape, dtype=t.dtype) for t in self.signature.results]
        descriptors = [descriptor_for(a) for a in (*inputs, *outputs)]
        pointers = [ctypes.pointer(d) for d in descriptors]
        packed = (ctypes.c_void_p * len(pointers))(*[ctypes.addressof(p) for p in pointers])
        self._function(ctypes.addressof(packed))
        if len(outputs) == 1:
            return outputs[0]
        return tuple(outputs)
