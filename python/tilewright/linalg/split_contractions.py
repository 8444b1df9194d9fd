"""Split elementwise work that elementwise fusion folded into a contraction back out of it.

``linalg-fuse-elementwise-ops`` fuses every all-parallel producer into its consumer,
contractions included: a softmax's divide lands in the body of the P·V contraction
(``acc + (p / sum) * v``), a rotary embedding's select-and-gather in Q·Kᵀ. Such a
generic is no longer a multiply-accumulate, so it is never named (``matmul`` /
``batch_matmul``) and no contraction schedule takes it: it runs as scalar loops.

This rewrite finds generics whose body ends in ``acc + x * y`` (or ``x * y + acc``)
where ``x`` and ``y`` are computed from the inputs only, and moves each non-trivial
side (anything but a block argument or a cast of one) into an elementwise
``linalg.generic`` of its own, over exactly the loop dims its inputs read. What is
left is a plain contraction, which ``tw-canonicalize-contractions`` then names.
The split only happens when the result is a contraction with M, N and K dims.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlir import ir
from mlir.dialects import linalg, tensor

from tilewright.mlir_env import find_ops

_CASTS = ("arith.extf", "arith.extsi", "arith.extui", "arith.sitofp", "arith.uitofp")
_MULTIPLY = {"arith.mulf": "arith.addf", "arith.muli": "arith.addi"}


@dataclass
class Side:
    """One factor of the product: the body value, the input args its cone reads, its loop dims."""

    value: ir.Value
    ops: list[ir.Operation]  # the cone, in body order (empty: a block argument, possibly cast)
    inputs: list[int]  # indices of the input operands the cone reads
    dims: tuple[int, ...]  # loop dims of the factor's own tensor, ascending
    index_dims: frozenset[int] = frozenset()  # dims the cone reads by linalg.index


def _defining_op(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    return owner.operation if isinstance(owner, ir.Operation | ir.OpView) else None


def map_dims(attr: ir.Attribute) -> tuple[int, ...] | None:
    """The loop dims of a projected-permutation indexing map's results; None for anything else."""
    dims = []
    for expr in ir.AffineMapAttr(attr).value.results:
        expr = expr.maybe_downcast()
        if not isinstance(expr, ir.AffineDimExpr):
            return None
        dims.append(expr.position)
    return tuple(dims) if len(set(dims)) == len(dims) else None


def _cone(value: ir.Value, block: ir.Block) -> tuple[list[ir.Operation], set[int], set[int]] | None:
    """Ops of ``block`` computing ``value``, the block args they read and the dims of their
    ``linalg.index`` ops; None if the cone reads the accumulator or has side effects."""
    ops: dict[int, ir.Operation] = {}
    args: set[int] = set()
    index_dims: set[int] = set()
    accumulator = len(block.arguments) - 1
    block_ops = [o.operation for o in block.operations]
    in_block = {hash(o): o for o in block_ops}
    work = [value]
    seen: set[int] = set()
    while work:
        v = work.pop()
        if hash(v) in seen:
            continue
        seen.add(hash(v))
        if isinstance(v, ir.BlockArgument) and v.owner == block:
            if v.arg_number == accumulator:
                return None
            args.add(v.arg_number)
            continue
        op = _defining_op(v)
        if op is None or hash(op) not in in_block:
            continue  # defined outside the generic (a constant, a captured tensor)
        ops[hash(op)] = op
        if op.name == "linalg.index":
            index_dims.add(ir.IntegerAttr(op.attributes["dim"]).value)
        work.extend(op.operands)
        # Values used inside nested regions (scf.if branches) belong to the cone too.
        for nested in _nested_ops(op)[1:]:  # the walk starts at the op itself
            if nested.name == "linalg.index":
                index_dims.add(ir.IntegerAttr(nested.attributes["dim"]).value)
            work.extend(nested.operands)
    ordered = [o for o in block_ops if hash(o) in ops]
    return ordered, args, index_dims


def _nested_ops(op: ir.Operation) -> list[ir.Operation]:
    found: list[ir.Operation] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        found.append(inner)
        return ir.WalkResult.ADVANCE

    op.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def _side(value: ir.Value, block: ir.Block, maps: list[tuple[int, ...]]) -> Side | None:
    direct = value
    op = _defining_op(direct)
    if op is not None and op.name in _CASTS and isinstance(op.operands[0], ir.BlockArgument):
        direct = op.operands[0]  # a cast of an input: the named matmul casts it itself
    if isinstance(direct, ir.BlockArgument) and direct.owner == block:
        if direct.arg_number == len(block.arguments) - 1:
            return None
        return Side(value, [], [direct.arg_number], tuple(sorted(maps[direct.arg_number])))
    cone = _cone(value, block)
    if cone is None:
        return None
    ops, args, index_dims = cone
    dims = set(index_dims)
    for a in args:
        dims.update(maps[a])
    return Side(value, ops, sorted(args), tuple(sorted(dims)), frozenset(index_dims))


