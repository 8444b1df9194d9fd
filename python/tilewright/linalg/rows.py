"""``tw-duplicate-cheap-producers``, ``tw-hoist-row-invariants``, ``tw-distinct-destinations``.

Three rewrites that make the fusion groups of the schedule library (row tiles, producers
fused, :mod:`tilewright.schedule.cpu.elementwise`) run the way a row-wise program is meant to:

**Cheap producers.** ``linalg-fuse-elementwise-ops`` fuses a producer only into its single
consumer. A layernorm's ``x - mean`` feeds both the variance and the normalization, so it
stayed a tensor of its own, written and read back on every row through a temporary the
row loop allocated each time. An all-parallel producer whose per-element ops are a few
arithmetic ones (no division, no ``math``; per-row ones are moved out below) that feeds a
reduction and other generics is copied once per consumer; the next elementwise fusion folds
each copy into its consumer, which recomputes it from the producer's inputs (one subtraction
per element), as XLA's fusion does.

**Row invariants.** ``linalg-fuse-elementwise-ops`` fuses the per-row tail of a
reduction into the elementwise op that consumes it: a layernorm's ``sqrt(var / n + eps)``
lands in the body of ``(x - mean) / sqrt(...)`` and runs once per *element* (a vector
``sqrt`` and two divides per 16 floats: layernorm ran 0.4x XLA). Every body value
computed only from operands that do not vary along the innermost loop (read through
maps without that loop, or constants and values from outside) and used by an op that
does vary is moved into an elementwise ``linalg.generic`` of its own over exactly the
loops it reads (``split_contractions`` builds it the same way); the op reads it back
through a broadcasting map. The schedule fuses that op into the row loop, so the work
happens once per row. A division by a per-row square root becomes a product with its
reciprocal square root, as XLA's algebraic simplifier rewrites it (``a / sqrt(b)`` ->
``a * rsqrt(b)``): a per-element divide costs as much as the rest of a layernorm row.

**Destinations.** CSE merges every ``tensor.empty`` of one shape, so a row group's
producers and its root share one init. ``fuse_into_containing_op`` then makes a fused
producer write into the root's ``scf.forall`` output (the loop's shared init), and
bufferization, seeing the output tile read and written by two ops, copies it into a
temporary on every row (softmax: 16 KB per row, a third of its time). Each generic writing
into a ``tensor.empty`` that a later generic writes into too gets a copy of its own, tagged
``tw.destination`` with a number unique in the module so that later CSE (the schedules run
it) keeps them apart.
"""

from __future__ import annotations

import itertools

from mlir import ir
from mlir.dialects import arith, linalg
from mlir.dialects import math as mlir_math

from tilewright.linalg.split_contractions import Side, _affine_map, _cone, _materialize, map_dims

DESTINATION_ATTR = "tw.destination"

# Body ops cheap enough to recompute in every consumer instead of storing their result.
CHEAP_OPS = frozenset(
    {
        "arith.addf",
        "arith.subf",
        "arith.mulf",
        "arith.negf",
        "arith.maximumf",
        "arith.minimumf",
        "arith.select",
        "arith.cmpf",
        "arith.extf",
        "arith.truncf",
        "arith.constant",
        "linalg.yield",
    }
)


