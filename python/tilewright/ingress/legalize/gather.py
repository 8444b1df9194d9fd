"""``stablehlo.gather`` of contiguous rows (an embedding lookup) as a loop of row copies.

Upstream's legalization turns every gather into one ``linalg.generic`` whose body
``tensor.extract``s each element at a data-dependent position; the default schedule
leaves such a body as scalar loops (a load of the index and of one element per
result element). When each gathered slice is a contiguous block of the operand
(``slice_sizes`` ones, then at most one partial dim, then whole dims: ``table[tokens]``,
``jnp.take(x, i, axis=0)``), the gather is instead

    for each index position (the result's dims outside offset_dims):
        start = indices[position], clamped into the operand as StableHLO says
        result[position, ...] = operand[start : start + slice_sizes]

a ``tensor.extract_slice`` and a ``tensor.insert_slice`` per position, which
bufferization turns into one contiguous copy. A gather whose only use sums it over
some index dims (an embedding bag, ``table[tokens].mean(1)``) becomes that sum:
each row is added into its row of the result as it is gathered, and the gathered
rows are never stored. Other gathers (scalar slices as in ``take_along_axis``,
strided columns, batching dims) are left to upstream.
"""

from __future__ import annotations

import math
from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, stablehlo

from tilewright.ingress.legalize import _build as b


def lower_gather(op: Any) -> None:
    """Replace a contiguous-row ``stablehlo.gather`` by row copies; leave any other gather."""
    operand, indices = op.operands[0], op.operands[1]
    if not all(
        isinstance(v.type, ir.RankedTensorType) and ir.RankedTensorType(v.type).has_static_shape
        for v in (operand, indices, op.result)
    ):
        return  # upstream reports what it cannot lower
    dn = stablehlo.GatherDimensionNumbers(op.attributes["dimension_numbers"])
    operand_type = ir.RankedTensorType(operand.type)
    idx_type = ir.RankedTensorType(indices.type)
    result_type = ir.RankedTensorType(op.result.type)
    slice_sizes = b.dense_i64(b.get_attr(op, "slice_sizes"))
    operand_shape = list(operand_type.shape)
    if (
        list(dn.operand_batching_dims)
        or not isinstance(idx_type.element_type, ir.IntegerType)
        or not _contiguous(slice_sizes, operand_shape)
        or math.prod(slice_sizes) <= 1
        or math.prod(result_type.shape) == 0
    ):
        return
    offset_dims = list(dn.offset_dims)
    ivd = int(dn.index_vector_dim)
    start_index_map = list(dn.start_index_map)
    batch_dims = [d for d in range(result_type.rank) if d not in offset_dims]
    batch_shape = [result_type.shape[d] for d in batch_dims]
    kept = [slice_sizes[d] for d in range(len(operand_shape)) if d not in list(dn.collapsed_slice_dims)]
    row_in_result = [1 if d in batch_dims else n for d, n in enumerate(result_type.shape)]
    if not (b.drops_leading_units(slice_sizes, kept) and b.drops_leading_units(row_in_result, kept)):
        return  # offset dims before index dims (x[:, i] as rows): see b.drops_leading_units
    # A single position leaves no loop around the writes (see scatter.py: upstream bufferization
    # then drops the copy of a destination that a row written at offsets 0 does not cover).
    summed = _sum_over_index_dims(op, batch_dims) if math.prod(batch_shape) > 1 else None
    if summed is not None:
        # Rows of the sum: the result without the summed dims; a leading unit dim where there is
        # one (a 1xW row op is kept whole by the library and added in place, see scatter.py).
        reduce_op, summed_dims = summed
        out_type = ir.RankedTensorType(reduce_op.result.type)
        out_dims = [d for d in range(result_type.rank) if d not in summed_dims]
        row_in_out = [row_in_result[d] for d in out_dims]
        row = [1, *kept] if len(kept) == 1 else kept
        if b.drops_leading_units(row_in_out, row) and b.drops_leading_units(slice_sizes, row):
            kept = row
        elif not b.drops_leading_units(row_in_out, kept):
            summed = None
    row_type = ir.RankedTensorType.get(kept, b.signless_element(operand_type.element_type))

    i64 = ir.IntegerType.get_signless(64)
    idx_i64_type = ir.RankedTensorType.get(idx_type.shape, i64)
    idx = indices if indices.type == idx_i64_type else stablehlo.ConvertOp(idx_i64_type, indices).result
    source = b.to_signless(operand)

    def row_at(ivs: list[Any]) -> Any:
        starts = [b.const_index(0)] * len(operand_shape)
        for k, d in enumerate(start_index_map):
            pos = list(ivs)
            if ivd < idx_type.rank:
                pos.insert(ivd, b.const_index(k))
            start = b.index_of(b.tensor_extract(idx, pos))
            # StableHLO clamps the start so that the whole slice is inside the operand.
            start = arith.maxsi(start, b.const_index(0))
            starts[d] = arith.minsi(start, b.const_index(operand_shape[d] - slice_sizes[d]))
        return b.extract_slice(source, starts, slice_sizes, row_type)

    def position(ivs: list[Any], dims: list[int]) -> list[Any]:
        """Offsets of the row at gather position ``ivs`` in a tensor of the result's ``dims``."""
        at = dict(zip(batch_dims, ivs, strict=True))
        return [at.get(d, b.const_index(0)) for d in dims]

    if summed is None:
        empty = ir.Operation.create("tensor.empty", results=[b.signless_type(result_type)]).result

        def copy_row(ivs: list[Any], carried: list[Any]) -> list[Any]:
            offsets = position(ivs, list(range(result_type.rank)))
            return [b.insert_slice(row_at(ivs), carried[0], offsets, row_in_result)]

        (result,) = b.loop_nest(batch_shape, [empty], copy_row)
        b.replace_op(op, [b.to_type(result, result_type)])
        return

    def add_row(ivs: list[Any], carried: list[Any]) -> list[Any]:
        offsets = position(ivs, out_dims)
        acc = b.extract_slice(carried[0], offsets, row_in_out, row_type)
        total = stablehlo.AddOp(acc, row_at(ivs)).result
        return [b.insert_slice(total, carried[0], offsets, row_in_out)]

    with reduce_op.location, ir.InsertionPoint(reduce_op):  # its init may come after the gather
        init = b.to_signless(reduce_op.operands[1])
        start = stablehlo.BroadcastInDimOp(b.signless_type(out_type), init, []).result
        (result,) = b.loop_nest(batch_shape, [start], add_row)
        b.replace_op(reduce_op, [b.to_type(result, out_type)])
    op.erase()


