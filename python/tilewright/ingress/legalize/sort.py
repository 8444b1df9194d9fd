"""``stablehlo.sort`` as a stable bottom-up merge sort in ``scf`` loops.

(Comparators JAX emits for one key take the vectorized sort of
:mod:`sort_network` first; this is the lowering for every other one.)

Every 1-D slice along ``dimension`` is sorted independently (a loop nest over
the other dimensions). Per slice, ``ceil(log2 n)`` passes merge runs of width
``w = 1, 2, 4, ...`` from one buffer into the other:

    for each pair of runs [lo, mid) [mid, hi):
        for k in [lo, hi):
            take_right = j < hi and (i >= mid or comparator(right, left))
            dst[k] = src[j] if take_right else src[i]; advance i or j

Ties take the left element, so the sort is stable whatever ``is_stable``
says (which only permits instability). All operands move together; the
comparator (on rank-0 tensors, arguments ``lhs0, rhs0, lhs1, rhs1, ...``) is
copied into the innermost loop of each pass; the passes are unrolled (static
widths), so no loop swaps buffers, which one-shot bufferization rejects.
O(n log n) comparisons per slice.
"""

from __future__ import annotations

from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, scf

from tilewright.ingress.legalize import _build as b
from tilewright.ingress.legalize.sort_network import lower_sort_network


def lower_sort(op: Any) -> None:
    """Replace one ``stablehlo.sort`` by the vectorized sort when its comparator is one JAX emits
    for one key (:mod:`sort_network`), else by a merge sort (see the module docstring)."""
    if lower_sort_network(op):
        return
    inputs = list(op.operands)
    types = [b.static_tensor_type(op, v, "an operand") for v in inputs]
    shape = list(types[0].shape)
    rank = len(shape)
    dimension = ir.IntegerAttr(op.attributes["dimension"]).value if "dimension" in op.attributes else -1
    if dimension < 0:
        dimension += rank
    if not 0 <= dimension < rank:
        raise b.unsupported(op, f"sort dimension {dimension} of a rank-{rank} operand")
    comparator = op.regions[0]
    b.check_single_block(op, comparator, "the comparator", 2 * len(inputs))
    rank0 = [ir.RankedTensorType.get([], t.element_type) for t in types]
    for k, arg in enumerate(comparator.blocks[0].arguments):
        if arg.type != rank0[k // 2]:
            raise b.unsupported(op, f"comparator argument #{k} of type {arg.type} for elements of {types[k // 2]}")

    n = shape[dimension]
    passes = (n - 1).bit_length()  # ceil(log2 n) for n >= 1
    if passes == 0 or 0 in shape:
        b.replace_op(op, inputs)
        return

    values = [b.to_signless(v) for v in inputs]
    # Scratch buffers start as copies of the data, not as tensor.empty: CSE
    # merges equal-typed empties and bufferization may then give two loop-carried
    # buffers one allocation (an empty tensor's contents are never "read").
    scratch = list(values)
    other_dims = [d for d in range(rank) if d != dimension]
    count = len(inputs)

    def sort_slice(ivs: list[Any], carried: list[Any]) -> list[Any]:
        def at(k: Any) -> list[Any]:
            index = list(ivs)
            index.insert(dimension, k)
            return index

        c_n = b.const_index(n)
        c_last = b.const_index(n - 1)
        bufs = [carried[:count], carried[count:]]
        for p in range(passes):  # unrolled: each pass has its own constant width
            src, dst = bufs[p % 2], bufs[(p + 1) % 2]
            width = b.const_index(1 << p)
            loop = scf.ForOp(b.const_index(0), c_n, b.const_index(2 << p), dst)
            with ir.InsertionPoint(loop.body):
                lo = loop.induction_variable
                mid = arith.minsi(arith.addi(lo, width), c_n)
                hi = arith.minsi(arith.addi(mid, width), c_n)
                merge = scf.ForOp(lo, hi, b.const_index(1), [lo, mid, *loop.inner_iter_args])
                with ir.InsertionPoint(merge.body):
                    k = merge.induction_variable
                    i, j, *out = merge.inner_iter_args
                    left = [b.tensor_extract(t, at(arith.minsi(i, c_last))) for t in src]
                    right = [b.tensor_extract(t, at(arith.minsi(j, c_last))) for t in src]
                    args = []
                    for r, lf, t0 in zip(right, left, rank0, strict=True):
                        args += [b.scalar_tensor(r, t0), b.scalar_tensor(lf, t0)]
                    (less,) = b.clone_region(comparator, args)
                    left_done = b.cmp_index("sge", i, mid)
                    take_right = arith.andi(b.cmp_index("slt", j, hi), arith.ori(left_done, b.tensor_scalar(less)))
                    out = [
                        b.tensor_insert(arith.select(take_right, r, lf), o, at(k))
                        for r, lf, o in zip(right, left, out, strict=True)
                    ]
                    step = arith.select(take_right, b.const_index(1), b.const_index(0))
                    b.yield_([arith.subi(arith.addi(i, b.const_index(1)), step), arith.addi(j, step), *out])
                b.yield_(list(merge.results)[2:])
            bufs[(p + 1) % 2] = list(loop.results)
        if passes % 2 == 1:
            # An odd number of passes leaves this slice in the scratch buffers: copy it back.
            def copy(kivs: list[Any], targets: list[Any]) -> list[Any]:
                return [
                    b.tensor_insert(b.tensor_extract(s, at(kivs[0])), t, at(kivs[0]))
                    for s, t in zip(bufs[1], targets, strict=True)
                ]

            bufs[0] = b.loop_nest([n], bufs[0], copy)
        return [*bufs[0], *bufs[1]]

    results = b.loop_nest([shape[d] for d in other_dims], [*values, *scratch], sort_slice)
    b.replace_op(op, [b.to_type(r, t) for r, t in zip(results[:count], types, strict=True)])
