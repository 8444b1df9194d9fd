"""The ``tw.op_id`` tags the default schedule puts on payload linalg ops.

Every part of the default schedule (:func:`tilewright.schedule.default.default_schedule`)
finds its ops by their tag, whatever earlier parts did to the payload; the tags are
removed once the schedule was applied (:func:`untag_ops`).
"""

from __future__ import annotations

from mlir import ir

OP_TAG = "tw.op_id"
"""The attribute the default schedule puts on each payload linalg op (its index in module order):
every part of the schedule finds its ops by it, whatever earlier parts did to the payload."""


def tag_ops(module: ir.Module) -> None:
    """Put ``OP_TAG`` = index on every linalg op of ``module`` (module order, as :class:`Payload`)."""
    funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"]
    with module.context:
        i64 = ir.IntegerType.get_signless(64)
        index = 0
        for func in funcs:
            for op in outermost_linalg_ops(func):
                op.attributes[OP_TAG] = ir.IntegerAttr.get(i64, index)
                index += 1


def untag_ops(module: ir.Module) -> None:
    """Remove ``OP_TAG`` from every op of ``module`` (after the schedule was applied)."""

    def visit(op: ir.Operation) -> ir.WalkResult:
        if OP_TAG in op.attributes:
            del op.attributes[OP_TAG]
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)


def outermost_linalg_ops(func: ir.Operation) -> list[ir.Operation]:
    """The linalg ops of ``func`` not nested in another linalg op, in pre-order (the order of
    :class:`ModuleInfo` and of the schedule's positional handles), loop bodies included."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name.startswith("linalg.") and op.name not in ("linalg.yield", "linalg.index"):
            found.append(op)
            return ir.WalkResult.SKIP  # its body holds no schedulable op
        return ir.WalkResult.ADVANCE

    func.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found
