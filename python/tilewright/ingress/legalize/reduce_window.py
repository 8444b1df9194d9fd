"""``stablehlo.reduce_window`` whose reduction the legalization cannot convert, as loops.

``stablehlo-legalize-to-linalg`` lowers reduce_window to ``linalg.pooling_*``
or a ``linalg.generic`` when the reduction body is made of StableHLO ops; a
body with anything else (JAX's ``cumlogsumexp`` calls a ``@logaddexp``
function) is left behind. Those become loops, exactly per the spec:

    for each output index o:
        acc = init
        for each window index w:
            p = o * stride + w * window_dilation - padding_low   (base-dilated space)
            if p is on the base grid and inside: acc = body(acc, input[p / base_dilation])
        result[o] = acc

Padding and base-dilation holes are skipped, which is what XLA (and so JAX)
computes; the spec's "padding holds the init value" gives the same result
whenever the init value is the reduction's identity. Bodies of
StableHLO ops only are left to the legalization (vectorizable pooling ops).
A window over a whole dimension with one-sided padding (``cumsum`` & co.) is
a prefix scan, lowered in O(n) by :mod:`tilewright.ingress.legalize.scan` first.
"""

from __future__ import annotations

from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, stablehlo

from tilewright.ingress.legalize import _build as b
from tilewright.ingress.legalize.scan import lower_scan


def _needs_loops(op: Any) -> bool:
    body = op.regions[0].blocks[0]
    return any(not inner.name.startswith("stablehlo.") for inner in body.operations)


def lower_reduce_window(op: Any) -> None:
    """Replace one ``stablehlo.reduce_window`` by a scan (:mod:`.scan`) or by loops, unless legalization handles it."""
    if lower_scan(op) or not _needs_loops(op):
        return
    n = len(op.results)
    inputs, inits = list(op.operands[:n]), list(op.operands[n:])
    in_types = [b.static_tensor_type(op, v, "an input") for v in inputs]
    out_types = [b.static_tensor_type(op, v, "a result") for v in op.results]
    rank = in_types[0].rank
    window = b.dense_i64(b.get_attr(op, "window_dimensions"))
    strides = b.dense_i64(b.get_attr(op, "window_strides")) or [1] * rank
    base_dil = b.dense_i64(b.get_attr(op, "base_dilations")) or [1] * rank
    win_dil = b.dense_i64(b.get_attr(op, "window_dilations")) or [1] * rank
    padding = b.dense_i64(b.get_attr(op, "padding")) or [0] * (2 * rank)
    if not all(len(a) == rank for a in (window, strides, base_dil, win_dil)) or len(padding) != 2 * rank:
        raise b.unsupported(op, "window attributes do not match the input's rank")
    region = op.regions[0]
    b.check_single_block(op, region, "the reduction body", 2 * n)
    rank0 = [ir.RankedTensorType.get([], t.element_type) for t in in_types]
    for k, arg in enumerate(region.blocks[0].arguments):
        if arg.type != rank0[k % n]:
            raise b.unsupported(op, f"reduction argument #{k} of type {arg.type} for elements of {in_types[k % n]}")

    data = [b.to_signless(v) for v in inputs]
    init_scalars = [b.tensor_scalar(v) for v in inits]
    filled = [
        b.to_signless(stablehlo.BroadcastInDimOp(t, v, ir.DenseI64ArrayAttr.get([])).result)
        for t, v in zip(out_types, inits, strict=True)
    ]

    def per_output(oivs: list[Any], results: list[Any]) -> list[Any]:
        def per_element(wivs: list[Any], accs: list[Any]) -> list[Any]:
            inside, index = [], []
            for d in range(rank):
                p = arith.subi(
                    arith.addi(
                        arith.muli(oivs[d], b.const_index(strides[d])), arith.muli(wivs[d], b.const_index(win_dil[d]))
                    ),
                    b.const_index(padding[2 * d]),
                )
                q = arith.divsi(p, b.const_index(base_dil[d])) if base_dil[d] != 1 else p
                inside.append(b.cmp_index("sge", p, b.const_index(0)))
                inside.append(b.cmp_index("slt", q, b.const_index(in_types[0].shape[d])))
                if base_dil[d] != 1:
                    rem = arith.remsi(p, b.const_index(base_dil[d]))
                    inside.append(b.cmp_index("eq", rem, b.const_index(0)))
                clamped = arith.maxsi(arith.minsi(q, b.const_index(in_types[0].shape[d] - 1)), b.const_index(0))
                index.append(clamped)
            ok = b.all_true(inside)
            values = [b.tensor_extract(t, index) for t in data]  # clamped: always a valid read
            args = [b.scalar_tensor(a, t) for a, t in zip(accs, rank0, strict=True)]
            args += [b.scalar_tensor(v, t) for v, t in zip(values, rank0, strict=True)]
            reduced = [b.tensor_scalar(v) for v in b.inline_region(region, args)]
            return [arith.select(ok, r, a) for r, a in zip(reduced, accs, strict=True)]

        accs = b.loop_nest(window, init_scalars, per_element)
        return [b.tensor_insert(a, r, oivs) for a, r in zip(accs, results, strict=True)]

    results = b.loop_nest(list(out_types[0].shape), filled, per_output)
    b.replace_op(op, [b.to_type(r, t) for r, t in zip(results, out_types, strict=True)])
