"""``stablehlo.fft`` (FFT, IFFT, RFFT, IRFFT) as DFTs: real matmuls with constant twiddles.

Each transformed axis is one ``dot_general`` of the real and imaginary parts
with cos/sin matrices computed in float64 and rounded once to the element
type; an n-D transform applies the 1-D one axis by axis (it is separable):

    FFT:   Xr = xr C + xi S        Xi = xi C - xr S         (C, S = cos, sin(2 pi jk / n))
    IFFT:  Xr = (xr C - xi S) / n  Xi = (xi C + xr S) / n
    RFFT:  the FFT of a real x, keeping k = 0 .. n/2
    IRFFT: x = sum_k w_k (Xr cos - Xi sin) / n over k = 0 .. n/2, with w_k = 2
           for the terms that stand for a conjugate pair (Hermitian input)

O(n^2) per axis, but plain dense linear algebra that legalizes to linalg and
vectorizes; exact for any length (no power-of-two restriction). The complex
values are split with ``stablehlo.real``/``imag`` and rebuilt with
``stablehlo.complex``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from tilewright.ingress.legalize import _build as b


def _twiddles(n_in: int, n_out: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of 2 pi j k / n for j < n_in, k < n_out, in float64 (integer phase reduced first)."""
    jk = np.outer(np.arange(n_in, dtype=np.int64), np.arange(n_out, dtype=np.int64)) % n
    phase = 2 * np.pi * jk / n
    return np.cos(phase), np.sin(phase)


def _const(array: np.ndarray, elem: ir.Type) -> Any:
    """A constant of element type ``elem`` (f32/f64), rounded once from float64."""
    t = ir.RankedTensorType.get(list(array.shape), elem)
    data = np.ascontiguousarray(array.astype(_np_dtype(elem)))
    return stablehlo.ConstantOp(ir.DenseElementsAttr.get(data, type=t)).result


def _shape(v: Any) -> list[int]:
    return list(ir.RankedTensorType(v.type).shape)


def _along(x: Any, axis: int, matrix: Any) -> Any:
    """``x`` with its ``axis`` (length n_in) multiplied by ``matrix`` (n_in x n_out)."""
    shape = _shape(x)
    rank = len(shape)
    elem = ir.RankedTensorType(x.type).element_type
    n_out = _shape(matrix)[1]
    dims = stablehlo.DotDimensionNumbers.get(
        lhs_batching_dimensions=[],
        rhs_batching_dimensions=[],
        lhs_contracting_dimensions=[axis],
        rhs_contracting_dimensions=[0],
    )
    out_shape = [d for i, d in enumerate(shape) if i != axis] + [n_out]
    dot = stablehlo.DotGeneralOp(ir.RankedTensorType.get(out_shape, elem), x, matrix, dims).result
    if axis == rank - 1:
        return dot
    perm = [*range(axis), rank - 1, *range(axis, rank - 1)]
    return stablehlo.TransposeOp(dot, ir.DenseI64ArrayAttr.get(perm)).result


def _add(x: Any, y: Any) -> Any:
    return stablehlo.AddOp(x, y).result


def _sub(x: Any, y: Any) -> Any:
    return stablehlo.SubtractOp(x, y).result


def _scale(x: Any, factor: float) -> Any:
    elem = ir.RankedTensorType(x.type).element_type
    c = _const(np.array(factor, dtype=_np_dtype(elem)), elem)
    full = stablehlo.BroadcastInDimOp(x.type, c, ir.DenseI64ArrayAttr.get([])).result
    return stablehlo.MulOp(x, full).result


def _np_dtype(elem: ir.Type) -> Any:
    return np.float64 if isinstance(elem, ir.F64Type) else np.float32


def _complex_dft(xr: Any, xi: Any, axis: int, n: int, inverse: bool) -> tuple[Any, Any]:
    elem = ir.RankedTensorType(xr.type).element_type
    cos, sin = _twiddles(n, n, n)
    c, s = _const(cos, elem), _const(sin, elem)
    rc, rs, ic, is_ = _along(xr, axis, c), _along(xr, axis, s), _along(xi, axis, c), _along(xi, axis, s)
    if not inverse:
        return _add(rc, is_), _sub(ic, rs)
    return _scale(_sub(rc, is_), 1.0 / n), _scale(_add(ic, rs), 1.0 / n)


def lower_fft(op: Any) -> None:
    """Replace one ``stablehlo.fft`` by DFT matmuls (see the module docstring)."""
    (x,) = op.operands
    in_type = b.static_tensor_type(op, x, "the operand")
    b.static_tensor_type(op, op.results[0], "the result")
    kind = str(op.attributes["fft_type"]).split()[-1].rstrip(">")
    lengths = b.dense_i64(op.attributes["fft_length"])
    rank = in_type.rank
    axes = list(range(rank - len(lengths), rank))
    in_elem = in_type.element_type
    real_elem = ir.ComplexType(in_elem).element_type if isinstance(in_elem, ir.ComplexType) else in_elem
    if not isinstance(real_elem, ir.F32Type | ir.F64Type):
        raise b.unsupported(op, f"element type {in_elem} (complex<f32>/complex<f64> and f32/f64 only)")
    if kind not in ("FFT", "IFFT", "RFFT", "IRFFT"):
        raise b.unsupported(op, f"fft_type {kind}")
    if 0 in lengths:
        raise b.unsupported(op, "an fft_length of 0")

    def split(v: Any) -> tuple[Any, Any]:
        return stablehlo.RealOp(v).result, stablehlo.ImagOp(v).result

    if kind in ("FFT", "IFFT"):
        xr, xi = split(x)
        for axis, n in zip(axes, lengths, strict=True):
            xr, xi = _complex_dft(xr, xi, axis, n, inverse=kind == "IFFT")
        result = stablehlo.ComplexOp(xr, xi).result
    elif kind == "RFFT":
        n = lengths[-1]
        cos, sin = _twiddles(n, n // 2 + 1, n)
        xr = _along(x, axes[-1], _const(cos, real_elem))
        xi = _scale(_along(x, axes[-1], _const(sin, real_elem)), -1.0)
        for axis, m in zip(axes[:-1], lengths[:-1], strict=True):
            xr, xi = _complex_dft(xr, xi, axis, m, inverse=False)
        result = stablehlo.ComplexOp(xr, xi).result
    else:  # IRFFT
        xr, xi = split(x)
        for axis, m in zip(axes[:-1], lengths[:-1], strict=True):
            xr, xi = _complex_dft(xr, xi, axis, m, inverse=True)
        n = lengths[-1]
        half = n // 2 + 1
        if in_type.shape[-1] != half:
            raise b.unsupported(op, f"IRFFT of length {n} needs {half} input elements, got {in_type.shape[-1]}")
        cos, sin = _twiddles(half, n, n)
        weights = np.full((half, 1), 2.0)
        weights[0] = 1.0
        if n % 2 == 0:
            weights[-1] = 1.0
        cos, sin = cos * weights / n, sin * weights / n
        result = _sub(_along(xr, axes[-1], _const(cos, real_elem)), _along(xi, axes[-1], _const(sin, real_elem)))
    b.replace_op(op, [result])
