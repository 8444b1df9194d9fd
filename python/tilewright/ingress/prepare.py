"""Program-wide StableHLO rewrites that legalization to linalg needs first (jaxlib's MLIR).

They run after CHLO legalization and before tilewright's own op lowerings and
``stablehlo-legalize-to-linalg``:

* **Unsigned values across calls.** Legalization makes integers signless in
  function signatures but leaves ``func.call`` ops unsigned, which fails
  verification (``'func.call' op result type mismatch``); jaxlib cannot inline
  calls either. Unsigned values therefore cross calls as signless integers,
  with ``stablehlo.bitcast_convert`` on both sides (a no-op after legalization).
* **Boolean add.** StableHLO defines ``add`` on ``i1`` as logical or, but
  legalization emits ``arith.addi`` (xor on ``i1``); such adds become
  ``stablehlo.or``.
"""

from __future__ import annotations

from typing import Any


def prepare_for_legalization(module: Any) -> None:
    """Apply the rewrites above to ``module`` (a jaxlib module, inside its context)."""
    with module.operation.location:
        _signless_call_boundaries(module)
        _boolean_add_to_or(module)


def _is_unsigned_tensor(t: Any) -> bool:
    from jaxlib.mlir import ir as jir

    if not isinstance(t, jir.RankedTensorType):
        return False
    elem = t.element_type
    return isinstance(elem, jir.IntegerType) and elem.is_unsigned


def _signless(t: Any) -> Any:
    from jaxlib.mlir import ir as jir

    if _is_unsigned_tensor(t):
        return jir.RankedTensorType.get(t.shape, jir.IntegerType.get_signless(t.element_type.width), t.encoding)
    return t


def _bitcast(value: Any, to_type: Any) -> Any:
    from jaxlib.mlir.dialects import stablehlo

    return stablehlo.BitcastConvertOp(to_type, value).result


def _walk(root: Any, name: str) -> list[Any]:
    from jaxlib.mlir import ir as jir

    found: list[Any] = []

    def visit(op: Any) -> Any:
        if op.operation.name == name:
            found.append(op.operation)
        return jir.WalkResult.ADVANCE

    root.walk(visit)
    return found


def _signless_call_boundaries(module: Any) -> None:
    from jaxlib.mlir import ir as jir

    funcs = {
        op.operation.attributes["sym_name"].value: op.operation
        for op in module.body.operations
        if op.operation.name == "func.func"
    }
    calls = _walk(module.operation, "func.call")
    callees = set()
    for call in calls:
        callee = jir.FlatSymbolRefAttr(call.attributes["callee"]).value
        types = [v.type for v in call.operands] + [r.type for r in call.results]
        if callee in funcs and any(_is_unsigned_tensor(t) for t in types):
            callees.add(callee)
    if not callees:
        return
    for name in callees:
        _make_signature_signless(funcs[name])
    for call in calls:
        callee = jir.FlatSymbolRefAttr(call.attributes["callee"]).value
        if callee not in callees:
            continue
        with jir.InsertionPoint(call), call.location:
            operands = [_bitcast(v, _signless(v.type)) if _is_unsigned_tensor(v.type) else v for v in call.operands]
            new_call = jir.Operation.create(
                "func.call",
                results=[_signless(r.type) for r in call.results],
                operands=operands,
                attributes={name: call.attributes[name] for name in _attribute_names(call)},
            )
        for old, new in zip(call.results, new_call.results, strict=True):
            if _is_unsigned_tensor(old.type):
                with jir.InsertionPoint(call), call.location:
                    new = _bitcast(new, old.type)
            old.replace_all_uses_with(new)
        call.erase()


def _attribute_names(op: Any) -> list[str]:
    return [getattr(a, "name", a) for a in op.attributes]


def _make_signature_signless(func: Any) -> None:
    """Unsigned arguments/results of ``func`` become signless, bitcast back inside the body."""
    from jaxlib.mlir import ir as jir

    block = func.regions[0].blocks[0]
    first = block.operations[0] if len(block.operations) else None
    for arg in block.arguments:
        if not _is_unsigned_tensor(arg.type):
            continue
        unsigned = arg.type
        arg.set_type(_signless(unsigned))
        with jir.InsertionPoint(first), func.location:
            cast = _bitcast(arg, unsigned)
        for use in list(arg.uses):
            if use.owner != cast.owner:
                use.owner.operands[use.operand_number] = cast
    for ret in [op.operation for op in block.operations if op.operation.name == "func.return"]:
        with jir.InsertionPoint(ret), ret.location:
            for i, v in enumerate(list(ret.operands)):
                if _is_unsigned_tensor(v.type):
                    ret.operands[i] = _bitcast(v, _signless(v.type))
    ftype = jir.FunctionType(jir.TypeAttr(func.attributes["function_type"]).value)
    inputs = [_signless(t) for t in ftype.inputs]
    results = [_signless(t) for t in ftype.results]
    func.attributes["function_type"] = jir.TypeAttr.get(jir.FunctionType.get(inputs, results))


def _boolean_add_to_or(module: Any) -> None:
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    for add in _walk(module.operation, "stablehlo.add"):
        t = add.results[0].type
        if not (isinstance(t, jir.RankedTensorType) and isinstance(t.element_type, jir.IntegerType)):
            continue
        if t.element_type.width != 1:
            continue
        with jir.InsertionPoint(add), add.location:
            replacement = stablehlo.OrOp(add.operands[0], add.operands[1]).result
        add.results[0].replace_all_uses_with(replacement)
        add.erase()
