"""The payload's dataflow graph and the fusion groups the default CPU schedule tiles.

:class:`Payload` reads the linalg ops of a module (their
:class:`~tilewright.schedule.info.LinalgOpInfo` and the producer/consumer edges between them);
:func:`plan` sorts them into what the library schedules each way (:class:`Plan`: attention
chains, contractions with their epilogues, convolutions, elementwise/reduction groups with
their fused producers, ops left alone); the helpers below say which loops of a group must stay
whole. :mod:`.default` builds the schedule from the plan.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from mlir import ir

from tilewright.schedule.cpu.elementwise import MAX_GROUP_ROW_ELEMENTS
from tilewright.schedule.info import LinalgOpInfo, ModuleInfo
from tilewright.schedule.tags import outermost_linalg_ops

if TYPE_CHECKING:
    pass

CONTRACTIONS = ("linalg.matmul", "linalg.batch_matmul")

# The library's final vectorization with pad vectorization on turns every top-level tensor.pad
# into one vector of its whole result (a 514x514 pad: over 5 minutes in LLVM): larger pads are
# bufferized in tiles first (the "pads" part), and the vectorization then folds only the pads
# that vector reads consume directly (the matmul kernels' partial tiles).
MAX_PAD_ELEMENTS = 4096
# Convolutions and 2-D pools: the library's convolution schedules (:func:`.cpu.conv.schedule_convolution`).
CONVOLUTIONS = (
    "linalg.conv_2d_nhwc_hwcf",
    "linalg.conv_1d_nwc_wcf",
    "linalg.pooling_nhwc_max",
    "linalg.pooling_nhwc_sum",
)


class PadShapes(NamedTuple):
    """Static shapes of a payload ``tensor.pad``: what it reads and what it makes."""

    source: tuple[int, ...]
    result: tuple[int, ...]


@dataclass
class Node:
    """A payload linalg op with its dataflow: which linalg ops feed each operand, which use its result."""

    info: LinalgOpInfo
    operand_producers: list[int | None] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    escapes: bool = False  # the result is also used by a non-linalg op (return, pad, reshape, ...)
    specialize: bool = False  # a generic the schedule turns into the named op ``info.name`` first
    tileable: bool = True  # False: a negative map coefficient (upstream's tiling asserts) or an empty loop

    @property
    def index(self) -> int:
        return self.info.index

    @property
    def name(self) -> str:
        return self.info.name


@dataclass
class Payload:
    """The payload as a dataflow graph of its linalg ops (one function, top level only)."""

    info: ModuleInfo
    nodes: list[Node]
    pads: list[PadShapes] = field(default_factory=list)  # each top-level tensor.pad, in module order

    @staticmethod
    def of(module: ir.Module) -> Payload | None:
        """The graph of ``module``, or None when the default library does not apply."""
        built = Payload.build(module)
        return built if isinstance(built, Payload) else None

    @staticmethod
    def build(module: ir.Module) -> Payload | str:
        """The graph of ``module``, or why the default library leaves it unscheduled (several
        functions, dynamic shapes, a strided insert_slice, a nested or dynamic pad; "" when it
        has no linalg op at all).

        Linalg ops inside loop bodies (``while``/``fori_loop``/``scan``, sort and scatter
        lowerings) are nodes like the others: dataflow edges are kept only between ops of the
        same block, so nothing is fused across a loop boundary (it would be recomputed on
        every iteration), and a value crossing one counts as escaping its block.
        """
        info = ModuleInfo.from_module(module)
        funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"]
        if not info.ops:
            return ""
        if len(funcs) != 1:
            return f"{len(funcs)} functions (the library schedules one)"
        if any(r is None for o in info.ops for r in o.loop_ranges):
            return "dynamic shapes"
        linalg_ops = outermost_linalg_ops(funcs[0])
        if len(linalg_ops) != len(info.ops):
            return "linalg ops the module description does not list"
        if _strided_insert_slice(funcs[0]):
            return "a tensor.insert_slice with non-unit strides (the vectorizer drops strides)"
        top = [op.operation for op in funcs[0].regions[0].blocks[0].operations]
        pads = _top_level_pads(funcs[0], top)
        if pads is None:
            return "a tensor.pad nested in a region or with dynamic sizes"
        position = {_key(op): i for i, op in enumerate(linalg_ops)}
        block_of = [_key(op.parent) for op in linalg_ops]
        nodes = []
        for o, op in zip(info.ops, linalg_ops, strict=True):
            named = _specialized_contraction(o)
            node = Node(replace(o, name=named), specialize=True) if named else Node(o)
            # Empty ops (a zero extent: nothing to compute) are left alone: the library's tile
            # arithmetic divides by their sizes.
            node.tileable = 0 not in o.loop_ranges and not _negative_coefficients(op)
            nodes.append(node)
        for i, op in enumerate(linalg_ops):
            for operand in op.operands:
                owner = _producer(operand)
                p = position.get(_key(owner)) if owner is not None else None
                if p is not None and block_of[p] != block_of[i]:
                    nodes[p].escapes, p = True, None  # produced in another block: not fused across
                nodes[i].operand_producers.append(p)
            for result in op.results:
                for use in result.uses:
                    j = position.get(_key(use.owner))
                    if j is None or block_of[j] != block_of[i]:
                        nodes[i].escapes = True
                    elif j not in nodes[i].users:
                        nodes[i].users.append(j)
        return Payload(info, nodes, pads)


def _negative_coefficients(op: ir.Operation) -> bool:
    """Whether an indexing map of ``op`` scales a loop by a non-positive factor (``-d0 + 3``,
    reversals): ``linalg::makeTiledShapes`` asserts on those ("nonpositive multiplying
    coefficient", MLIR 22), so the op must be neither tiled nor fused."""
    if "indexing_maps" not in op.attributes:
        return False  # named ops without the attribute use projected permutations

    def negative(expr: ir.AffineExpr) -> bool:
        if isinstance(expr, ir.AffineMulExpr):
            for factor in (expr.lhs, expr.rhs):
                if isinstance(factor, ir.AffineConstantExpr) and factor.value <= 0:
                    return True
        if isinstance(expr, ir.AffineBinaryExpr):
            return negative(expr.lhs) or negative(expr.rhs)
        return False

    maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    return any(negative(e) for m in maps for e in m.results)


def _strided_insert_slice(func: ir.Operation) -> bool:
    """Whether ``func`` has a ``tensor.insert_slice`` with a non-unit stride (``lhs_dilation``
    of a convolution, strided scatter of slices): upstream's insert_slice vectorization
    (MLIR 22, run by the library's function-wide vectorization) ignores the strides."""
    found = False

    def visit(op: ir.Operation) -> ir.WalkResult:
        nonlocal found
        if op.name == "tensor.insert_slice":  # a dynamic stride reads as kDynamic: counted too
            found = found or any(v != 1 for v in ir.DenseI64ArrayAttr(op.attributes["static_strides"]))
        return ir.WalkResult.ADVANCE

    func.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def _top_level_pads(func: ir.Operation, top: list[ir.Operation]) -> list[PadShapes] | None:
    """Shapes of the ``tensor.pad`` ops of ``func`` (all at the top level, static), or None
    when one is nested or dynamic (the vectorization would reach it whole too)."""
    shapes: list[PadShapes] = []
    count = 0

    def visit(op: ir.Operation) -> ir.WalkResult:
        nonlocal count
        count += op.name == "tensor.pad"
        return ir.WalkResult.ADVANCE

    func.walk(visit, ir.WalkOrder.PRE_ORDER)
    for op in top:
        if op.name == "tensor.pad":
            shape = ir.RankedTensorType(op.results[0].type).shape
            source = ir.RankedTensorType(op.operands[0].type).shape
            if any(ir.ShapedType.is_dynamic_size(d) for d in [*shape, *source]):
                return None
            shapes.append(PadShapes(tuple(source), tuple(shape)))
    return shapes if len(shapes) == count else None


def _specialized_contraction(op: LinalgOpInfo) -> str | None:
    """The named op a ``linalg.generic`` becomes under ``transform.structured.specialize`` when it
    is a plain (batch) matmul, possibly with transposed operands (``dot_general`` as JAX's einsum
    exports it): the schedule specializes it first and then treats it as that op."""
    dims = op.contraction_dims
    if op.name != "linalg.generic" or dims is None or op.body_ops != ("arith.mulf", "arith.addf", "linalg.yield"):
        return None
    if any(len(dims[d]) != 1 for d in ("m", "n", "k")) or len(dims["batch"]) > 1:
        return None
    batch = dims["batch"]
    if len(op.iterator_types) != 3 + len(batch) or len(op.inputs) != 2:
        return None
    return "linalg.batch_matmul" if batch else "linalg.matmul"


def _key(op: ir.Operation | ir.OpView) -> int:
    return hash(op.operation if hasattr(op, "operation") else op)


def _producer(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    return owner.operation if isinstance(owner, ir.Operation | ir.OpView) else None


@dataclass
class Plan:
    """Which library schedule each payload op gets; ops not named are left as they are (loops)."""

    attention: list[tuple[int, list[int]]] = field(default_factory=list)  # (root contraction, fused ops)
    raised: list[tuple[int, list[int]]] = field(default_factory=list)  # (P·V root, the chain): tw.attention
    contractions: list[tuple[int, int | None]] = field(default_factory=list)  # (op, its fill)
    convolutions: list[tuple[int, int | None]] = field(default_factory=list)  # (op, its fill)
    groups: list[tuple[int, list[int]]] = field(default_factory=list)  # (root, fused producers)
    alone: list[int] = field(default_factory=list)  # ops tiled on their own into small tiles

    def describe(self, payload: Payload) -> list[str]:
        """One line per scheduled op group (``tilewright compile --emit scheduled`` prints none of this)."""
        name = [n.name for n in payload.nodes]
        out = [f"attention: {name[r]}#{r} + {len(f)} fused ops" for r, f in self.attention]
        out += [f"raised attention: {name[r]}#{r} + {len(f)} ops" for r, f in self.raised]
        out += [f"contraction: {name[r]}#{r}" for r, _ in self.contractions]
        out += [f"convolution: {name[r]}#{r}" for r, _ in self.convolutions]
        out += [f"fusion group: {name[r]}#{r} + {len(f)} producers" for r, f in self.groups]
        out += [f"tiled alone: {name[r]}#{r}" for r in self.alone]
        return out


def _single_user_fill(payload: Payload, node: Node, operand: int) -> int | None:
    """The ``linalg.fill`` producing ``node``'s operand, if nothing else uses it (it is fused)."""
    p = node.operand_producers[operand] if operand < len(node.operand_producers) else None
    if p is None:
        return None
    producer = payload.nodes[p]
    if producer.name == "linalg.fill" and producer.users == [node.index] and not producer.escapes:
        return p
    return None


def _fusable(payload: Payload, producer: int, group: set[int]) -> bool:
    n = payload.nodes[producer]
    if n.escapes or not n.users or any(u not in group for u in n.users):
        return False
    if not n.tileable or not _trailing_reductions(n.info):
        return False
    return n.name in ("linalg.generic", "linalg.fill", "linalg.map", "linalg.transpose", "linalg.broadcast")


def _grow_group(payload: Payload, root: int, taken: set[int], through: set[int] | None = None) -> list[int]:
    """Producers of ``root`` (transitively) that only feed the group, in the order they are fused."""
    group = {root}
    order: list[int] = []
    frontier = [root]
    while frontier:
        current = frontier.pop(0)
        for p in payload.nodes[current].operand_producers:
            if p is None or p in group or p in taken:
                continue
            if through is not None and p not in through:
                continue
            if _fusable(payload, p, group):
                group.add(p)
                order.append(p)
                frontier.append(p)
    return sorted(order, reverse=True)  # consumers before producers, see _attention_chain


def _attention_chain(payload: Payload, root: Node, taken: set[int]) -> list[int] | None:
    """For a contraction whose LHS is a chain of generics (softmax) ending in another contraction
    (the scores), the ops to fuse into the row loop: generics, fills and the first contraction."""
    first = root.operand_producers[0] if root.operand_producers else None
    chain: list[int] = []
    seen: set[int] = set()
    frontier = [first] if first is not None else []
    scores = None
    while frontier:
        i = frontier.pop(0)
        if i in seen or i in taken:
            continue
        seen.add(i)
        n = payload.nodes[i]
        if n.escapes:
            return None
        if n.name in CONTRACTIONS:
            if (scores is not None and scores != i) or not n.tileable:
                return None
            scores = i
            continue
        if n.name not in ("linalg.generic", "linalg.fill", "linalg.broadcast", "linalg.map"):
            return None
        if not n.tileable or not _trailing_reductions(n.info):
            return None
        chain.append(i)
        frontier.extend(p for p in n.operand_producers if p is not None)
    if scores is None:
        return None
    # Only ops whose every user is fused too (repeat: dropping one can strand its producers),
    # and the scores must feed nothing but fused ops, or fusing them into the loop fails.
    members = set(chain)
    while True:
        group = {root.index, scores, *members}
        kept = {i for i in members if all(u in group for u in payload.nodes[i].users)}
        if kept == members:
            break
        members = kept
    if not any(payload.nodes[i].info.reduction_dims for i in members):
        return None
    if payload.nodes[scores].escapes or any(u not in {root.index, *members} for u in payload.nodes[scores].users):
        return None
    fills = [f for f in (_single_user_fill(payload, payload.nodes[scores], 2),) if f is not None]
    # Fused consumers first: an op is fused only after every user inside the group,
    # or fuse_into_containing_op leaves its original outside for the remaining users.
    return sorted({*members, scores, *fills}, reverse=True)


def _trailing_reductions(op: LinalgOpInfo) -> bool:
    """Whether every reduction loop comes after every parallel loop (row reductions)."""
    iters = op.iterator_types
    first = next((i for i, t in enumerate(iters) if t == "reduction"), len(iters))
    return all(t == "reduction" for t in iters[first:])


def plan(payload: Payload, raisable: Mapping[int, Collection[int]] | None = None) -> Plan:
    """Choose a library schedule for every payload op (see the module docstring).

    ``raisable`` maps the P·V root of each chain ``tw-raise-attention`` raises to the chain's ops
    (:mod:`tilewright.schedule.raising`): those the row-fused attention does not take are raised."""
    out = Plan()
    taken: set[int] = set()
    nodes = payload.nodes
    for n in reversed(nodes):  # consumers first: attention claims its softmax and scores
        if n.name in CONTRACTIONS and n.index not in taken and n.tileable:
            chain = _attention_chain(payload, n, taken)
            if chain is not None:
                fill = _single_user_fill(payload, n, 2)
                fused = sorted({*chain, *([fill] if fill is not None else [])}, reverse=True)
                out.attention.append((n.index, fused))
                taken.update([n.index, *fused])
    for root, members in (raisable or {}).items():
        if root in taken or not nodes[root].tileable or taken & set(members):
            continue
        out.raised.append((root, sorted(set(members) - {root}, reverse=True)))
        taken.update([root, *members])
    for n in nodes:
        if n.index in taken:
            continue
        if (n.name in CONTRACTIONS or n.name in CONVOLUTIONS) and n.tileable:
            fill = _single_user_fill(payload, n, 2)
            (out.contractions if n.name in CONTRACTIONS else out.convolutions).append((n.index, fill))
            taken.add(n.index)
            if fill is not None:
                taken.add(fill)
    for n in reversed(nodes):
        if n.index in taken or n.name == "linalg.fill" or not n.tileable or not _group_root(n.info):
            continue
        producers = _grow_group(payload, n.index, taken)
        if producers and not _whole_dims_trailing(payload, n.index, producers):
            producers = []  # e.g. a transpose of softmax rows: the softmax roots a group of its own
        if _row_elements(payload, n.index, producers) > MAX_GROUP_ROW_ELEMENTS:
            continue  # whole rows too long to vectorize: these ops are tiled alone below
        out.groups.append((n.index, producers))
        taken.update([n.index, *producers])
    # Everything else that has loops and can be tiled: alone, in small tiles (see module docstring).
    out.alone = [n.index for n in nodes if n.index not in taken and n.tileable and n.info.iterator_types]
    return out


def epilogue_of(payload: Payload, p: Plan, contraction: int) -> int | None:
    """The fusion group that is ``contraction``'s epilogue (bias + GELU after a dense layer), if
    any: a group of its root alone, all-parallel over the result's shape, the result's only user,
    reading it in place (identity map) into a fresh tensor; :func:`.cpu.matmul.fuses_epilogue`."""
    node = payload.nodes[contraction]
    root = payload.nodes[node.users[0]] if len(node.users) == 1 and not node.escapes else None
    if root is None or (root.index, []) not in p.groups or not root.tileable or not root.info.is_elementwise:
        return None
    op, result = root.info, node.info.outputs[0]
    inits = root.operand_producers[len(op.inputs) :]
    if result is None or tuple(op.loop_ranges) != result.shape or any(q is not None for q in inits):
        return None
    maps = [op.indexing_maps[i] for i, q in enumerate(root.operand_producers[: len(op.inputs)]) if q == contraction]
    return root.index if all(_axis_dims(m) == list(range(op.num_loops)) for m in maps) else None


def _group_root(op: LinalgOpInfo) -> bool:
    """Whether ``op`` can root a fusion group: a parallel loop to tile by rows, reductions only
    innermost (row reductions)."""
    return "parallel" in op.iterator_types and _trailing_reductions(op)


def group_whole_dims(payload: Payload, root: int, producers: list[int]) -> set[int]:
    """Loops of the group's root that stay whole: those its fused producers reduce over.

    A member that reads a reducing member (``x / sum(x)``) must see whole rows along the loops
    missing from that input's map; those loops are traced through every tensor handed on to
    the root (a transpose of the probabilities, as ``dot_product_attention`` has, permutes
    them), so a reduction is never split across tiles.
    """
    members = set(producers)
    whole: dict[int, set[int]] = {}
    reducing: set[int] = set()
    for x in [*sorted(producers), root]:  # producers before their users (module order)
        node = payload.nodes[x]
        loops = set(range(len(node.info.iterator_types)))
        dims: set[int] = set()
        for i, p in enumerate(node.operand_producers[: len(node.info.inputs)]):
            if p not in members or i >= len(node.info.indexing_maps):
                continue
            read = _axis_dims(node.info.indexing_maps[i])
            if p in reducing:
                dims |= loops - {d for d in read if d is not None}
            producer = payload.nodes[p].info
            written = _axis_dims(producer.indexing_maps[len(producer.inputs)]) if producer.indexing_maps else []
            for axis, e in enumerate(written):
                if e in whole.get(p, ()) and axis < len(read) and read[axis] is not None:
                    dims.add(read[axis])
        whole[x] = dims
        if node.info.reduction_dims or any(q in reducing for q in node.operand_producers if q in members):
            reducing.add(x)
    return whole[root]


def whole_inner_loops(payload: Payload, root: int, producers: list[int], whole: set[int]) -> set[int]:
    """Members of the group (root and producers) whose innermost loop a row tile keeps whole.

    Each member loop is traced to the root loop it is tiled with, through the maps between a
    producer's result and its consumer's operand; a loop missing from the producer's result (a
    reduction) is whole. Only such loops may be cut into chunks (:func:`.cpu.elementwise.chunk_rows`):
    the fill of a row sum or a per-row scale, whose only loop is the tiled row loop, came out
    of the chunking as a loop of dynamic size that is never vectorized (RMSNorm allocated its
    one-element accumulator on the heap for every row).
    """
    keep = set(whole) | set(payload.nodes[root].info.reduction_dims)
    tied: dict[int, list[int | None]] = {root: list(range(len(payload.nodes[root].info.iterator_types)))}
    for p in producers:  # consumers before producers (see _grow_group)
        info = payload.nodes[p].info
        loops: list[int | None] = [None] * len(info.iterator_types)
        for c, consumer in ((c, payload.nodes[c]) for c in tied):
            for i, q in enumerate(consumer.operand_producers):
                if q != p or i >= len(consumer.info.indexing_maps) or not info.indexing_maps:
                    continue
                read = _axis_dims(consumer.info.indexing_maps[i])
                written = _axis_dims(info.indexing_maps[len(info.inputs)])
                for axis, d in enumerate(written):
                    if d is not None and axis < len(read) and read[axis] is not None:
                        loops[d] = tied[c][read[axis]]
        tied[p] = loops
    return {m for m, loops in tied.items() if not loops or loops[-1] is None or loops[-1] in keep}


def _whole_dims_trailing(payload: Payload, root: int, producers: list[int]) -> bool:
    """Whether a root that reads its fused producers through a permutation keeps whole only
    loops that come after every loop it tiles. With a tiled loop inside a whole one (a transpose
    moving the softmax's row axis outward, as ``dot_product_attention`` has), the chunking of
    long rows cut the tiled loop and the fused reductions came out wrong (seq 264: off by 100x)."""
    node = payload.nodes[root]
    op = node.info
    members = set(producers)
    permuted = any(
        p in members and i < len(op.indexing_maps) and _permutes(op.indexing_maps[i])
        for i, p in enumerate(node.operand_producers[: len(op.inputs)])
    )
    if not permuted:  # rows and columns in place (a column softmax): the chunks cut the right loop
        return True
    keep = group_whole_dims(payload, root, producers) | set(op.reduction_dims)
    ranges = [r or 1 for r in op.loop_ranges]
    first = min(keep, default=len(ranges))
    return all(d in keep or ranges[d] == 1 for d in range(first, len(ranges)))


def _permutes(indexing_map: str) -> bool:
    """Whether a map reads loop dims out of order (a transpose)."""
    dims = [d for d in _axis_dims(indexing_map) if d is not None]
    return dims != sorted(dims)


def _axis_dims(indexing_map: str) -> list[int | None]:
    """The loop dim each result axis of an indexing map reads (None for any other expression)."""
    results = indexing_map.split("->", 1)[-1].strip().strip("()")
    out: list[int | None] = []
    for expr in (e.strip() for e in results.split(",") if e.strip()):
        match = re.fullmatch(r"d(\d+)", expr)
        out.append(int(match.group(1)) if match else None)
    return out


def _row_elements(payload: Payload, root: int, producers: list[int]) -> int:
    """Elements of one row of the group (the loops a tile keeps whole); unbounded without row loops."""
    op = payload.nodes[root].info
    keep = group_whole_dims(payload, root, producers) | set(op.reduction_dims)
    if all(t == "reduction" or d in keep for d, t in enumerate(op.iterator_types)):
        return 1 << 62 if keep else 1
    row = 1
    for d in keep:
        row *= op.loop_ranges[d] or 1
    return row
