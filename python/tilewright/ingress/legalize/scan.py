"""Prefix scans: ``stablehlo.reduce_window`` over a whole dimension, as an O(n) loop.

JAX exports ``cumsum``, ``cumprod``, ``cummax``, ``cummin`` and
``cumlogsumexp`` (any axis, ``reverse`` too) as one ``reduce_window`` whose
window covers the whole scanned dimension ``n`` with padding ``(n-1, 0)``
(``(0, n-1)`` reversed), window 1 on every other dimension, stride and
dilations 1. Lowered as pooling over a padded copy, that is ``n(n+1)/2``
reductions per column; as a scan it is ``n``, in one of three forms:

- scanned dimension not the last, planes after it wider than one block
  (``COLUMN_BLOCK_BYTES``): the first plane, then one ``scf.for`` over the
  others, ``out[.., i, ..] = out[.., i - 1, ..] (op) x[.., i, ..]``, each
  plane in ``vector<V>`` blocks along the last dimension (memory order);
- scanned dimension not the last, planes of at most one block: the running
  value is one ``vector`` carried by the ``scf.for`` over ``n``;
- scanned dimension last: per row, an ``scf.for`` over blocks of ``V``
  contiguous elements: the block's prefix in registers (``ceil(log2 V)``
  shifts by ``vector.shuffle``, the identity shifted in), combined with the
  running value of the previous blocks (broadcast from one lane).

The loop bodies hold only vector/arith/math ops, no linalg op, so the default
schedule still schedules the rest of the module. The reduction body must be
one associative op (``add``, ``multiply``, ``maximum``, ``minimum``, or
``logaddexp`` exactly as JAX writes it), translated to vector ops, and the
init value a constant equal to its identity (as JAX writes it): with another
init the result depends on where it is counted (the spec: once per padding
element too; XLA's CPU tree: once per tree level), so those keep the general
lowering, which follows the spec. Order: the first two forms
combine in window order; the third associates within a block as a tree, and
a reversed scan associates from the right: float results differ from XLA's by
rounding only (XLA's CPU rewrite of cumulative windows is itself a tree of
blocks). Anything else keeps the general lowering (:func:`lower_scan` says
whether it lowered ``op``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, scf, vector
from jaxlib.mlir.dialects import math as jmath

from tilewright.ingress.legalize import _build as b

# Bytes of the running vector: a block of inner elements (4 AVX-512 registers), a row block (1).
COLUMN_BLOCK_BYTES = 256
ROW_BLOCK_BYTES = 64

# The bodies recognized, as (op, operands, compare direction): "a"/"b" are the
# block arguments (accumulator, element), an int the result of the body's op #k.
_Fingerprint = tuple[tuple[str, tuple[Any, ...], str | None], ...]


def _single(name: str, args: tuple[str, str]) -> _Fingerprint:
    return ((f"stablehlo.{name}", args, None),)


# jax.lax.cumlogsumexp: logaddexp, inlined, with x + y where x - y is NaN (equal infinities, NaNs).
# (Older JAX called a @logaddexp function from the body: not recognized, the general lowering.)
_LOGADDEXP_JAX: _Fingerprint = (
    ("stablehlo.maximum", ("a", "b"), None),
    ("stablehlo.subtract", ("a", "b"), None),
    ("stablehlo.compare", (1, 1), "NE"),
    ("stablehlo.add", ("a", "b"), None),
    ("stablehlo.abs", (1,), None),
    ("stablehlo.negate", (4,), None),
    ("stablehlo.exponential", (5,), None),
    ("stablehlo.log_plus_one", (6,), None),
    ("stablehlo.add", (0, 7), None),
    ("stablehlo.select", (2, 3, 8), None),
)

_KINDS: dict[_Fingerprint, str] = {}
for _name, _kind in (("add", "add"), ("multiply", "mul"), ("maximum", "max"), ("minimum", "min")):
    _KINDS[_single(_name, ("a", "b"))] = _kind
    _KINDS[_single(_name, ("b", "a"))] = _kind
_KINDS[_LOGADDEXP_JAX] = "logaddexp"


@dataclass
class Scan:
    """A recognized scan: along ``axis``, forward (padding low) or reversed (padding high)."""

    axis: int
    reverse: bool
    kind: str
    unsigned: bool
    identity: ir.Attribute  # the reduction's identity, as a signless scalar attribute


def _fingerprint(block: ir.Block) -> _Fingerprint | None:
    names = {block.arguments[0]: "a", block.arguments[1]: "b"}
    ops = list(block.operations)
    found = []
    for k, op in enumerate(ops[:-1]):
        if len(op.results) != 1 or len(op.regions) != 0:
            return None
        refs = []
        for v in op.operands:
            if v not in names:
                return None
            refs.append(names[v])
        direction = None
        if op.name == "stablehlo.compare":
            direction = str(op.attributes["comparison_direction"]).split()[-1].rstrip(">")
            compare_type = str(op.attributes["compare_type"]) if "compare_type" in op.attributes else ""
            if "FLOAT" not in compare_type:
                return None
        found.append((op.name, tuple(refs), direction))
        names[op.results[0]] = k
    terminator = ops[-1]
    if len(terminator.operands) != 1 or names.get(terminator.operands[0]) != len(found) - 1:
        return None
    return tuple(found)


def _constant_of(value: Any) -> ir.Attribute | None:
    """The splat element of the constant (possibly broadcast to rank 0) defining ``value``, or None."""
    owner = value.owner
    if not isinstance(owner, ir.Operation) and hasattr(owner, "operation"):
        owner = owner.operation
    if not isinstance(owner, ir.Operation):
        return None
    if owner.name == "stablehlo.broadcast_in_dim":
        return _constant_of(owner.operands[0])
    if owner.name != "stablehlo.constant":
        return None
    attr = ir.DenseElementsAttr(owner.attributes["value"])
    return attr.get_splat_value() if attr.is_splat else None


def _is_identity(init: ir.Attribute | None, identity: ir.Attribute) -> bool:
    if init is None:
        return False
    if isinstance(identity, ir.FloatAttr):
        return ir.FloatAttr(init).value == ir.FloatAttr(identity).value  # 0.0 == -0.0
    w = ir.IntegerType(ir.IntegerAttr(identity).type).width
    return ir.IntegerAttr(init).value % (1 << w) == ir.IntegerAttr(identity).value % (1 << w)


def _identity(kind: str, elem: ir.Type) -> ir.Attribute | None:
    """``kind``'s identity on ``elem`` as a signless scalar attribute (None: not a reduction of ``elem``)."""
    if isinstance(elem, ir.FloatType):
        v = {"add": -0.0, "mul": 1.0, "max": -math.inf, "min": math.inf, "logaddexp": -math.inf}[kind]
        return ir.FloatAttr.get(elem, v)
    if kind == "logaddexp":
        return None
    it = ir.IntegerType(elem)
    w = it.width
    lo, hi = (0, -1) if it.is_unsigned else (-(1 << (w - 1)), (1 << (w - 1)) - 1)  # -1: all ones
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(w), {"add": 0, "mul": 1, "max": lo, "min": hi}[kind])