def _walk(module: ir.Operation, name: str) -> list[ir.Operation]:
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == name:
            found.append(op)
        return ir.WalkResult.ADVANCE

    module.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def _owner(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    return owner.operation if isinstance(owner, ir.Operation | ir.OpView) else None


def _as_operation(op: ir.Operation | ir.OpView) -> ir.Operation:
    return op.operation if isinstance(op, ir.OpView) else op


def _value_dims(block: ir.Block, maps: list[tuple[int, ...]], loops: int) -> dict[int, frozenset[int]] | None:
    """Loop dims each body value depends on (by ``hash``; ``maps`` are the inputs', an output
    argument counts as varying along every loop); None for bodies with regions or index ops."""
    dims: dict[int, frozenset[int]] = {}
    for i, arg in enumerate(block.arguments):
        dims[hash(arg)] = frozenset(maps[i]) if i < len(maps) else frozenset(range(loops))
    for op in block.operations:
        op = op.operation
        if len(op.regions) or op.name == "linalg.index":
            return None
        reads = frozenset().union(*(dims.get(hash(v), frozenset()) for v in op.operands))
        for result in op.results:
            dims[hash(result)] = reads
    return dims


def hoist_row_invariants(op: ir.Operation) -> bool:
    """Move the row-invariant computations of a generic (all-parallel, or a row reduction:
    reductions innermost) into all-parallel generics of their own."""
    if op.name != "linalg.generic" or len(op.results) != 1:
        return False
    iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    reducing = ["reduction" in it for it in iterators]
    if not iterators or reducing != sorted(reducing):
        return False
    maps = [map_dims(a) for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if any(m is None for m in maps):
        return False
    dims_of: list[tuple[int, ...]] = [m for m in maps if m is not None]
    num_inputs = len(op.operands) - 1
    block = op.regions[0].blocks[0]
    value_dims = _value_dims(block, dims_of[:num_inputs], len(iterators))
    if value_dims is None:
        return False
    inner = len(iterators) - 1
    if _divisions_by_row_roots(block, value_dims, inner):
        value_dims = _value_dims(block, dims_of[:num_inputs], len(iterators))
        assert value_dims is not None
    frontier: list[ir.Value] = []
    for body_op in block.operations:
        body_op = body_op.operation
        if body_op.name == "linalg.yield" or inner not in value_dims[hash(body_op.results[0])]:
            continue
        for v in body_op.operands:
            d = value_dims.get(hash(v))
            producer = _owner(v)
            if not d or inner in d or producer is None or producer.parent != op:
                continue  # varies along rows, is a block argument, or comes from outside
            if all(hash(f) != hash(v) for f in frontier):
                frontier.append(v)
    ranges = _static_ranges(op, dims_of)
    if not frontier or ranges is None:
        return False
    sides: list[Side] = []
    for v in frontier:
        cone = _cone(v, block)
        if cone is None:
            return False
        ops, args, _ = cone
        sides.append(Side(v, ops, sorted(args), tuple(sorted(value_dims[hash(v)]))))
    with ir.InsertionPoint(op), op.location:
        hoisted = [_materialize(op, s, ranges, dims_of[:num_inputs]) for s in sides]
        _rebuild_with_inputs(op, frontier, hoisted, iterators, dims_of, num_inputs)
    return True


def _divisions_by_row_roots(block: ir.Block, value_dims: dict[int, frozenset[int]], inner: int) -> bool:
    """``a / sqrt(b)`` -> ``a * rsqrt(b)`` where ``b`` is the same along the innermost loop and
    every use of the root is such a division; whether any was rewritten."""
    changed = False
    for body_op in [o.operation for o in block.operations]:
        if body_op.name != "math.sqrt":
            continue
        root = body_op.results[0]
        d = value_dims[hash(root)]
        uses = [(_as_operation(u.owner), u.operand_number) for u in root.uses]
        if not d or inner in d or not uses or any(o.name != "arith.divf" or n != 1 for o, n in uses):
            continue
        with ir.InsertionPoint(body_op), body_op.location:
            rsqrt = mlir_math.rsqrt(body_op.operands[0])
        for div, _ in uses:
            with ir.InsertionPoint(div), div.location:
                product = arith.mulf(div.operands[0], rsqrt)
            div.results[0].replace_all_uses_with(product)
            div.erase()
        body_op.erase()
        changed = True
    return changed


def _static_ranges(op: ir.Operation, dims_of: list[tuple[int, ...]]) -> dict[int, int] | None:
    ranges: dict[int, int] = {}
    for value, dims in zip(op.operands, dims_of, strict=True):
        shaped = ir.RankedTensorType(value.type)
        if not shaped.has_static_shape:
            return None
        for axis, d in enumerate(dims):
            ranges[d] = shaped.get_dim_size(axis)
    return ranges


def _rebuild_with_inputs(
    op: ir.Operation,
    replaced: list[ir.Value],
    hoisted: list[tuple[ir.Value, tuple[int, ...]]],
    iterators: list[str],
    dims_of: list[tuple[int, ...]],
    num_inputs: int,
) -> None:
    """``op`` again with the hoisted tensors as extra inputs, read where ``replaced`` was
    computed; body ops and inputs that only fed the replaced values are dropped."""
    old = op.regions[0].blocks[0]
    args = list(old.arguments)
    body = [o.operation for o in old.operations]
    position = {hash(v): i for i, v in enumerate(replaced)}
    producer = {hash(r): o for o in body for r in o.results}
    live: set[int] = set()
    used_args: set[int] = set()
    used_hoisted: set[int] = set()
    work = list(body[-1].operands)
    while work:
        v = work.pop()
        if hash(v) in position:
            used_hoisted.add(position[hash(v)])
        elif isinstance(v, ir.BlockArgument) and v.owner == old:
            used_args.add(v.arg_number)
        elif hash(v) in producer and hash(producer[hash(v)]) not in live:
            live.add(hash(producer[hash(v)]))
            work.extend(producer[hash(v)].operands)
    kept_inputs = [i for i in range(num_inputs) if i in used_args]
    kept_hoisted = [i for i in range(len(replaced)) if i in used_hoisted]
    loops = len(iterators)
    operands = list(op.operands)
    inputs = [operands[i] for i in kept_inputs] + [hoisted[i][0] for i in kept_hoisted]
    indexing = [_affine_map(loops, dims_of[i]) for i in kept_inputs]
    indexing += [_affine_map(loops, hoisted[i][1]) for i in kept_hoisted]
    indexing += [_affine_map(loops, d) for d in dims_of[num_inputs:]]
    types = [r.type for r in op.results]
    outputs = operands[num_inputs:]
    generic = linalg.GenericOp(types, inputs, outputs, ir.ArrayAttr.get(indexing), op.attributes["iterator_types"])
    sources = [args[i] for i in kept_inputs] + [replaced[i] for i in kept_hoisted] + args[num_inputs:]
    new = generic.regions[0].blocks.append(*(v.type for v in sources))
    mapping = {hash(v): new.arguments[i] for i, v in enumerate(sources)}
    with ir.InsertionPoint(new):
        for body_op in body:
            if body_op.name != "linalg.yield" and hash(body_op) not in live:
                continue
            clone = body_op.clone()
            for i, operand in enumerate(clone.operands):
                if hash(operand) in mapping:
                    clone.operands[i] = mapping[hash(operand)]
            for old_result, new_result in zip(body_op.results, clone.results, strict=True):
                mapping[hash(old_result)] = new_result
    op.results[0].replace_all_uses_with(generic.results[0])
    op.erase()


def duplicate_cheap_producers(module: ir.Operation) -> int:
    """Copy each cheap all-parallel generic that feeds a reduction once per further consumer; how many."""
    made = 0
    for op in _walk(module, "linalg.generic"):
        if len(op.results) != 1 or not _cheap(op):
            continue
        uses = [(_as_operation(use.owner), use.operand_number) for use in op.results[0].uses]
        if len(uses) < 2 or any(o.name != "linalg.generic" or n >= len(o.operands) - len(o.results) for o, n in uses):
            continue  # also used as an init, or by something that is not fused
        if not any("reduction" in str(a) for o, _ in uses for a in ir.ArrayAttr(o.attributes["iterator_types"])):
            continue
        for owner, number in uses[1:]:
            with ir.InsertionPoint(op), op.location:
                copy = op.clone()
            owner.operands[number] = copy.results[0]
            made += 1
    return made


def _cheap(op: ir.Operation) -> bool:
    """Whether every body op that varies along the innermost loop is in ``CHEAP_OPS`` (what only
    depends on the row, such as ``sum / n``, is moved out by :func:`hoist_row_invariants`)."""
    iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    if not iterators or any("reduction" in it for it in iterators):
        return False
    maps = [map_dims(a) for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if any(m is None for m in maps):
        return False
    block = op.regions[0].blocks[0]
    dims = _value_dims(block, [m for m in maps if m is not None][: len(op.operands) - len(op.results)], len(iterators))
    if dims is None:
        return False
    inner = len(iterators) - 1
    for body_op in block.operations:
        body_op = body_op.operation
        varies = any(inner in dims[hash(r)] for r in body_op.results)
        if varies and body_op.name not in CHEAP_OPS:
            return False
    return True


def distinct_destinations(module: ir.Operation, counter: itertools.count | None = None) -> int:
    """Give every ``linalg.generic`` but the last one writing into a shared ``tensor.empty`` one
    of its own; how many. The last one (the group root, or a matmul's epilogue) and other ops
    (a matmul's fill) keep sharing it: the packed matmul's unpack writes C in place into its
    epilogue's output because they share it."""
    counter = counter or itertools.count()
    made = 0
    for empty in _walk(module, "tensor.empty"):
        uses = [(_as_operation(use.owner), use.operand_number) for use in empty.results[0].uses]
        generics = [(o, n) for o, n in uses if o.name == "linalg.generic" and n >= len(o.operands) - len(o.results)]
        order = _block_order(empty)
        if len(generics) < 2 or any(_key(o) not in order for o, _ in generics):
            continue
        generics.sort(key=lambda use: order[_key(use[0])])
        for owner, number in generics[:-1]:
            with ir.InsertionPoint(empty), empty.location:
                copy = empty.clone()
            copy.attributes[DESTINATION_ATTR] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), next(counter))
            owner.operands[number] = copy.results[0]
            made += 1
    return made


def _key(op: ir.Operation) -> int:
    return hash(op)


def _block_order(op: ir.Operation) -> dict[int, int]:
    """Position of every op in ``op``'s block."""
    return {_key(o.operation): i for i, o in enumerate(op.block.operations)}


def duplicate_cheap_producers_pass(module: ir.Operation, _pass: object) -> None:
    """The pass entry (``PassManager.add``); an elementwise fusion must follow."""
    duplicate_cheap_producers(module)


def hoist_row_invariants_pass(module: ir.Operation, _pass: object) -> None:
    """The pass entry (``PassManager.add``)."""
    for op in _walk(module, "linalg.generic"):
        hoist_row_invariants(op)


def distinct_destinations_pass(module: ir.Operation, _pass: object) -> None:
    """The pass entry (``PassManager.add``); must run after the linalg stage's last CSE."""
    distinct_destinations(module)
