"""``stablehlo.while``/``if``/``case`` as ``scf.while``/``scf.if``/``scf.index_switch``.

The condition region becomes the ``before`` region (its ``tensor<i1>`` result
extracted into ``scf.condition``), the body region the ``after`` region; every
loop-carried value (any number, any ranked tensor type) is carried signless,
as ``stablehlo-legalize-to-linalg`` does not convert ``scf`` types. The
regions' StableHLO ops are moved, not copied, and are legalized in place.
``stablehlo.if`` becomes ``scf.if``; ``stablehlo.case`` becomes
``scf.index_switch`` with the last branch as the default, which is also what
StableHLO specifies for an out-of-range index.
"""

from __future__ import annotations

from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import scf

from tilewright.ingress.legalize import _build as b


def lower_while(op: Any) -> None:
    """Replace one ``stablehlo.while`` by an ``scf.while`` (see the module docstring)."""
    types = [v.type for v in op.operands]
    for t in types:
        if not isinstance(t, ir.RankedTensorType):
            raise b.unsupported(op, f"a loop-carried value of type {t}")
    cond, body = op.regions
    b.check_single_block(op, cond, "the condition", len(types))
    b.check_single_block(op, body, "the body", len(types))
    signless = [b.signless_type(t) for t in types]
    loop = scf.WhileOp(signless, [b.to_signless(v) for v in op.operands])
    before = loop.before.blocks.append(*signless)
    after = loop.after.blocks.append(*signless)
    with ir.InsertionPoint(before):
        args = [b.to_type(a, t) for a, t in zip(before.arguments, types, strict=True)]
        (flag,) = b.inline_region(cond, args)
        scf.ConditionOp(b.tensor_scalar(flag), list(before.arguments))
    with ir.InsertionPoint(after):
        args = [b.to_type(a, t) for a, t in zip(after.arguments, types, strict=True)]
        results = b.inline_region(body, args)
        b.yield_([b.to_signless(v) for v in results])
    b.replace_op(op, [b.to_type(r, t) for r, t in zip(loop.results, types, strict=True)])


def _branch_types(op: Any) -> list[ir.Type]:
    types = [v.type for v in op.results]
    for t in types:
        if not isinstance(t, ir.RankedTensorType):
            raise b.unsupported(op, f"a result of type {t}")
    for k, region in enumerate(op.regions):
        b.check_single_block(op, region, f"branch #{k}", 0)
    return types


def _fill_branch(block: Any, region: ir.Region) -> None:
    with ir.InsertionPoint(block):
        b.yield_([b.to_signless(v) for v in b.inline_region(region, [])])


def lower_if(op: Any) -> None:
    """Replace one ``stablehlo.if`` by an ``scf.if``."""
    types = _branch_types(op)
    pred = b.tensor_scalar(op.operands[0])
    branch = scf.IfOp(pred, [b.signless_type(t) for t in types], has_else=True)
    _fill_branch(branch.then_block, op.regions[0])
    _fill_branch(branch.else_block, op.regions[1])
    b.replace_op(op, [b.to_type(r, t) for r, t in zip(branch.results, types, strict=True)])


def lower_case(op: Any) -> None:
    """Replace one ``stablehlo.case`` by an ``scf.index_switch`` (default: the last branch)."""
    types = _branch_types(op)
    regions = list(op.regions)
    index = b.index_of(b.tensor_scalar(op.operands[0]))
    switch = ir.Operation.create(
        "scf.index_switch",
        results=[b.signless_type(t) for t in types],
        operands=[index],
        attributes={"cases": ir.DenseI64ArrayAttr.get(list(range(len(regions) - 1)))},
        regions=len(regions),
    )
    # Region 0 is the default, then one region per case value.
    _fill_branch(switch.regions[0].blocks.append(), regions[-1])
    for k, region in enumerate(regions[:-1]):
        _fill_branch(switch.regions[k + 1].blocks.append(), region)
    b.replace_op(op, [b.to_type(r, t) for r, t in zip(switch.results, types, strict=True)])