def match_scan(op: Any) -> Scan | None:
    """The scan ``op`` (a ``stablehlo.reduce_window``) computes, or None when it is not one."""
    if len(op.operands) != 2 or len(op.results) != 1:
        return None
    t = op.operands[0].type
    if not isinstance(t, ir.RankedTensorType) or not ir.RankedTensorType(t).has_static_shape:
        return None
    t = ir.RankedTensorType(t)
    shape, rank, elem = list(t.shape), t.rank, t.element_type
    if op.results[0].type != t or rank == 0:
        return None
    if not (isinstance(elem, ir.F32Type) or isinstance(elem, ir.F64Type)):
        if not isinstance(elem, ir.IntegerType) or ir.IntegerType(elem).width < 8:
            return None
    window = b.dense_i64(b.get_attr(op, "window_dimensions"))
    ones = [1] * rank
    for name in ("window_strides", "base_dilations", "window_dilations"):
        if (b.dense_i64(b.get_attr(op, name)) or ones) != ones:
            return None
    padding = b.dense_i64(b.get_attr(op, "padding")) or [0] * (2 * rank)
    if len(window) != rank or len(padding) != 2 * rank:
        return None
    scanned = [d for d in range(rank) if window[d] != 1 or padding[2 * d : 2 * d + 2] != [0, 0]]
    if len(scanned) != 1:
        return None
    axis = scanned[0]
    n = shape[axis]
    pads = padding[2 * axis : 2 * axis + 2]
    if window[axis] != n or n < 2 or pads not in ([n - 1, 0], [0, n - 1]):
        return None
    region = op.regions[0]
    blocks = list(region.blocks)
    scalar = ir.RankedTensorType.get([], elem)
    if len(blocks) != 1 or len(blocks[0].arguments) != 2 or any(a.type != scalar for a in blocks[0].arguments):
        return None
    fingerprint = _fingerprint(blocks[0])
    kind = _KINDS.get(fingerprint) if fingerprint is not None else None
    if kind is None:
        return None
    identity = _identity(kind, elem)
    if identity is None or not _is_identity(_constant_of(op.operands[1]), identity):
        return None
    unsigned = isinstance(elem, ir.IntegerType) and ir.IntegerType(elem).is_unsigned
    return Scan(axis, pads == [0, n - 1], kind, unsigned, identity)


