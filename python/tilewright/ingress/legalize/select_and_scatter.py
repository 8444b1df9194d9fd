"""``stablehlo.select_and_scatter`` (the gradient of max/min pooling) as loops.

For every element of ``source`` (one per window, in row-major order):

    selected = none
    for each window position inside the operand (padding is never selected):
        if selected is none or not select(operand[selected], operand[pos]):
            selected = pos
    if selected: result[selected] = scatter(result[selected], source[window])

``result`` starts as ``init_value`` everywhere. The select region (returning
``tensor<i1>``) and the scatter region are inlined into the loop bodies. This
is XLA's reference order, so ties pick the first position, as JAX expects.
"""

from __future__ import annotations

from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, stablehlo

from tilewright.ingress.legalize import _build as b


def lower_select_and_scatter(op: Any) -> None:
    """Replace one ``stablehlo.select_and_scatter`` by loops (see the module docstring)."""
    operand, source, init = op.operands
    op_type = b.static_tensor_type(op, operand, "the operand")
    src_type = b.static_tensor_type(op, source, "the source")
    result_type = b.static_tensor_type(op, op.results[0], "the result")
    rank = op_type.rank
    window = b.dense_i64(b.get_attr(op, "window_dimensions")) or [1] * rank
    strides = b.dense_i64(b.get_attr(op, "window_strides")) or [1] * rank
    padding = b.dense_i64(b.get_attr(op, "padding")) or [0] * (2 * rank)
    if len(window) != rank or len(strides) != rank or len(padding) != 2 * rank:
        raise b.unsupported(op, "window attributes do not match the operand's rank")
    select_region, scatter_region = op.regions
    b.check_single_block(op, select_region, "the select computation", 2)
    b.check_single_block(op, scatter_region, "the scatter computation", 2)
    rank0 = ir.RankedTensorType.get([], op_type.element_type)
    for arg in [*select_region.blocks[0].arguments, *scatter_region.blocks[0].arguments]:
        if arg.type != rank0:
            raise b.unsupported(op, f"a computation argument of type {arg.type} for elements of {op_type}")

    filled = stablehlo.BroadcastInDimOp(result_type, init, ir.DenseI64ArrayAttr.get([])).result
    if 0 in op_type.shape or 0 in src_type.shape:
        b.replace_op(op, [filled])
        return
    operand_s = b.to_signless(operand)
    source_s = b.to_signless(source)

    def per_window(sivs: list[Any], carried: list[Any]) -> list[Any]:
        (acc,) = carried
        starts = [
            arith.subi(arith.muli(iv, b.const_index(s)), b.const_index(lo))
            for iv, s, lo in zip(sivs, strides, padding[0::2], strict=True)
        ]
        placeholder = b.tensor_extract(operand_s, [b.const_index(0)] * rank)
        inits = [*[b.const_index(0)] * rank, placeholder, b.const_bool(False)]

        def candidate(wivs: list[Any], state: list[Any]) -> list[Any]:
            pos = [arith.addi(s, w) for s, w in zip(starts, wivs, strict=True)]
            inside = b.all_true(
                [b.cmp_index("sge", p, b.const_index(0)) for p in pos]
                + [b.cmp_index("slt", p, b.const_index(n)) for p, n in zip(pos, op_type.shape, strict=True)]
            )

            def consider() -> list[Any]:
                *best, best_val, found = state
                value = b.tensor_extract(operand_s, pos)
                (keep,) = b.inline_region(
                    select_region, [b.scalar_tensor(best_val, rank0), b.scalar_tensor(value, rank0)]
                )
                keep = arith.andi(found, b.tensor_scalar(keep))
                return [
                    *[arith.select(keep, o, p) for o, p in zip(best, pos, strict=True)],
                    arith.select(keep, best_val, value),
                    b.const_bool(True),
                ]

            return b.if_else(inside, [v.type for v in state], consider, lambda: state)

        *selected, _, found = b.loop_nest(window, inits, candidate)

        def scatter() -> list[Any]:
            current = b.scalar_tensor(b.tensor_extract(acc, selected), rank0)
            update = b.scalar_tensor(b.tensor_extract(source_s, sivs), rank0)
            (combined,) = b.inline_region(scatter_region, [current, update])
            return [b.tensor_insert(b.tensor_scalar(combined), acc, selected)]

        return b.if_else(found, [acc.type], scatter, lambda: [acc])

    (result,) = b.loop_nest(list(src_type.shape), [b.to_signless(filled)], per_window)
    b.replace_op(op, [b.to_type(result, result_type)])
