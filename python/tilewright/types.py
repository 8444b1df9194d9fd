"""Tensor types at the program boundary: MLIR element types <-> numpy dtypes."""

from __future__ import annotations

import re
from dataclasses import dataclass

import ml_dtypes
import numpy as np

# MLIR element type spelling -> numpy dtype. Unsigned types only appear in
# StableHLO signatures; after legalization they are signless, so the
# boundary types are always taken from the StableHLO (ingress) signature.
_ELEMENT_TO_DTYPE: dict[str, np.dtype] = {
    "i1": np.dtype(np.bool_),
    "i8": np.dtype(np.int8),
    "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
    "ui8": np.dtype(np.uint8),
    "ui16": np.dtype(np.uint16),
    "ui32": np.dtype(np.uint32),
    "ui64": np.dtype(np.uint64),
    "f16": np.dtype(np.float16),
    "bf16": np.dtype(ml_dtypes.bfloat16),
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
    "complex<f32>": np.dtype(np.complex64),
    "complex<f64>": np.dtype(np.complex128),
}
_DTYPE_TO_ELEMENT = {dtype: name for name, dtype in _ELEMENT_TO_DTYPE.items()}

_TENSOR = re.compile(r"^tensor<(?:(?P<dims>(?:[0-9?]+x)*))(?P<elem>[^<>,]+(?:<[^<>]+>)?)(?:,.*)?>$")


@dataclass(frozen=True)
class TensorType:
    """A static-shape ranked tensor type; ``shape == ()`` is rank 0."""

    shape: tuple[int, ...]
    element: str

    @property
    def dtype(self) -> np.dtype:
        try:
            return _ELEMENT_TO_DTYPE[self.element]
        except KeyError:
            raise ValueError(f"element type '{self.element}' has no numpy equivalent") from None

    @property
    def is_static(self) -> bool:
        return all(d >= 0 for d in self.shape)

    def __str__(self) -> str:
        dims = "".join(("?" if d < 0 else str(d)) + "x" for d in self.shape)
        return f"tensor<{dims}{self.element}>"

    @classmethod
    def parse(cls, text: str) -> TensorType:
        """Parse ``tensor<2x?xf32>`` (an encoding after the element type is ignored)."""
        text = text.strip()
        m = _TENSOR.match(text)
        if m is None:
            raise ValueError(f"unsupported boundary type '{text}' (expected a ranked tensor)")
        dims = [d for d in (m.group("dims") or "").split("x") if d]
        return cls(tuple(-1 if d == "?" else int(d) for d in dims), m.group("elem").strip())

    @classmethod
    def of_array(cls, array: np.ndarray) -> TensorType:
        element = _DTYPE_TO_ELEMENT.get(array.dtype)
        if element is None:
            raise ValueError(f"numpy dtype {array.dtype} has no MLIR equivalent")
        return cls(tuple(array.shape), element)


@dataclass(frozen=True)
class Signature:
    """Argument and result types of an entry function, as the user sees them."""

    inputs: tuple[TensorType, ...]
    results: tuple[TensorType, ...]

    def __str__(self) -> str:
        ins = ", ".join(map(str, self.inputs))
        outs = ", ".join(map(str, self.results))
        return f"({ins}) -> ({outs})"


def signature_of(function_type: object) -> Signature:
    """Signature of a ``FunctionType`` from either MLIR copy."""
    inputs = tuple(TensorType.parse(str(t)) for t in function_type.inputs)  # type: ignore[attr-defined]
    results = tuple(TensorType.parse(str(t)) for t in function_type.results)  # type: ignore[attr-defined]
    for t in (*inputs, *results):
        t.dtype  # noqa: B018 - raises ValueError now (at ingress) for e.g. i4, not when the entry is called
    return Signature(inputs, results)
