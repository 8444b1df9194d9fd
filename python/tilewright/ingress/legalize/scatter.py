"""``stablehlo.scatter`` as sequential ``scf.for`` loops over the updates.

Semantics follow XLA (which is what JAX and the conformance suite expect):
updates are applied in order of the update index, so duplicate indices
combine through the update computation deterministically; an update window
that does not fit entirely inside the operand is skipped. The loops are

    for each scatter position (update dims outside update_window_dims):
        start = full start index in the operand (indices + batching dims)
        if the whole window fits:
            for each window position (update_window_dims):
                operand[start + window] = computation(operand[...], update[...])

with the update computation's StableHLO ops (on rank-0 tensors) inlined into
the innermost body; ``stablehlo-legalize-to-linalg`` lowers them there. The
window of a single-operand scatter (a row that ``jax.grad`` of a gather adds
into a table, or one element) is combined whole instead, when it can be sliced
out by dropping leading unit dims only:

        if the whole window fits:
            operand[start : start + window] = map(computation, operand[...], update[...])

one elementwise op per index that the default schedule vectorizes (a rank-0
element would be a heap temporary per element after bufferization).
``indices_are_sorted``/``unique_indices`` are hints that permit reordering;
sequential order satisfies them, so they need no special case.
"""

from __future__ import annotations

import math
from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, stablehlo

from tilewright.ingress.legalize import _build as b


def _dimension_numbers(op: Any) -> dict[str, Any]:
    dn = stablehlo.ScatterDimensionNumbers(op.attributes["scatter_dimension_numbers"])
    return {
        "update_window_dims": list(dn.update_window_dims),
        "inserted_window_dims": list(dn.inserted_window_dims),
        "input_batching_dims": list(dn.input_batching_dims),
        "scatter_indices_batching_dims": list(dn.scatter_indices_batching_dims),
        "scatter_dims_to_operand_dims": list(dn.scattered_dims_to_operand_dims),
        "index_vector_dim": int(dn.index_vector_dim),
    }