Combine = Callable[[Any, Any], Any]


def _combiner(kind: str, elem: ir.Type, unsigned: bool) -> Combine:
    """``body(a, b)`` on vectors of ``elem`` (signless)."""
    is_float = isinstance(elem, ir.FloatType)
    if kind == "add":
        return arith.addf if is_float else arith.addi
    if kind == "mul":
        return arith.mulf if is_float else arith.muli
    if kind == "max":
        return arith.maximumf if is_float else (arith.maxui if unsigned else arith.maxsi)
    if kind == "min":
        return arith.minimumf if is_float else (arith.minui if unsigned else arith.minsi)

    def logaddexp(x: Any, y: Any) -> Any:
        # As JAX writes it: x - y is NaN when both are the same infinity (or a NaN): then x + y.
        d = arith.subf(x, y)
        tail = jmath.log1p(jmath.exp(arith.negf(jmath.absf(d))))
        nan = arith.cmpf(arith.CmpFPredicate.UNE, d, d)
        return arith.select(nan, arith.addf(x, y), arith.addf(arith.maximumf(x, y), tail))

    return logaddexp


def _splat(vt: ir.VectorType, scalar: ir.Attribute) -> Any:
    return arith.constant(vt, ir.DenseElementsAttr.get_splat(vt, scalar))


def _read(vt: ir.VectorType, tensor: Any, indices: list[Any], padding: Any) -> Any:
    rank = ir.RankedTensorType(tensor.type).rank
    return vector.transfer_read(vt, tensor, indices, ir.AffineMap.get_minor_identity(rank, 1), padding, [True])


def _write(value: Any, tensor: Any, indices: list[Any]) -> Any:
    rank = ir.RankedTensorType(tensor.type).rank
    return vector.TransferWriteOp(
        tensor.type, value, tensor, indices, ir.AffineMap.get_minor_identity(rank, 1), [True]
    ).result


def _empty(t: ir.RankedTensorType) -> Any:
    return ir.Operation.create("tensor.empty", results=[t]).result


def _around(shape: list[int], dims: list[int], body: Callable[[dict[int, Any], Any], Any], init: Any) -> Any:
    """A loop nest over the ``dims`` of ``shape`` (unit ones need none), carrying one tensor;
    ``body({dim: index}, tensor)`` (index 0 for unit dimensions)."""
    looped = [d for d in dims if shape[d] > 1]

    def inner(ivs: list[Any], carried: list[Any]) -> list[Any]:
        at = dict(zip(looped, ivs, strict=True))
        return [body({d: at[d] if d in at else b.const_index(0) for d in dims}, carried[0])]

    return b.loop_nest([shape[d] for d in looped], [init], inner)[0]


