"""Small IR builders shared by the lowerings (all in jaxlib's MLIR).

The lowerings emit ``scf`` loops over ``tensor`` values with ``arith`` index
math, and inline the op's StableHLO regions (rank-0 tensors) into the loop
bodies. ``stablehlo-legalize-to-linalg`` converts StableHLO ops wherever they
are nested, but it only converts the *types* of StableHLO ops: ``scf``/``tensor``
ops keep ``ui8``-style element types and the IR becomes invalid. So every value
that crosses into a loop is made signless first (``stablehlo.bitcast_convert``,
a no-op after legalization) and the unsigned view is restored only where a
StableHLO op needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, scf, stablehlo

from tilewright.diagnostics import SourceLocation, TilewrightError, location_of

Value = Any  # jaxlib.mlir.ir.Value (the bindings are untyped for mypy/ruff purposes)

# Set by lower_unsupported_ops so errors name the user's file, not "-".
CURRENT_FILENAME: list[str | None] = [None]


def unsupported(op: Any, why: str) -> TilewrightError:
    """The error for a form of ``op`` tilewright cannot lower, at the op's location."""
    name = op.operation.name
    loc = location_of(op.location, CURRENT_FILENAME[0]) or SourceLocation(CURRENT_FILENAME[0] or "<input>")
    return TilewrightError(f"'{name}' is not supported by tilewright ({why})", loc)


def static_tensor_type(op: Any, value: Value, what: str) -> ir.RankedTensorType:
    """``value``'s type as a statically shaped ranked tensor, or an unsupported-op error."""
    t = value.type
    if not isinstance(t, ir.RankedTensorType):
        raise unsupported(op, f"{what} is not a ranked tensor: {t}")
    t = ir.RankedTensorType(t)
    if not t.has_static_shape:
        raise unsupported(op, f"{what} has a dynamic shape: {t}")
    return t


def signless_element(elem: ir.Type) -> ir.Type:
    if isinstance(elem, ir.IntegerType):
        it = ir.IntegerType(elem)
        if not it.is_signless:
            return ir.IntegerType.get_signless(it.width)
    return elem


def signless_type(t: ir.Type) -> ir.Type:
    """``tensor<..xui8>`` -> ``tensor<..xi8>``; other types unchanged."""
    rt = ir.RankedTensorType(t)
    elem = signless_element(rt.element_type)
    if elem == rt.element_type:
        return t
    return ir.RankedTensorType.get(rt.shape, elem)


def to_signless(value: Value) -> Value:
    st = signless_type(value.type)
    if st == value.type:
        return value
    return stablehlo.BitcastConvertOp(st, value).result


def to_type(value: Value, t: ir.Type) -> Value:
    """Reinterpret a signless ``value`` as ``t`` (same shape and bit width)."""
    if value.type == t:
        return value
    return stablehlo.BitcastConvertOp(t, value).result


def index_type() -> ir.Type:
    return ir.IndexType.get()


def const_index(v: int) -> Value:
    return arith.constant(index_type(), v)


def const_bool(v: bool) -> Value:
    return arith.constant(ir.IntegerType.get_signless(1), int(v))


def tensor_extract(tensor: Value, indices: Sequence[Value]) -> Value:
    elem = ir.RankedTensorType(tensor.type).element_type
    return ir.Operation.create("tensor.extract", results=[elem], operands=[tensor, *indices]).result


def tensor_insert(scalar: Value, tensor: Value, indices: Sequence[Value]) -> Value:
    return ir.Operation.create("tensor.insert", results=[tensor.type], operands=[scalar, tensor, *indices]).result


def scalar_tensor(scalar: Value, t: ir.Type) -> Value:
    """A rank-0 tensor of type ``t`` (possibly unsigned) holding the signless ``scalar``."""
    t0 = ir.RankedTensorType.get([], scalar.type)
    packed = ir.Operation.create("tensor.from_elements", results=[t0], operands=[scalar]).result
    return to_type(packed, t)


def tensor_scalar(value: Value) -> Value:
    """The element of a rank-0 tensor, as a signless scalar."""
    return tensor_extract(to_signless(value), [])


def index_of(scalar: Value) -> Value:
    """A signless integer scalar as an ``index`` (sign-extended)."""
    return arith.index_cast(index_type(), scalar)


def all_true(conds: Sequence[Value]) -> Value:
    if not conds:
        return const_bool(True)
    result = conds[0]
    for c in conds[1:]:
        result = arith.andi(result, c)
    return result


def cmp_index(pred: str, lhs: Value, rhs: Value) -> Value:
    return arith.cmpi(getattr(arith.CmpIPredicate, pred), lhs, rhs)


def yield_(values: Sequence[Value]) -> None:
    scf.YieldOp(list(values))


def loop_nest(
    bounds: Sequence[int],
    inits: Sequence[Value],
    body: Callable[[list[Value], list[Value]], Sequence[Value]],
    lower: Sequence[int] | None = None,
) -> list[Value]:
    """``scf.for`` loops over ``[lower, bound)`` (step 1), outermost first,
    carrying ``inits``; ``body(ivs, carried)`` returns the new carried values.
    With no bounds, ``body`` runs once, inline."""
    lower = list(lower) if lower is not None else [0] * len(bounds)

    def build(level: int, ivs: list[Value], carried: list[Value]) -> list[Value]:
        if level == len(bounds):
            return list(body(ivs, carried))
        loop = scf.ForOp(const_index(lower[level]), const_index(bounds[level]), const_index(1), carried)
        with ir.InsertionPoint(loop.body):
            inner = build(level + 1, [*ivs, loop.induction_variable], list(loop.inner_iter_args))
            yield_(inner)
        return list(loop.results)

    return build(0, [], list(inits))


