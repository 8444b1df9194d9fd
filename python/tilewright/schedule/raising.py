"""Attention chains the C++ raise accepts, found before a default schedule is built.

``tw-raise-attention`` recognizes ``softmax(Q·Kᵀ)·V`` in every form the exporters write (named
or generic contractions, f16/bf16 with f32 inside, masks, GQA by ``repeat``). The CPU and NVVM
libraries ask it which chains of the tagged payload it raises, on a clone, and then raise
those inside their schedules (``transform.tw.raise_attention`` on the P·V contraction), so the
library's own Python pattern matching never has to know the forms.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlir import ir
from mlir.passmanager import PassManager

from tilewright.schedule.cpu.flash import AttentionShape
from tilewright.schedule.tags import OP_TAG

_RESHAPES = ("tensor.collapse_shape", "tensor.expand_shape", "tensor.cast")


@dataclass(frozen=True)
class RaisableChain:
    """One chain the raise replaces by a ``tw.attention`` of ``shape``."""

    root: int  # the P·V contraction's tag (the raise starts from it)
    members: frozenset[int]  # the tags of the ops the raise replaces, the root included
    shape: AttentionShape
    init_fill: int | None  # the tag of the linalg.fill that is the root's only-used init, if any


def top_level_ops(payload: ir.Module) -> dict[int, ir.Operation]:
    """Tagged linalg ops whose parent is a function, by tag (those inside loops are not raised)."""
    ops: dict[int, ir.Operation] = {}
    for func in payload.body.operations:
        if func.operation.name != "func.func":
            continue
        for op in func.operation.regions[0].blocks[0].operations:
            op = op.operation
            if OP_TAG in op.attributes:
                ops[ir.IntegerAttr(op.attributes[OP_TAG]).value] = op
    return ops


def tag_of(op: ir.Operation | ir.OpView) -> int | None:
    op = op.operation
    return ir.IntegerAttr(op.attributes[OP_TAG]).value if OP_TAG in op.attributes else None


def raisable_chains(payload: ir.Module, top: dict[int, ir.Operation]) -> list[RaisableChain]:
    """The attention chains of the tagged ``payload`` that ``tw-raise-attention`` raises (tried on
    a clone), in module order. Empty without the C++ extension."""
    from tilewright import extension

    if not extension.available():
        return []
    extension.register()
    clone = payload.operation.clone()
    try:
        PassManager.parse("builtin.module(func.func(tw-raise-attention))", payload.context).run(clone)
        left: set[int] = set()
        raised: list[ir.Operation] = []

        def visit(op: ir.Operation) -> ir.WalkResult:
            if op.name == "tw.attention":
                raised.append(op)  # it carries its root's tag: the root is gone all the same
            elif OP_TAG in op.attributes:
                left.add(ir.IntegerAttr(op.attributes[OP_TAG]).value)
            return ir.WalkResult.ADVANCE

        clone.walk(visit)
        shapes = [AttentionShape.of(op) for op in raised]
        tags = [tag_of(op) for op in raised]
    except ir.MLIRError:
        return []
    finally:
        clone.erase()
    gone = {tag for tag in top if tag not in left}
    if all(tag is not None for tag in tags):
        roots = [tag for tag in tags if tag is not None]
    else:  # an extension that drops the root's tag: the gone op whose result leaves the chain
        roots = [tag for tag in sorted(gone) if not _consumers(top[tag].results[0]) <= gone]
    if len(roots) != len(shapes) or not set(roots) <= gone:
        return []
    return [
        RaisableChain(root, frozenset(_producers(top[root], gone)), shape, init_fill(top[root]))
        for root, shape in zip(roots, shapes, strict=True)
    ]


def _consumers(value: ir.Value) -> set[int | None]:
    """The tags of the ops using ``value``, through reshapes (None: an untagged user, a return)."""
    found: set[int | None] = set()
    for use in value.uses:
        owner = use.owner.operation
        if owner.name in _RESHAPES:
            found |= _consumers(owner.results[0])
        else:
            found.add(tag_of(owner))
    return found


def _producers(root: ir.Operation, gone: set[int]) -> set[int]:
    """``root`` and the ops of ``gone`` it reads from, transitively and through reshapes: its chain."""
    chain: set[int] = set()
    frontier = [root]
    while frontier:
        op = frontier.pop()
        tag = tag_of(op)
        if op.name not in _RESHAPES:
            if tag is None or tag not in gone or tag in chain:
                continue
            chain.add(tag)
        for operand in op.operands:
            owner = operand.owner
            if isinstance(owner, ir.Operation | ir.OpView):
                frontier.append(owner.operation)
    return chain


def init_fill(root: ir.Operation) -> int | None:
    """The tag of the ``linalg.fill`` that is ``root``'s init (its last operand) and has no other use."""
    init = root.operands[len(root.operands) - 1]
    owner = init.owner
    if isinstance(owner, ir.Operation | ir.OpView) and owner.operation.name == "linalg.fill":
        if len(list(init.uses)) == 1:
            return tag_of(owner)
    return None
