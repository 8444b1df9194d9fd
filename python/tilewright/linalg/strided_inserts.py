"""Strided ``tensor.insert_slice`` into a filled tensor -> unit-stride reshapes and pads.

The StableHLO legalization lowers a convolution's ``lhs_dilation`` (what ``jax.grad`` of a
strided convolution gives, and transposed convolutions) to a ``linalg.fill`` of zeros with
the input inserted at a stride: ``tensor.insert_slice %x into %zeros[o] [n] [s]``. Upstream's
vectorization of ``insert_slice`` (MLIR 22, run by the library's function-wide
vectorization) ignores the strides and writes wrong results, so such modules stayed
unscheduled, every convolution and matmul in them running as scalar loops.

The same tensor is built here from unit-stride ops the schedule library handles: along each
strided dim, ``expand_shape`` gives the source a unit dim after it (``n`` -> ``n x 1``), a
``tensor.pad`` pads that unit dim to ``s`` with the fill value (every element followed by
``s - 1`` fill values), ``collapse_shape`` merges the pair back (``n * s``), an
``extract_slice`` drops the trailing fill values that fall outside the destination, and a
second ``tensor.pad`` places the result at offset ``o`` in the destination's shape. Large
pads become tiled buffers in the default schedule (:mod:`tilewright.schedule.cpu.pad`).

Only inserts into a ``linalg.fill`` result, static and not rank-reducing, are rewritten;
anything else is left as it is (and the default schedule still refuses it, with a warning).
"""

from __future__ import annotations

from mlir import ir
from mlir.dialects import tensor

from tilewright.mlir_env import find_ops


def _static(op: ir.Operation, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _fill_value(dest: ir.Value) -> ir.Value | None:
    """The scalar a ``linalg.fill`` writes when ``dest`` is its result."""
    owner = dest.owner
    if not isinstance(owner, ir.Operation | ir.OpView) or owner.operation.name != "linalg.fill":
        return None
    return owner.operation.operands[0]


def _pad(source: ir.Value, low: list[int], high: list[int], value: ir.Value) -> ir.Value:
    """``tensor.pad`` of ``source`` by static ``low``/``high`` amounts with ``value``."""
    src_type = ir.RankedTensorType(source.type)
    shape = [d + lo + hi for d, lo, hi in zip(src_type.shape, low, high, strict=True)]
    result = ir.RankedTensorType.get(shape, src_type.element_type)
    pad = tensor.PadOp(result, source, [], [], low, high)
    block = pad.region.blocks.append(*[ir.IndexType.get()] * len(shape))
    with ir.InsertionPoint(block):
        tensor.YieldOp(value)
    return pad.result


def _rewrite(op: ir.Operation) -> bool:
    """Replace one strided insert_slice (see the module docstring); False when it does not qualify."""
    strides, offsets, sizes = (_static(op, n) for n in ("static_strides", "static_offsets", "static_sizes"))
    if all(s == 1 for s in strides) or any(v < 0 for v in [*strides, *offsets, *sizes]):
        return False  # unit strides, or dynamic values (kDynamic is negative)
    source, dest = op.operands[0], op.operands[1]
    src_type, dst_type = ir.RankedTensorType(source.type), ir.RankedTensorType(dest.type)
    if not (src_type.has_static_shape and dst_type.has_static_shape) or list(src_type.shape) != sizes:
        return False  # dynamic, or rank-reducing
    value = _fill_value(dest)
    if value is None:
        return False
    element = src_type.element_type
    with op.location, ir.InsertionPoint(op):
        # n -> n x 1 along every strided dim, padded to n x s, merged back to n * s.
        groups: list[list[int]] = []
        expanded: list[int] = []
        for n, s in zip(sizes, strides, strict=True):
            groups.append([len(expanded)] if s == 1 else [len(expanded), len(expanded) + 1])
            expanded += [n] if s == 1 else [n, 1]
        x = source
        if len(expanded) != len(sizes):
            x = tensor.ExpandShapeOp(ir.RankedTensorType.get(expanded, element), x, groups, [], expanded).result
            high = [0] * len(expanded)
            for g, s in zip(groups, strides, strict=True):
                if len(g) == 2:
                    high[g[1]] = s - 1
            x = _pad(x, [0] * len(expanded), high, value)
            x = tensor.CollapseShapeOp(
                ir.RankedTensorType.get([n * s for n, s in zip(sizes, strides, strict=True)], element), x, groups
            ).result
        # Drop the fill values past the destination, then place the rest at the offsets.
        spread = [n * s for n, s in zip(sizes, strides, strict=True)]
        kept = [min(n, d - o) for n, d, o in zip(spread, dst_type.shape, offsets, strict=True)]
        if kept != spread:
            x = tensor.ExtractSliceOp(
                ir.RankedTensorType.get(kept, element), x, [], [], [], [0] * len(kept), kept, [1] * len(kept)
            ).result
        high = [d - o - k for d, o, k in zip(dst_type.shape, offsets, kept, strict=True)]
        if any(offsets) or any(high):
            x = _pad(x, offsets, high, value)
    op.results[0].replace_all_uses_with(x)
    op.erase()
    return True


def unit_stride_inserts(module: ir.Operation) -> int:
    """Rewrite every qualifying strided ``tensor.insert_slice`` in ``module``; returns how many."""
    return sum(_rewrite(op) for op in find_ops(module, "tensor.insert_slice"))


def unit_stride_inserts_pass(module: ir.Operation, _pass: object) -> None:
    """The pass entry (``PassManager.add``)."""
    unit_stride_inserts(module)