def lower_scatter(op: Any) -> None:
    """Replace one ``stablehlo.scatter`` by loops (see the module docstring)."""
    n_ops = len(op.results)
    operands = list(op.operands[:n_ops])
    indices = op.operands[n_ops]
    updates = list(op.operands[n_ops + 1 :])
    if len(updates) != n_ops:
        raise b.unsupported(op, "the number of updates differs from the number of operands")
    op_types = [b.static_tensor_type(op, v, "an operand") for v in operands]
    upd_types = [b.static_tensor_type(op, v, "an update") for v in updates]
    idx_type = b.static_tensor_type(op, indices, "the scatter indices")
    result_types = [b.static_tensor_type(op, v, "a result") for v in op.results]
    if not isinstance(idx_type.element_type, ir.IntegerType):
        raise b.unsupported(op, f"scatter indices of type {idx_type.element_type}")
    region = op.regions[0]
    b.check_single_block(op, region, "the update computation", 2 * n_ops)
    for arg, t in zip(region.blocks[0].arguments, op_types + op_types, strict=True):
        at = ir.RankedTensorType(arg.type) if isinstance(arg.type, ir.RankedTensorType) else None
        if at is None or at.rank != 0 or at.element_type != t.element_type:
            raise b.unsupported(op, f"update computation argument of type {arg.type} for elements of {t}")

    dn = _dimension_numbers(op)
    operand_shape = list(op_types[0].shape)
    update_shape = list(upd_types[0].shape)
    uwd = dn["update_window_dims"]
    usd = [d for d in range(len(update_shape)) if d not in uwd]
    ivd = dn["index_vector_dim"]
    sdod = dn["scatter_dims_to_operand_dims"]
    ibd = dn["input_batching_dims"]
    sibd = dn["scatter_indices_batching_dims"]
    window_operand_dims = [d for d in range(len(operand_shape)) if d not in dn["inserted_window_dims"] and d not in ibd]
    if len(window_operand_dims) != len(uwd):
        raise b.unsupported(op, "update_window_dims do not match the operand's window dimensions")
    window_size = [1] * len(operand_shape)
    for d, ud in zip(window_operand_dims, uwd, strict=True):
        window_size[d] = update_shape[ud]

    # Indices as signless i64 (a sign-correct widening of any integer type).
    i64 = ir.IntegerType.get_signless(64)
    idx_i64_type = ir.RankedTensorType.get(idx_type.shape, i64)
    idx = indices if indices.type == idx_i64_type else stablehlo.ConvertOp(idx_i64_type, indices).result
    idx_rank = idx_type.rank

    carried0 = [b.to_signless(v) for v in operands]
    upd = [b.to_signless(v) for v in updates]

    source_of_updates = _broadcast_source(updates[0], uwd) if n_ops == 1 else None

    def scatter_position(sivs: list[Any], carried: list[Any]) -> list[Any]:
        # The indices' non-vector dims enumerate the update scatter dims in order.
        def index_component(k: int | None) -> Any:
            pos = list(sivs)
            if ivd < idx_rank:
                pos.insert(ivd, b.const_index(k if k is not None else 0))
            return b.index_of(b.tensor_extract(idx, pos))

        start: list[Any] = [None] * len(operand_shape)
        in_bounds = []
        for k, d in enumerate(sdod):
            s = index_component(k)
            start[d] = s
            in_bounds.append(b.cmp_index("sge", s, b.const_index(0)))
            in_bounds.append(b.cmp_index("sle", s, b.const_index(operand_shape[d] - window_size[d])))
        for d_operand, d_indices in zip(ibd, sibd, strict=True):
            start[d_operand] = sivs[d_indices if d_indices < ivd else d_indices - 1]

        def apply_window() -> list[Any]:
            def element(wivs: list[Any], inner: list[Any]) -> list[Any]:
                update_index: list[Any] = [None] * len(update_shape)
                for d, iv in zip(usd, sivs, strict=True):
                    update_index[d] = iv
                for d, iv in zip(uwd, wivs, strict=True):
                    update_index[d] = iv
                operand_index = []
                window_iv = dict(zip(window_operand_dims, wivs, strict=True))
                for d in range(len(operand_shape)):
                    s, w = start[d], window_iv.get(d)
                    if s is None:
                        operand_index.append(w if w is not None else b.const_index(0))
                    else:
                        operand_index.append(arith.addi(s, w) if w is not None else s)
                current = [
                    b.scalar_tensor(b.tensor_extract(t, operand_index), ot)
                    for t, ot in zip(inner, _rank0(op_types), strict=True)
                ]
                new = [
                    b.scalar_tensor(b.tensor_extract(u, update_index), ot)
                    for u, ot in zip(upd, _rank0(op_types), strict=True)
                ]
                combined = b.inline_region(region, current + new)
                return [
                    b.tensor_insert(b.tensor_scalar(c), t, operand_index) for c, t in zip(combined, inner, strict=True)
                ]

            return b.loop_nest([update_shape[d] for d in uwd], carried, element)

        def update_window() -> list[Any]:
            starts = [s if s is not None else b.const_index(0) for s in start]
            update_starts: list[Any] = [None] * len(update_shape)
            for d, iv in zip(usd, sivs, strict=True):
                update_starts[d] = iv
            update_sizes = [1 if d in usd else n for d, n in enumerate(update_shape)]
            source, update_starts, update_sizes = _update_source(upd[0], update_starts, update_sizes, source_of_updates)
            window = (starts, window_size, update_starts, update_sizes)
            return [_combine_window(region, carried[0], source, window, op_types[0])]

        # One position: no loop is left around the write, which then happens out of place, and
        # upstream bufferization takes a row written at offsets 0 for a write of the whole
        # operand (it compares the vector's shape with the leading dims): the copy of the rest
        # of the operand was dropped (x.at[0].add(row) with a constant index).
        positions = math.prod(update_shape[d] for d in usd)
        whole = positions > 1 and _whole_window(
            n_ops, window_size, [1 if d in usd else n for d, n in enumerate(update_shape)], uwd
        )
        body = update_window if whole else apply_window
        if not in_bounds:
            return body()
        return b.if_else(b.all_true(in_bounds), [c.type for c in carried], body, lambda: carried)

    results = b.loop_nest([update_shape[d] for d in usd], carried0, scatter_position)
    b.replace_op(op, [b.to_type(r, t) for r, t in zip(results, result_types, strict=True)])


def _rank0(types: list[ir.RankedTensorType]) -> list[ir.Type]:
    return [ir.RankedTensorType.get([], t.element_type) for t in types]


def _broadcast_source(updates: Any, uwd: list[int]) -> tuple[Any, list[int], list[int]] | None:
    """The operand and dims of the ``broadcast_in_dim`` that made ``updates``, when it only
    broadcasts along scatter dims (each window dim copies a whole operand dim, in order).

    ``jax.grad`` of ``table[tokens].mean(axis=1)`` scatters a row per token that repeats along
    the tokens of a sequence: reading the rows from the broadcast's operand instead keeps the
    broadcast (4 MB in the zoo's train step) from being materialized at all.
    """
    if not isinstance(updates, ir.OpResult) or updates.owner.name != "stablehlo.broadcast_in_dim":
        return None
    bcast = updates.owner
    source = bcast.operands[0]
    dims = b.dense_i64(b.get_attr(bcast, "broadcast_dimensions"))
    src_shape = list(ir.RankedTensorType(source.type).shape)
    shape = list(ir.RankedTensorType(updates.type).shape)
    window_src = [j for j, d in enumerate(dims) if d in uwd]
    if sorted(dims[j] for j in window_src) != list(uwd) or any(src_shape[j] != shape[dims[j]] for j in window_src):
        return None
    if [dims[j] for j in window_src] != sorted(dims[j] for j in window_src):
        return None
    return b.to_signless(source), dims, shape