def _sum_over_index_dims(op: Any, batch_dims: list[int]) -> tuple[Any, list[int]] | None:
    """The ``stablehlo.reduce`` that sums the gather over some of its index dims, when it is the
    gather's only use (an embedding bag: ``table[tokens].sum(1)``, ``.mean(1)``), with those dims.

    Such a gather is lowered as the sum itself, each row added into its row of the result, so
    the gathered rows (4 MB in the zoo's train step) are never stored and read back.
    """
    uses = list(op.result.uses)
    if len(uses) != 1 or uses[0].owner.name != "stablehlo.reduce" or uses[0].operand_number != 0:
        return None
    reduce_op = uses[0].owner
    if len(reduce_op.operands) != 2 or len(reduce_op.results) != 1:
        return None
    dims = b.dense_i64(b.get_attr(reduce_op, "dimensions"))
    if not dims or any(d not in batch_dims for d in dims):
        return None
    blocks = list(reduce_op.regions[0].blocks)
    if len(blocks) != 1:
        return None
    body = list(blocks[0].operations)
    args = list(blocks[0].arguments)
    if len(body) != 2 or body[0].name != "stablehlo.add" or body[1].name != "stablehlo.return":
        return None
    lhs, rhs = list(body[0].operands)
    if len(args) != 2 or {(lhs == args[0], rhs == args[1]), (lhs == args[1], rhs == args[0])} == {(False, False)}:
        return None
    if len(body[1].operands) != 1 or body[1].operands[0] != body[0].result:
        return None
    return reduce_op, dims


def _contiguous(slice_sizes: list[int], shape: list[int]) -> bool:
    """Whether a slice of ``slice_sizes`` is one contiguous block of a row-major ``shape``:
    unit dims, then at most one partial dim, then whole dims."""
    partial = False
    for size, full in zip(slice_sizes, shape, strict=True):
        if partial and size != full:
            return False
        if size != 1:
            partial = True
    return True
