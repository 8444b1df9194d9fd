"""Which handle operands a transform op consumes, read from the op's own memory effects.

The pinned Python bindings (MLIR 22.1.8) do not expose ``MemoryEffectOpInterface``,
but they do register upstream's ``transform-infer-effects`` pass, which reads
exactly those effects: it marks each argument of a named sequence
``{transform.consumed}`` if an op in the body frees it (consumes the handle), else
``{transform.readonly}``. Cloning the op into a one-op sequence whose arguments
are its operands and running that pass therefore answers the question for any
registered transform op, extension ops included, without a table here.
"""

from __future__ import annotations

from mlir import ir
from mlir.dialects import transform
from mlir.passmanager import PassManager

INFER_EFFECTS = "builtin.module(transform-infer-effects)"
_CACHE: dict[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], frozenset[int]] = {}


def consumed_operands(op: ir.Operation) -> frozenset[int] | None:
    """Indices of the operands ``op`` consumes; ``None`` if MLIR cannot tell (reported later, if invalid).

    Cached per op name, operand types and attributes for ops without regions (attributes can
    change the effects: ``bufferize_to_allocation`` consumes its target unless
    ``bufferize_destination_only``); with a body (``foreach``, ``apply_patterns``), the effects
    depend on it.
    """
    attributes = tuple(sorted((name, str(op.attributes[name])) for name in op.attributes))
    key = (op.name, tuple(str(v.type) for v in op.operands), attributes)
    cacheable = len(op.regions) == 0
    if cacheable and key in _CACHE:
        return _CACHE[key]
    with op.context, ir.Location.unknown():
        probe = ir.Module.create()
        probe.operation.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
        with ir.InsertionPoint(probe.body):
            sequence = transform.NamedSequenceOp("probe", [v.type for v in op.operands], [])
        with ir.InsertionPoint(sequence.body):
            clone = op.clone()
            for i, arg in enumerate(sequence.body.arguments):
                clone.operands[i] = arg
            transform.YieldOp([])
        pm = PassManager.parse(INFER_EFFECTS)
        pm.enable_verifier(False)  # a clone with a body may use values of the schedule outside the probe
        try:
            pm.run(probe.operation)
        except ir.MLIRError:
            return None
        marked = ir.ArrayAttr(sequence.operation.attributes["arg_attrs"]) if op.operands else []
        result = frozenset(i for i, attrs in enumerate(marked) if "transform.consumed" in ir.DictAttr(attrs))
    if cacheable:
        _CACHE[key] = result
    return result