def _update_source(
    updates: Any, starts: list[Any], sizes: list[int], broadcast: tuple[Any, list[int], list[int]] | None
) -> tuple[Any, list[Any], list[int]]:
    """The tensor to slice an update window from, with the slice's offsets and sizes: the
    broadcast's operand (see :func:`_broadcast_source`) when the slice of it drops only leading
    unit dims, else ``updates`` itself (offsets ``None`` at window dims)."""
    if broadcast is None:
        return updates, starts, sizes
    source, dims, shape = broadcast
    src_shape = list(ir.RankedTensorType(source.type).shape)
    src_starts: list[Any] = []
    src_sizes: list[int] = []
    for j, d in enumerate(dims):
        if starts[d] is None:  # a window dim: whole
            src_starts.append(None)
            src_sizes.append(src_shape[j])
        else:  # a scatter dim: the position's element, or the only one of a broadcast unit dim
            src_starts.append(starts[d] if src_shape[j] == shape[d] else b.const_index(0))
            src_sizes.append(1)
    window = [n for n, s in zip(src_sizes, src_starts, strict=True) if s is None]
    if not b.drops_leading_units(src_sizes, window):
        return updates, starts, sizes
    return source, src_starts, src_sizes


def _whole_window(n_ops: int, window_size: list[int], update_sizes: list[int], uwd: list[int]) -> bool:
    """Whether the update window is combined as one tensor (``_combine_window``) rather than
    element by element: one operand (``stablehlo.map`` has one result) and slices of the operand
    and of the updates that only drop leading unit dims (see ``b.drops_leading_units``)."""
    row = _row_shape([update_sizes[d] for d in uwd], window_size, update_sizes)
    return n_ops == 1 and b.drops_leading_units(window_size, row) and b.drops_leading_units(update_sizes, row)


def _row_shape(window: list[int], *slices: list[int]) -> list[int]:
    """The shape the window is combined in: its dims, with leading unit dims up to two dims where
    every slice has them. The library keeps a row (``1xW``) of up to 32 vectors whole, so it is
    written straight into the destination, where a 1-D op is cut into a loop of vector pieces
    written to a temporary, then copied; a single element is a ``1x1`` row (rank-0 tensors
    would be allocated on the heap per element)."""
    rank = min(2, *(len(s) for s in slices))
    return [1] * max(0, rank - len(window)) + window


def _combine_window(
    region: ir.Region,
    operand: Any,
    updates: Any,
    window: tuple[list[Any], list[int], list[Any], list[int]],
    operand_type: ir.RankedTensorType,
) -> Any:
    """``operand`` with its window replaced by ``computation(window, update)``; ``window`` is
    (operand offsets, window size, update offsets, update slice sizes), offsets as ``index``
    values, ``None`` at the update's window dims (offset 0, kept whole).

    The window and the update window are sliced out whole, combined by one ``stablehlo.map`` of
    the update computation, and inserted back: after legalization a ``tensor.extract_slice``,
    one elementwise ``linalg`` op and a ``tensor.insert_slice`` of the loop-carried tensor,
    which the default schedule vectorizes (rows read and written as vectors) and bufferization
    updates in place, instead of a scalar loop over the window's elements. Both slices drop
    their leading unit dims (rank-reducing), so the map needs no reshape: a reshape between
    the map and the insertion would keep the write from folding into the destination (a
    temporary and a copy per index). A row keeps one unit dim (``1xW``): the library keeps a
    row of up to 32 vectors whole, so the row is written straight into the destination,
    where a 1-D op is cut into a loop of vector pieces written to a temporary, then copied.
    """
    starts, window_size, update_starts, update_sizes = window
    compact = _row_shape(
        [n for n, s in zip(update_sizes, update_starts, strict=True) if s is None], window_size, update_sizes
    )
    update_starts = [s if s is not None else b.const_index(0) for s in update_starts]
    elem = operand_type.element_type
    compact_type = ir.RankedTensorType.get(compact, b.signless_element(elem))
    old = b.extract_slice(operand, starts, window_size, compact_type)
    new = b.extract_slice(updates, update_starts, update_sizes, compact_type)
    mapped_type = ir.RankedTensorType.get(compact, elem)
    mapped = stablehlo.MapOp(
        mapped_type, [b.to_type(old, mapped_type), b.to_type(new, mapped_type)], list(range(len(compact)))
    )
    scalar = ir.RankedTensorType.get([], elem)
    block = mapped.regions[0].blocks.append(scalar, scalar)
    with ir.InsertionPoint(block):
        (combined,) = b.inline_region(region, list(block.arguments))
        stablehlo.ReturnOp([combined])
    return b.insert_slice(b.to_signless(mapped.result), operand, starts, window_size)
