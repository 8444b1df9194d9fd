"""``tw-canonicalize-contractions``: every matmul-like ``linalg.generic`` becomes a named matmul.

``stablehlo.dot_general`` legalizes to ``linalg.matmul``/``batch_matmul`` only
when its operands are already laid out ``[batch, m, k] x [batch, k, n]``. What
JAX exports for attention and projections rarely is: ``einsum("qhd,khd->hqk")``
keeps the head dimension in the middle, ``o @ wo`` after a head merge contracts
over two dimensions (heads and head size). Those arrive as generic contractions
that no schedule in the library recognizes, so they would run as scalar loops.

This pass rewrites such a generic (static shapes, a multiply-accumulate body,
operands read through permutations of the loop dims, at least one M, N and K
dim) into::

    transpose A to [batch..., m..., k...]  -> collapse to [b, m, k]  (or [m, k])
    transpose B to [batch..., k..., n...]  -> collapse to [b, k, n]  (or [k, n])
    linalg.batch_matmul / linalg.matmul    on a fresh fill (or the transposed init)
    expand to [batch..., m..., n...]       -> transpose to the result's layout

Transposes and reshapes that are identities are not emitted. The operands take the A and B
roles in the order that transposes fewer elements (``(Bᵀ·Aᵀ)ᵀ`` where that is cheaper), and
the ``expand_shape`` of a result over several batch dims is then pushed through the generics
that consume it (:mod:`tilewright.linalg.batch_reshapes`), so a softmax between two multi-head
contractions runs on their merged layout and the attention schedule sees one chain. The transposes
move O(size) data around an O(m·n·k) contraction, and the library schedules
them as fusion groups; the contraction itself then gets the microkernel.
Matrix-vector products (no N or no M dim) stay generic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mlir import ir
from mlir.dialects import linalg, tensor

from tilewright.linalg.batch_reshapes import collapse_batch_reshapes
from tilewright.linalg.split_contractions import loop_ranges, map_dims, split_fused_contractions

# Bodies accepted: out + a * b, optionally with the inputs extended first (f16 x f16 -> f32);
# exactly what linalg.matmul computes with its default (signed) casts.
_MULTIPLY_ACCUMULATE = (
    ("arith.mulf", "arith.addf", "linalg.yield"),
    ("arith.extf", "arith.extf", "arith.mulf", "arith.addf", "linalg.yield"),
    ("arith.muli", "arith.addi", "linalg.yield"),
    ("arith.extsi", "arith.extsi", "arith.muli", "arith.addi", "linalg.yield"),
)


@dataclass(frozen=True)
class ContractionLayout:
    """A generic contraction: its loop dims by role, each operand's dims (a permutation of loop dims)."""

    batch: tuple[int, ...]
    m: tuple[int, ...]
    n: tuple[int, ...]
    k: tuple[int, ...]
    lhs: tuple[int, ...]  # loop dim read by each axis of A
    rhs: tuple[int, ...]
    out: tuple[int, ...]
    ranges: dict[int, int]  # static extent of each loop dim


def _body_is_multiply_accumulate(op: ir.Operation) -> bool:
    block = op.regions[0].blocks[0]
    names = tuple(o.operation.name for o in block.operations)
    if names not in _MULTIPLY_ACCUMULATE:
        return False
    # The accumulator (the block's last argument) is added to the product, nothing else.
    ops = [o.operation for o in block.operations]
    add, yielded = ops[-2], ops[-1]
    acc = block.arguments[len(block.arguments) - 1]
    return yielded.operands[0] == add.results[0] and acc in list(add.operands)