def _roles(lhs: set[int], rhs: set[int], out: set[int], loops: int) -> bool:
    """Whether (lhs, rhs, out) dims make a contraction with M, N and K dims and nothing else."""
    batch = lhs & rhs & out
    m, n, k = (lhs & out) - rhs, (rhs & out) - lhs, (lhs & rhs) - out
    return bool(m and n and k) and len(batch | m | n | k) == loops and lhs | rhs | out == batch | m | n | k


def split_fused_contraction(op: ir.Operation) -> bool:
    """Split ``op`` if it is a contraction with elementwise work fused into its factors."""
    if op.name != "linalg.generic" or len(op.results) != 1:
        return False
    iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    if not any("reduction" in it for it in iterators):
        return False
    maps = [map_dims(a) for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if any(m is None for m in maps):
        return False
    block = op.regions[0].blocks[0]
    body = [o.operation for o in block.operations]
    if len(body) < 3 or body[-1].name != "linalg.yield":
        return False
    add = body[-2]
    accumulator = block.arguments[len(block.arguments) - 1]
    if add.name not in _MULTIPLY.values() or body[-1].operands[0] != add.results[0]:
        return False
    operands = list(add.operands)
    if accumulator not in operands:
        return False
    product = operands[1] if operands[0] == accumulator else operands[0]
    mul = _defining_op(product)
    if mul is None or _MULTIPLY.get(mul.name) != add.name or len(list(product.uses)) != 1:
        return False
    num_inputs = len(op.operands) - 1
    input_maps: list[tuple[int, ...]] = [m for m in maps[:num_inputs] if m is not None]
    sides = [_side(v, block, input_maps) for v in mul.operands]
    if any(s is None for s in sides) or all(not s.ops for s in sides if s is not None):
        return False
    x, y = sides
    assert x is not None and y is not None
    out_dims = maps[-1]
    assert out_dims is not None
    ranges = loop_ranges(op, maps)
    if ranges is None or any(d not in ranges for s in sides for d in s.dims if s is not None):
        return False
    # Unit reduction dims only one factor reads (a repeat by 1 folded away leaves P a unit key
    # dim V lacks): that factor reads them at 0 and the contraction loses them.
    dropped = {d for d in set(x.dims) ^ set(y.dims) if d not in out_dims and ranges[d] == 1}
    if any(dropped & s.index_dims for s in (x, y)):
        return False
    kept = [d for d in range(len(iterators)) if d not in dropped]
    if not _roles(set(x.dims) - dropped, set(y.dims) - dropped, set(out_dims), len(kept)):
        return False
    with ir.InsertionPoint(op), op.location:
        factors = [_materialize(op, s, ranges, input_maps, dropped) for s in (x, y)]
        number = {d: i for i, d in enumerate(kept)}
        factors = [(value, tuple(number[d] for d in dims)) for value, dims in factors]
        out = tuple(number[d] for d in out_dims)
        _rebuild(op, factors, (x, y), mul, add, [iterators[d] for d in kept], out)
    return True


def loop_ranges(op: ir.Operation, maps: list[tuple[int, ...] | None]) -> dict[int, int] | None:
    """The static extent of each loop dim, from the operands read through ``maps`` (from
    :func:`map_dims`); None with a dynamic shape or a map that is not a projected permutation."""
    ranges: dict[int, int] = {}
    for value, dims in zip(op.operands, maps, strict=True):
        shaped = ir.RankedTensorType(value.type)
        if not shaped.has_static_shape or dims is None:
            return None
        for axis, d in enumerate(dims):
            ranges[d] = shaped.get_dim_size(axis)
    return ranges


def _affine_map(loops: int, dims: tuple[int, ...]) -> ir.AffineMapAttr:
    return ir.AffineMapAttr.get(ir.AffineMap.get(loops, 0, [ir.AffineDimExpr.get(d) for d in dims]))


def _input_map(loops: int, dims: tuple[int, ...], position: dict[int, int]) -> ir.AffineMapAttr:
    """An input's map into a factor's loops; a dim the factor dropped (unit) is read at 0."""
    exprs = [ir.AffineDimExpr.get(position[d]) if d in position else ir.AffineConstantExpr.get(0) for d in dims]
    return ir.AffineMapAttr.get(ir.AffineMap.get(loops, 0, exprs))


def _materialize(
    op: ir.Operation,
    side: Side,
    ranges: dict[int, int],
    maps: list[tuple[int, ...]],
    dropped: frozenset[int] | set[int] = frozenset(),
) -> tuple[ir.Value, tuple[int, ...]]:
    """The factor as a tensor over its dims but ``dropped`` (unit dims its inputs read at 0): an
    input as it is, or a new elementwise generic."""
    dims = tuple(d for d in side.dims if d not in dropped)
    if not side.ops and not dropped & set(side.dims):
        (index,) = side.inputs
        return op.operands[index], maps[index]
    position = {d: i for i, d in enumerate(dims)}
    old_block = op.regions[0].blocks[0]
    # A factor without ops (an input, maybe cast) is copied uncast: the contraction casts it.
    element = side.value.type if side.ops else old_block.arguments[side.inputs[0]].type
    init = tensor.empty([ranges[d] for d in dims], element)
    inputs = [op.operands[i] for i in side.inputs]
    indexing = [_input_map(len(dims), maps[i], position) for i in side.inputs]
    indexing.append(_affine_map(len(dims), tuple(range(len(dims)))))
    parallel = [ir.Attribute.parse("#linalg.iterator_type<parallel>")] * len(dims)
    generic = linalg.GenericOp([init.type], inputs, [init], ir.ArrayAttr.get(indexing), ir.ArrayAttr.get(parallel))
    arg_types = [old_block.arguments[i].type for i in side.inputs] + [element]
    new_block = generic.regions[0].blocks.append(*arg_types)
    mapping: dict[int, ir.Value] = {
        hash(old_block.arguments[i]): new_block.arguments[j] for j, i in enumerate(side.inputs)
    }
    with ir.InsertionPoint(new_block):
        for old in side.ops:
            if old.name == "linalg.index":
                old_dim = ir.IntegerAttr(old.attributes["dim"]).value
                new_index = linalg.IndexOp(position[old_dim])
                mapping[hash(old.results[0])] = new_index.result
                continue
            clone = old.clone()
            for nested in _nested_ops(clone):
                for i, operand in enumerate(nested.operands):
                    if hash(operand) in mapping:
                        nested.operands[i] = mapping[hash(operand)]
            for old_result, new_result in zip(old.results, clone.results, strict=True):
                mapping[hash(old_result)] = new_result
        # linalg.index inside nested regions of the cone: renumber to the new dims
        for nested in _nested_ops(generic.operation):
            if nested.name == "linalg.index" and nested.parent is not None and nested.parent != generic.operation:
                old_dim = ir.IntegerAttr(nested.attributes["dim"]).value
                if old_dim in position and hash(nested.results[0]) not in mapping:
                    nested.attributes["dim"] = ir.IntegerAttr.get(ir.IndexType.get(), position[old_dim])
        linalg.YieldOp([mapping[hash(side.value)] if side.ops else new_block.arguments[0]])
    return generic.results[0], dims


def _rebuild(op, factors, sides, mul, add, iterators, out_dims) -> None:
    """The contraction again, now ``acc + a * b`` over the two factor tensors."""
    loops = len(iterators)
    (a, a_dims), (b, b_dims) = factors
    init = op.operands[len(op.operands) - 1]
    indexing = [_affine_map(loops, a_dims), _affine_map(loops, b_dims), _affine_map(loops, out_dims)]
    kinds = [
        ir.Attribute.parse(f"#linalg.iterator_type<{'reduction' if 'reduction' in it else 'parallel'}>")
        for it in iterators
    ]
    generic = linalg.GenericOp(
        [op.results[0].type], [a, b], [init], ir.ArrayAttr.get(indexing), ir.ArrayAttr.get(kinds)
    )
    old_block = op.regions[0].blocks[0]
    a_type = sides[0].value.type if sides[0].ops else ir.RankedTensorType(a.type).element_type
    b_type = sides[1].value.type if sides[1].ops else ir.RankedTensorType(b.type).element_type
    acc = old_block.arguments[len(old_block.arguments) - 1]
    block = generic.regions[0].blocks.append(a_type, b_type, acc.type)
    with ir.InsertionPoint(block):
        values = []
        for side, arg in zip(sides, block.arguments[:2], strict=True):
            value = arg
            cast = _defining_op(side.value)
            if not side.ops and cast is not None and cast.name in _CASTS:
                clone = cast.clone()
                clone.operands[0] = arg
                value = clone.results[0]
            values.append(value)
        product = mul.clone()
        product.operands[0], product.operands[1] = values
        total = add.clone()
        total.operands[0], total.operands[1] = block.arguments[2], product.results[0]
        linalg.YieldOp([total.results[0]])
    op.results[0].replace_all_uses_with(generic.results[0])
    op.erase()


def split_fused_contractions(module: ir.Operation) -> int:
    """Split every contraction of ``module`` that elementwise fusion folded work into."""
    return sum(split_fused_contraction(op) for op in find_ops(module, "linalg.generic", pre_order=True))
