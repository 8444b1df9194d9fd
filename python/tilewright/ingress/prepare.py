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
* **Accurate expm1.** Upstream lowers ``math.expm1`` as ``exp(x) - 1``, which
  loses every digit near 0; ``exponential_minus_one`` on real floats becomes
  Kahan's formulation instead (``u = exp(x)``; ``x`` if ``u == 1``, ``-1`` if
  ``u - 1 == -1``, else ``(u - 1) * x / log(u)``), computed in f32 for f16/bf16.
* **Shapes known from constants** (:func:`refine_static_shapes`, run first when
  the entry's arguments are static but some value is not):
  ``stablehlo-refine-shapes`` and ``stablehlo-canonicalize-dynamism`` turn
  ``dynamic_*`` ops with constant shapes into static ops. Whatever stays
  dynamic at the entry's results is reported as unsupported.
* **f32 accumulation for f16/bf16 contractions.** ``dot_general`` and ``convolution``
  with an f16 or bf16 result compute in f32 and round once at the end, as XLA does:
  their f16/bf16 operands are converted to f32, the op produces f32, and a ``convert``
  rounds the result (accumulating in f16 landed up to 48x further from the float64
  result than XLA at K = 4096).
* **Convolutions** in the layout the legalization names (channels last, no feature
  groups): :mod:`tilewright.ingress.convolutions`.
* **Complex bitcasts.** ``bitcast_convert`` to its own type is the identity
  (legalization crashes on complex ones); any other complex bitcast is
  reported as unsupported instead of crashing.
"""

from __future__ import annotations

from typing import Any

from tilewright.ingress.convolutions import canonicalize_convolutions
from tilewright.mlir_env import find_ops


def prepare_for_legalization(module: Any) -> None:
    """Apply the rewrites above to ``module`` (a jaxlib module, inside its context)."""
    with module.operation.location:
        _signless_call_boundaries(module)
        _boolean_add_to_or(module)
        _accurate_expm1(module)
        _accumulate_in_f32(module)
        _complex_bitcasts(module)
        canonicalize_convolutions(module)


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


def _signless_call_boundaries(module: Any) -> None:
    from jaxlib.mlir import ir as jir

    funcs = {
        op.operation.attributes["sym_name"].value: op.operation
        for op in module.body.operations
        if op.operation.name == "func.func"
    }
    calls = find_ops(module, "func.call", jir)
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

    for add in find_ops(module, "stablehlo.add", jir):
        t = add.results[0].type
        if not (isinstance(t, jir.RankedTensorType) and isinstance(t.element_type, jir.IntegerType)):
            continue
        if t.element_type.width != 1:
            continue
        with jir.InsertionPoint(add), add.location:
            replacement = stablehlo.OrOp(add.operands[0], add.operands[1]).result
        add.results[0].replace_all_uses_with(replacement)
        add.erase()


def _accurate_expm1(module: Any) -> None:
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    for op in find_ops(module, "stablehlo.exponential_minus_one", jir):
        t = op.results[0].type
        if not isinstance(t, jir.RankedTensorType) or not isinstance(
            t.element_type, jir.F16Type | jir.BF16Type | jir.F32Type | jir.F64Type
        ):
            continue  # complex: left to the complex lowering
        with jir.InsertionPoint(op), op.location:
            x = op.operands[0]
            narrow = isinstance(t.element_type, jir.F16Type | jir.BF16Type)
            work_type = jir.RankedTensorType.get(t.shape, jir.F32Type.get()) if narrow else t
            if narrow:
                x = stablehlo.ConvertOp(work_type, x).result

            def splat(value: float, work_type: Any = work_type) -> Any:
                attr = jir.DenseElementsAttr.get_splat(work_type, jir.FloatAttr.get(work_type.element_type, value))
                return stablehlo.ConstantOp(attr).result

            one, minus_one = splat(1.0), splat(-1.0)
            u = stablehlo.ExpOp(x).result
            um1 = stablehlo.SubtractOp(u, one).result
            kahan = stablehlo.DivOp(stablehlo.MulOp(um1, x).result, stablehlo.LogOp(u).result).result
            bool_type = jir.RankedTensorType.get(t.shape, jir.IntegerType.get_signless(1))
            eq = stablehlo.ComparisonDirectionAttr.get("EQ")
            u_is_one = stablehlo.CompareOp(u, one, eq).result
            um1_is_minus_one = stablehlo.CompareOp(um1, minus_one, eq).result
            assert u_is_one.type == bool_type
            result = stablehlo.SelectOp(
                u_is_one, x, stablehlo.SelectOp(um1_is_minus_one, minus_one, kahan).result
            ).result
            # exp overflows to inf for large x: inf * x / inf is NaN, but expm1 is inf there.
            inf = splat(float("inf"))
            u_is_inf = stablehlo.CompareOp(u, inf, eq).result
            result = stablehlo.SelectOp(u_is_inf, u, result).result
            if narrow:
                result = stablehlo.ConvertOp(t, result).result
        op.results[0].replace_all_uses_with(result)
        op.erase()


_CONTRACTIONS = ("stablehlo.dot_general", "stablehlo.dot", "stablehlo.convolution")


def _accumulate_in_f32(module: Any) -> None:
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    def narrow(t: Any) -> bool:
        return isinstance(t, jir.RankedTensorType) and isinstance(t.element_type, jir.F16Type | jir.BF16Type)

    def widened(t: Any) -> Any:
        return jir.RankedTensorType.get(t.shape, jir.F32Type.get(), t.encoding)

    for op in find_ops(module, lambda o: o.name in _CONTRACTIONS, jir):
        result_type = op.results[0].type
        if len(op.results) != 1 or not narrow(result_type):
            continue
        with jir.InsertionPoint(op), op.location:
            operands = [stablehlo.ConvertOp(widened(v.type), v).result if narrow(v.type) else v for v in op.operands]
            attributes = {name: op.attributes[name] for name in _attribute_names(op)}
            wide_type = widened(result_type)
            wide = jir.Operation.create(op.name, results=[wide_type], operands=operands, attributes=attributes)
            result = stablehlo.ConvertOp(result_type, wide.results[0]).result
        op.results[0].replace_all_uses_with(result)
        op.erase()


def _complex_bitcasts(module: Any) -> None:
    from jaxlib.mlir import ir as jir

    from tilewright.diagnostics import SourceLocation, TilewrightError, location_of

    for op in find_ops(module, "stablehlo.bitcast_convert", jir):
        src, dst = op.operands[0].type, op.results[0].type
        if src == dst:
            op.results[0].replace_all_uses_with(op.operands[0])
            op.erase()
            continue
        if any(isinstance(t, jir.ShapedType) and isinstance(t.element_type, jir.ComplexType) for t in (src, dst)):
            loc = location_of(op.location) or SourceLocation("<input>")
            raise TilewrightError(
                f"'stablehlo.bitcast_convert' from {src} to {dst} is not supported by tilewright "
                "(complex bitcasts have no lowering)",
                loc,
            )


REFINE_SHAPES = (
    "builtin.module(stablehlo-refine-shapes,func.func(stablehlo-canonicalize-dynamism),stablehlo-refine-shapes)"
)


def _has_dynamic_values(module: Any) -> bool:
    from jaxlib.mlir import ir as jir

    found = [False]

    def visit(op: Any) -> Any:
        for result in op.results:
            t = result.type
            if isinstance(t, jir.ShapedType) and t.has_rank and not t.has_static_shape:
                found[0] = True
                return jir.WalkResult.INTERRUPT
        return jir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return found[0]


def refine_static_shapes(module: Any, entry_op: Any, signature: Any, entry: str, filename: str) -> Any:
    """Make shapes that follow from constants static; returns the entry's (refined) signature.

    Runs only when the entry's arguments are static and some value in the
    module is not; a result of the entry that stays dynamic is a
    :class:`TilewrightError` at the entry.
    """
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir import passmanager as jpm

    from tilewright.diagnostics import (
        DiagnosticCollector,
        SourceLocation,
        TilewrightError,
        error_from_mlir,
        location_of,
    )
    from tilewright.types import signature_of

    if not all(t.is_static for t in signature.inputs) or not _has_dynamic_values(module):
        return signature
    try:
        jpm.PassManager.parse(REFINE_SHAPES).run(module.operation)
    except jir.MLIRError as exc:
        # Only the refinement's own errors (the exception carries them), not what the caller collected.
        what = "dynamic shapes are not supported: shape refinement"
        raise error_from_mlir(exc, DiagnosticCollector(filename), what, filename) from None
    refined = signature_of(entry_op.type)
    for i, t in enumerate(refined.results):
        if not t.is_static:
            loc = location_of(entry_op.location, filename) or SourceLocation(filename)
            raise TilewrightError(
                f"dynamic shapes are not supported: result #{i} of '@{entry}' has type {t}, "
                "which shape refinement cannot make static",
                loc,
            )
    return refined
