"""Convolutions in the layout the legalization names: ``stablehlo.convolution`` before legalization.

``stablehlo-legalize-to-linalg`` emits a named op (``linalg.conv_1d_nwc_wcf``,
``conv_2d_nhwc_hwcf``, ...) only for channels-last inputs with ``[spatial..., in, out]``
filters and no feature groups; every other layout (NCHW / OIHW as PyTorch-style code writes,
the ``[spatial..., out, in]`` filter that ``jax.grad`` of a convolution gives for the input's
gradient) and every grouped convolution becomes a ``linalg.generic`` that the schedule library
only tiles (scalar code). So, in jaxlib's MLIR, before legalization:

* **Layouts.** The input is transposed to ``[batch, spatial..., feature]``, the filter to
  ``[spatial..., in, out]``, the convolution computes ``[batch, spatial..., feature]`` and a
  transpose gives the original output layout. Window attributes index the spatial dims in
  their logical order, which the transposes keep. The transposes are copies the size of the
  operands, small beside the convolution; the linalg cleanup folds a transpose of a transpose.
* **Feature groups** (``1 < feature_group_count < input features``, at most
  ``MAX_SPLIT_GROUPS``; depthwise convolutions, one group per input feature, have named ops of
  their own): one convolution per group over its slice of the input features and of the
  filter's output features, concatenated along the output features.

Batch groups (the filter gradient of a grouped convolution) are left as they are.
"""

from __future__ import annotations

from typing import Any

from tilewright.mlir_env import find_ops

# More groups than this stay one grouped convolution (a generic): each group is a convolution
# of its own to compile.
MAX_SPLIT_GROUPS = 16


def canonicalize_convolutions(module: Any) -> None:
    """Apply the rewrites above to every ``stablehlo.convolution`` of ``module`` (jaxlib's MLIR)."""
    from jaxlib.mlir import ir as jir

    for op in find_ops(module, "stablehlo.convolution", jir):
        if jir.IntegerAttr(op.attributes["batch_group_count"]).value != 1:
            continue
        if not all(
            isinstance(v.type, jir.RankedTensorType) and v.type.has_static_shape for v in [*op.operands, op.result]
        ):
            continue
        with op.location, jir.InsertionPoint(op):
            _channels_last(op)
        groups = jir.IntegerAttr(op.attributes["feature_group_count"]).value
        features = jir.RankedTensorType(op.operands[0].type).shape[-1]
        if 1 < groups < features and groups <= MAX_SPLIT_GROUPS:
            with op.location, jir.InsertionPoint(op):
                _split_groups(op, groups)


def _permuted(value: Any, perm: list[int]) -> Any:
    """``stablehlo.transpose`` of ``value`` by ``perm`` (``value`` itself for the identity)."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    if perm == sorted(perm):
        return value
    t = jir.RankedTensorType(value.type)
    result = jir.RankedTensorType.get([t.shape[p] for p in perm], t.element_type)
    return stablehlo.TransposeOp(value, perm, results=[result]).result


def _canonical_numbers(rank: int) -> Any:
    from jaxlib.mlir.dialects import stablehlo

    spatial = list(range(1, rank - 1))
    return stablehlo.ConvDimensionNumbers.get(
        0, rank - 1, spatial, rank - 2, rank - 1, list(range(rank - 2)), 0, rank - 1, spatial
    )


def _channels_last(op: Any) -> None:
    """Transpose the operands and the result of ``op`` around a channels-last convolution."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    dn = stablehlo.ConvDimensionNumbers(op.attributes["dimension_numbers"])
    lhs_perm = [dn.input_batch_dimension, *dn.input_spatial_dimensions, dn.input_feature_dimension]
    rhs_perm = [*dn.kernel_spatial_dimensions, dn.kernel_input_feature_dimension, dn.kernel_output_feature_dimension]
    out_perm = [dn.output_batch_dimension, *dn.output_spatial_dimensions, dn.output_feature_dimension]
    if all(p == sorted(p) for p in (lhs_perm, rhs_perm, out_perm)):
        return
    op.operands[0] = _permuted(op.operands[0], lhs_perm)
    op.operands[1] = _permuted(op.operands[1], rhs_perm)
    out = jir.RankedTensorType(op.result.type)
    op.result.set_type(jir.RankedTensorType.get([out.shape[p] for p in out_perm], out.element_type))
    op.attributes["dimension_numbers"] = _canonical_numbers(len(out_perm))
    if out_perm != sorted(out_perm):
        back = [out_perm.index(d) for d in range(len(out_perm))]
        with jir.InsertionPoint.after(op):
            restored = _permuted(op.result, back)
        op.result.replace_all_uses_except(restored, restored.owner.operation)


def _slice(value: Any, axis: int, start: int, size: int) -> Any:
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    t = jir.RankedTensorType(value.type)
    begin = [0] * t.rank
    end = list(t.shape)
    begin[axis], end[axis] = start, start + size
    shape = list(t.shape)
    shape[axis] = size
    return stablehlo.SliceOp(
        value, begin, end, [1] * t.rank, results=[jir.RankedTensorType.get(shape, t.element_type)]
    ).result


def _split_groups(op: Any, groups: int) -> None:
    """One channels-last convolution per feature group, concatenated along the output features."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    lhs, rhs = op.operands[0], op.operands[1]
    rank = jir.RankedTensorType(lhs.type).rank
    out = jir.RankedTensorType(op.result.type)
    c_in = jir.RankedTensorType(lhs.type).shape[-1] // groups
    c_out = out.shape[-1] // groups
    shape = [*out.shape[:-1], c_out]
    parts = []
    for g in range(groups):
        x, w = _slice(lhs, rank - 1, g * c_in, c_in), _slice(rhs, rank - 1, g * c_out, c_out)
        conv = op.operation.clone()  # at the insertion point: after its operands
        conv.operands[0], conv.operands[1] = x, w
        conv.results[0].set_type(jir.RankedTensorType.get(shape, out.element_type))
        conv.attributes["feature_group_count"] = jir.IntegerAttr.get(jir.IntegerType.get_signless(64), 1)
        parts.append(conv.results[0])
    joined = stablehlo.ConcatenateOp(parts, rank - 1).result
    op.result.replace_all_uses_with(joined)
    op.operation.erase()