def contraction_layout(op: ir.Operation) -> ContractionLayout | None:
    """The layout of a generic matmul-like contraction this pass rewrites, or None (left alone)."""
    if op.name != "linalg.generic" or len(op.operands) != 3 or len(op.results) != 1:
        return None
    if not linalg.isa_contraction_op(op) or not _body_is_multiply_accumulate(op):
        return None
    dims = linalg.infer_contraction_dimensions(op)
    batch, m, n, k = (tuple(dims.batch), tuple(dims.m), tuple(dims.n), tuple(dims.k))
    if not (m and n and k):
        return None
    maps = [map_dims(a) for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if any(d is None for d in maps):
        return None
    lhs, rhs, out = maps
    assert lhs is not None and rhs is not None and out is not None
    if (
        sorted(lhs) != sorted(batch + m + k)
        or sorted(rhs) != sorted(batch + k + n)
        or sorted(out) != sorted(batch + m + n)
    ):
        return None
    ranges = loop_ranges(op, list(maps))
    if ranges is None:
        return None
    return ContractionLayout(batch, m, n, k, lhs, rhs, out, ranges)


def _transpose_to(value: ir.Value, have: tuple[int, ...], want: tuple[int, ...]) -> ir.Value:
    """``value`` (axes reading loop dims ``have``) with its axes reordered to ``want``."""
    if have == want:
        return value
    permutation = [have.index(d) for d in want]
    shaped = ir.RankedTensorType(value.type)
    init = tensor.empty([shaped.get_dim_size(p) for p in permutation], shaped.element_type)
    return _value(linalg.transpose(value, outs=[init], permutation=permutation))


def _value(built: ir.Value | ir.OpView | ir.Operation) -> ir.Value:
    """The single result of what an op builder returned (some return the op, some its result)."""
    if isinstance(built, ir.OpView | ir.Operation):
        return built.results[0]
    return built


def _collapse(value: ir.Value, groups: list[tuple[int, ...]], ranges: dict[int, int]) -> ir.Value:
    """Merge each group of consecutive axes (loop dims, in order) into one; empty groups vanish."""
    groups = [g for g in groups if g]
    if all(len(g) == 1 for g in groups):
        return value
    element = ir.RankedTensorType(value.type).element_type
    shape = []
    reassociation = []
    axis = 0
    for g in groups:
        size = 1
        for d in g:
            size *= ranges[d]
        shape.append(size)
        reassociation.append(list(range(axis, axis + len(g))))
        axis += len(g)
    return tensor.collapse_shape(ir.RankedTensorType.get(shape, element), value, reassociation)


def _expand(value: ir.Value, groups: list[tuple[int, ...]], ranges: dict[int, int]) -> ir.Value:
    """Inverse of :func:`_collapse`."""
    groups = [g for g in groups if g]
    if all(len(g) == 1 for g in groups):
        return value
    element = ir.RankedTensorType(value.type).element_type
    full = [ranges[d] for g in groups for d in g]
    reassociation = []
    axis = 0
    for g in groups:
        reassociation.append(list(range(axis, axis + len(g))))
        axis += len(g)
    return tensor.expand_shape(ir.RankedTensorType.get(full, element), value, reassociation, [], full)


def _fill_value(value: ir.Value) -> ir.Value | None:
    """The scalar a ``linalg.fill`` result was filled with (a fresh fill is cheaper than a transpose)."""
    owner = value.owner
    if isinstance(owner, ir.Operation | ir.OpView) and owner.operation.name == "linalg.fill":
        return owner.operation.operands[0]
    return None


def _moved(layout: ContractionLayout, init_is_fill: bool) -> int:
    """Elements the transposes around the named op move when ``layout.lhs`` is its A operand."""
    batch, m, n, k, r = layout.batch, layout.m, layout.n, layout.k, layout.ranges
    moved = 0
    for have, want in ((layout.lhs, batch + m + k), (layout.rhs, batch + k + n)):
        moved += _product(have, r) if have != want else 0
    if layout.out != batch + m + n:
        moved += _product(layout.out, r) * (1 if init_is_fill else 2)
    return moved


def swapped(layout: ContractionLayout) -> ContractionLayout:
    """The same contraction computed as ``(Bᵀ·Aᵀ)ᵀ``: the operands' roles exchanged."""
    return replace(layout, m=layout.n, n=layout.m, lhs=layout.rhs, rhs=layout.lhs)


def rewrite_contraction(op: ir.Operation, layout: ContractionLayout) -> None:
    """Replace the generic ``op`` by transposes, reshapes and a named (batch) matmul.

    The operands take the A and B roles in the order that moves the fewest elements through
    transposes (``(Bᵀ·Aᵀ)ᵀ`` when that is cheaper): einsum ``hqk,khd->qhd`` reaches linalg
    with V first, which as A would transpose the whole ``h x q x k`` probabilities and make
    V, not the softmax, the row operand the attention schedule tiles."""
    lhs, rhs, init = op.operands
    init_is_fill = _fill_value(init) is not None
    if _moved(swapped(layout), init_is_fill) < _moved(layout, init_is_fill):
        layout, lhs, rhs = swapped(layout), rhs, lhs
    batch, m, n, k, r = layout.batch, layout.m, layout.n, layout.k, layout.ranges
    out_type = ir.RankedTensorType(op.results[0].type)
    with ir.InsertionPoint(op), op.location:
        a = _collapse(_transpose_to(lhs, layout.lhs, batch + m + k), [batch, m, k], r)
        b = _collapse(_transpose_to(rhs, layout.rhs, batch + k + n), [batch, k, n], r)
        c_shape = [_product(g, r) for g in (batch, m, n) if g]
        fill = _fill_value(init)
        if fill is not None:
            c = _value(linalg.fill(fill, outs=[tensor.empty(c_shape, out_type.element_type)]))
        else:
            c = _collapse(_transpose_to(init, layout.out, batch + m + n), [batch, m, n], r)
        named = linalg.batch_matmul if batch else linalg.matmul
        product = _value(named(a, b, outs=[c]))
        result = _transpose_to(_expand(product, [batch, m, n], r), batch + m + n, layout.out)
    op.results[0].replace_all_uses_with(result)
    op.erase()


def _product(dims: tuple[int, ...], ranges: dict[int, int]) -> int:
    size = 1
    for d in dims:
        size *= ranges[d]
    return size


def canonicalize_contractions(module: ir.Operation) -> int:
    """Rewrite every generic matmul-like contraction in ``module``; returns how many."""
    found: list[tuple[ir.Operation, ContractionLayout]] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        layout = contraction_layout(op)
        if layout is not None:
            found.append((op, layout))
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    for op, layout in found:
        rewrite_contraction(op, layout)
    return len(found)


def canonicalize_contractions_pass(module: ir.Operation, _pass: object) -> None:
    """The pass entry (``PassManager.add``): elementwise work fused into contractions is split
    out first (:mod:`tilewright.linalg.split_contractions`), then every contraction is named and
    the batch reshapes around them pushed into their consumers (:mod:`.batch_reshapes`)."""
    split_fused_contractions(module)
    canonicalize_contractions(module)
    collapse_batch_reshapes(module)