def _blocks(inner: int, width: int, out: Any, block: Callable[[Any, int, Any], Any]) -> Any:
    """``block(start, w, tensor)`` over ``[0, inner)`` in blocks of ``width`` (a loop) and one partial block."""
    full = inner - inner % width
    if full:
        out = _strided_loop(0, full, width, out, lambda c, out: block(c, width, out))
    if full < inner:
        out = block(b.const_index(full), inner - full, out)
    return out


def _scan_carried(x: Any, init: Any, axis: int, scan: Scan, combine: Combine, padding: Any) -> Any:
    """Scanned dimension not the last, each plane after it one block (``x[..., i, 1.., w]``,
    contiguous): the running value stays in one ``vector<w>`` across the scan loop."""
    t = ir.RankedTensorType(x.type)
    shape, last, elem = list(t.shape), t.rank - 1, t.element_type
    n, inner = shape[axis], shape[last]

    def per_outer(at: dict[int, Any], out: Any) -> Any:
        vt = ir.VectorType.get([inner], elem)

        def step(ivs: list[Any], carried: list[Any]) -> list[Any]:
            acc, out = carried
            i = arith.subi(b.const_index(n - 1), ivs[0]) if scan.reverse else ivs[0]
            index = [*(at[d] for d in range(axis)), i, *(b.const_index(0) for _ in range(axis + 1, t.rank))]
            v = _read(vt, x, index, padding)
            acc = combine(v, acc) if scan.reverse else combine(acc, v)
            return [acc, _write(acc, out, index)]

        return b.loop_nest([n], [vector.broadcast(vt, init), out], step)[1]

    return _around(shape, list(range(axis)), per_outer, _empty(t))


