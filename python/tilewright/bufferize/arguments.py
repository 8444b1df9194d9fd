"""Function arguments are the caller's buffers: make bufferization treat them as read-only.

One-shot bufferization assumes tensor arguments of a function are writable,
so an op that updates a tensor in place (``tensor.insert``/``insert_slice``
from ``dynamic_update_slice``, ``scatter``, ``sort``...) would write straight
into the numpy array the caller passed in. ``bufferization.writable = false``
on every tensor argument makes it copy first, and only where something writes;
one-shot bufferization removes the attribute again.
"""

from __future__ import annotations

from mlir import ir

WRITABLE = "bufferization.writable"


def readonly_arguments(module: ir.Operation) -> None:
    """Mark the tensor arguments of every function with a body ``bufferization.writable = false``."""
    for op in module.regions[0].blocks[0].operations:
        func = op.operation
        if func.name != "func.func" or not func.regions[0].blocks:
            continue
        args = list(func.regions[0].blocks[0].arguments)
        if not any(isinstance(a.type, ir.RankedTensorType | ir.UnrankedTensorType) for a in args):
            continue
        old = list(ir.ArrayAttr(func.attributes["arg_attrs"])) if "arg_attrs" in func.attributes else []
        new = []
        for i, arg in enumerate(args):
            entries = {n.name: n.attr for n in ir.DictAttr(old[i])} if i < len(old) else {}
            if isinstance(arg.type, ir.RankedTensorType | ir.UnrankedTensorType):
                entries[WRITABLE] = ir.BoolAttr.get(False)
            new.append(ir.DictAttr.get(entries))
        func.attributes["arg_attrs"] = ir.ArrayAttr.get(new)


def readonly_arguments_pass(op: ir.Operation, pass_: object) -> None:
    """``PassManager.add`` entry point."""
    with op.context, op.location:
        readonly_arguments(op)