def if_else(
    cond: Value,
    result_types: Sequence[ir.Type],
    then: Callable[[], Sequence[Value]],
    otherwise: Callable[[], Sequence[Value]],
) -> list[Value]:
    op = scf.IfOp(cond, list(result_types), has_else=True)
    with ir.InsertionPoint(op.then_block):
        yield_(then())
    with ir.InsertionPoint(op.else_block):
        yield_(otherwise())
    return list(op.results)


def inline_region(region: ir.Region, args: Sequence[Value]) -> list[Value]:
    """Move the ops of ``region``'s single block to the current insertion point,
    with its arguments replaced by ``args``; returns the values its terminator
    returned. The region is left with only
    its terminator, so each region can be inlined once (each is used once)."""
    block = region.blocks[0]
    for arg, value in zip(block.arguments, args, strict=True):
        arg.replace_all_uses_with(value)
    ops = list(block.operations)
    terminator = ops[-1]
    ip = ir.InsertionPoint.current
    ref = ip.ref_operation
    for op in ops[:-1]:
        if ref is not None:
            op.move_before(ref)
        else:
            ip.block.append(op)  # moves the op
    return list(terminator.operands)


def clone_region(region: ir.Region, args: Sequence[Value]) -> list[Value]:
    """Like :func:`inline_region` but copies the ops, so a region can be inlined
    any number of times (e.g. a comparator in every pass of a sort)."""
    block = region.blocks[0]
    mapping = dict(zip(block.arguments, args, strict=True))
    ops = list(block.operations)
    ip = ir.InsertionPoint.current

    def remap(inner: Any) -> Any:
        operands = inner.operation.operands
        for i in range(len(operands)):
            new = mapping.get(operands[i])
            if new is not None:
                operands[i] = new
        return ir.WalkResult.ADVANCE

    for op in ops[:-1]:
        copy = op.clone(ip=ip)
        copy.walk(remap)
        for old, new in zip(op.results, copy.results, strict=True):
            mapping[old] = new
    return [mapping.get(v, v) for v in ops[-1].operands]


def check_single_block(op: Any, region: ir.Region, what: str, n_args: int) -> None:
    """Preconditions for :func:`inline_region`."""
    blocks = list(region.blocks)
    if len(blocks) != 1:
        raise unsupported(op, f"{what} must have exactly one block")
    if len(blocks[0].arguments) != n_args:
        raise unsupported(op, f"{what} takes {len(blocks[0].arguments)} arguments, expected {n_args}")
    ops = list(blocks[0].operations)
    if not ops or ops[-1].name not in ("stablehlo.return", "mhlo.return"):
        raise unsupported(op, f"{what} does not end in stablehlo.return")


def replace_op(op: Any, values: Sequence[Value]) -> None:
    for old, new in zip(op.results, values, strict=True):
        old.replace_all_uses_with(new)
    op.erase()


def dense_i64(attr: Any) -> list[int]:
    """A ``DenseI64ArrayAttr``/``DenseIntElementsAttr``/absent attribute as a list."""
    if attr is None:
        return []
    if isinstance(attr, ir.DenseI64ArrayAttr):
        return list(ir.DenseI64ArrayAttr(attr))
    if isinstance(attr, ir.DenseIntElementsAttr):
        return [int(v) for v in ir.DenseIntElementsAttr(attr)]
    raise TypeError(f"not an integer array attribute: {attr}")


def get_attr(op: Any, name: str) -> Any:
    attrs = op.operation.attributes
    return attrs[name] if name in attrs else None


def drops_leading_units(sizes: Sequence[int], kept: Sequence[int]) -> bool:
    """Whether a slice of ``sizes`` reduced to shape ``kept`` drops only leading unit dims.

    Only such rank-reducing slices are used: upstream folds an ``insert_slice`` of a
    ``transfer_write`` into one write of the destination assuming the dropped dims lead
    (a column of a 2x3 tensor, inserted as ``tensor<2xf32>``, came out written along a row).
    """
    lead = len(sizes) - len(kept)
    return lead >= 0 and list(sizes[lead:]) == list(kept) and all(n == 1 for n in sizes[:lead])


def _slice_attributes(offsets: list[Any], sizes: list[int], n_leading: int) -> dict[str, ir.Attribute]:
    dynamic = ir.ShapedType.get_dynamic_size()
    return {
        "static_offsets": ir.DenseI64ArrayAttr.get([dynamic] * len(offsets)),
        "static_sizes": ir.DenseI64ArrayAttr.get(sizes),
        "static_strides": ir.DenseI64ArrayAttr.get([1] * len(sizes)),
        "operandSegmentSizes": ir.DenseI32ArrayAttr.get([1] * n_leading + [len(offsets), 0, 0]),
    }


def extract_slice(source: Any, offsets: list[Any], sizes: list[int], result: ir.Type) -> Any:
    """``tensor.extract_slice`` (unit strides, dynamic offsets), rank-reduced to ``result``."""
    attrs = _slice_attributes(offsets, sizes, 1)
    return ir.Operation.create(
        "tensor.extract_slice", results=[result], operands=[source, *offsets], attributes=attrs
    ).result


def insert_slice(source: Any, dest: Any, offsets: list[Any], sizes: list[int]) -> Any:
    """``tensor.insert_slice`` of ``source`` (rank-reduced) into ``dest`` at ``offsets``."""
    attrs = _slice_attributes(offsets, sizes, 2)
    return ir.Operation.create(
        "tensor.insert_slice", results=[dest.type], operands=[source, dest, *offsets], attributes=attrs
    ).result