def _scan_planes(x: Any, init: Any, axis: int, scan: Scan, combine: Combine, padding: Any) -> Any:
    """Scanned dimension not the last: ``out[.., i, ..] = out[.., i -+ 1, ..] (op) x[.., i, ..]``,
    plane after plane, each plane in blocks of ``vector<V>`` along the last dimension. The
    plane's loops are inside the scan loop, so both tensors are read in memory order (a
    running vector per column block would stride by a plane per step: no prefetching)."""
    t = ir.RankedTensorType(x.type)
    shape, last, elem = list(t.shape), t.rank - 1, t.element_type
    n, inner = shape[axis], shape[last]
    width = max(1, min(inner, COLUMN_BLOCK_BYTES * 8 // _bits(elem)))

    def plane(outer: dict[int, Any], i: Any, prev: Any | None, out: Any) -> Any:
        def line(at: dict[int, Any], out: Any) -> Any:
            def block(c: Any, w: int, out: Any) -> Any:
                vt = ir.VectorType.get([w], elem)
                middle = [at[d] for d in range(axis + 1, last)]
                index = [*(outer[d] for d in range(axis)), i, *middle, c]
                v = _read(vt, x, index, padding)
                if prev is None:
                    a = vector.broadcast(vt, init)
                else:
                    a = _read(vt, out, [*(outer[d] for d in range(axis)), prev, *middle, c], padding)
                return _write(combine(v, a) if scan.reverse else combine(a, v), out, index)

            return _blocks(inner, width, out, block)

        return _around(shape, list(range(axis + 1, last)), line, out)

    def per_outer(outer: dict[int, Any], out: Any) -> Any:
        out = plane(outer, b.const_index(n - 1 if scan.reverse else 0), None, out)

        def step(ivs: list[Any], carried: list[Any]) -> list[Any]:
            k = ivs[0]
            if scan.reverse:
                i = arith.subi(b.const_index(n - 1), k)
                prev = arith.addi(i, b.const_index(1))
            else:
                i, prev = k, arith.subi(k, b.const_index(1))
            return [plane(outer, i, prev, carried[0])]

        return b.loop_nest([n], [out], step, lower=[1])[0]

    return _around(shape, list(range(axis)), per_outer, _empty(t))


def _scan_rows(x: Any, init: Any, scan: Scan, combine: Combine, padding: Any) -> Any:
    """Scanned dimension last: per row, blocks of ``V`` elements scanned in registers, then carried."""
    t = ir.RankedTensorType(x.type)
    shape, last, elem = list(t.shape), t.rank - 1, t.element_type
    n = shape[last]
    width = max(1, min(n, ROW_BLOCK_BYTES * 8 // _bits(elem)))
    blocks, tail = divmod(n, width)
    vt = ir.VectorType.get([width], elem)

    def in_block(v: Any, w: int) -> Any:
        """The inclusive scan of one ``vector<w>`` (forward, or from the right when reversed)."""
        fill = _splat(ir.VectorType.get([w], elem), scan.identity)
        s = 1
        while s < w:
            if scan.reverse:  # lane i takes lane i + s
                shifted = vector.shuffle(v, fill, [i + s if i + s < w else w for i in range(w)])
                v = combine(v, shifted)
            else:  # lane i takes lane i - s
                shifted = vector.shuffle(v, fill, [i - s if i >= s else w for i in range(w)])
                v = combine(shifted, v)
            s *= 2
        return v

    def block(row: list[Any], j: Any, w: int, carry: Any, out: Any) -> tuple[Any, Any]:
        """Scan ``x[row, j : j + w]`` after ``carry`` (the running value on every lane of a ``vector<width>``)."""
        v = in_block(_read(ir.VectorType.get([w], elem), x, [*row, j], padding), w)
        if w != width:
            carry = vector.shuffle(carry, carry, [0] * w)
        v = combine(v, carry) if scan.reverse else combine(carry, v)
        lane = 0 if scan.reverse else w - 1
        return vector.shuffle(v, v, [lane] * width), _write(v, out, [*row, j])

    def per_row(at: dict[int, Any], out: Any) -> Any:
        row = [at[d] for d in range(last)]
        carry = vector.broadcast(vt, init)
        if blocks:

            def full(ivs: list[Any], carried: list[Any]) -> list[Any]:
                k = ivs[0]
                if scan.reverse:  # blocks from the end: [n - (k + 1) w, n - k w)
                    j = arith.subi(b.const_index(n - width), arith.muli(k, b.const_index(width)))
                else:
                    j = arith.muli(k, b.const_index(width))
                return list(block(row, j, width, *carried))

            carry, out = b.loop_nest([blocks], [carry, out], full)
        if tail:  # the partial block is scanned last: at the end, or at the start when reversed
            _, out = block(row, b.const_index(0 if scan.reverse else blocks * width), tail, carry, out)
        return out

    return _around(shape, list(range(last)), per_row, _empty(t))


def _strided_loop(lo: int, hi: int, step: int, init: Any, body: Callable[[Any, Any], Any]) -> Any:
    loop = scf.ForOp(b.const_index(lo), b.const_index(hi), b.const_index(step), [init])
    with ir.InsertionPoint(loop.body):
        b.yield_([body(loop.induction_variable, loop.inner_iter_args[0])])
    return loop.results[0]


def _bits(elem: ir.Type) -> int:
    if isinstance(elem, ir.IntegerType):
        return ir.IntegerType(elem).width
    return 64 if isinstance(elem, ir.F64Type) else 32


def lower_scan(op: Any) -> bool:
    """Replace ``op`` (a ``stablehlo.reduce_window``) by an O(n) scan when it is one; whether it was."""
    scan = match_scan(op)
    if scan is None:
        return False
    t = ir.RankedTensorType(op.operands[0].type)
    if 0 in t.shape:
        b.replace_op(op, [op.operands[0]])
        return True
    data = b.to_signless(op.operands[0])
    elem = ir.RankedTensorType(data.type).element_type
    combine = _combiner(scan.kind, elem, scan.unsigned)
    zero = ir.FloatAttr.get(elem, 0.0) if isinstance(elem, ir.FloatType) else ir.IntegerAttr.get(elem, 0)
    padding = arith.constant(elem, zero)
    init = arith.constant(elem, scan.identity)
    if scan.axis == t.rank - 1:
        y = _scan_rows(data, init, scan, combine, padding)
    elif math.prod(t.shape[scan.axis + 1 :]) * _bits(elem) <= COLUMN_BLOCK_BYTES * 8:
        y = _scan_carried(data, init, scan.axis, scan, combine, padding)
    else:
        y = _scan_planes(data, init, scan.axis, scan, combine, padding)
    b.replace_op(op, [b.to_type(y, t)])
    return True
