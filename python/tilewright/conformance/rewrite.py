"""Turn a conformance program's checks into results tilewright can return.

A conformance program computes values and checks them in place, with
``stablehlo.custom_call @check.expect_*`` / ``@check.eq`` or the ``check``
dialect's own ops (``check.expect_eq_const`` ...; generic form, unregistered in
jaxlib). tilewright cannot run checks, so each one is removed and its two
operands (actual, expected; a ``*_const`` check's value becomes a
``stablehlo.constant``) are returned from the entry function instead, in
order. The rest of the program, locations included, is unchanged: errors still
point into the conformance file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tilewright.conformance.checks import CHECK_EQ_TOLERANCE, EXPECT_ALMOST_EQ_TOLERANCE, Check
from tilewright.diagnostics import SourceLocation, TilewrightError

_CHECK_TARGETS = {
    "check.expect_eq": "eq",
    "check.expect_almost_eq": "almost_eq",
    "check.expect_close": "close",
    "check.eq": "check_eq",
}
_CHECK_OPS = {
    "check.expect_eq": "eq",
    "check.expect_eq_const": "eq",
    "check.expect_almost_eq": "almost_eq",
    "check.expect_almost_eq_const": "almost_eq",
    "check.expect_close": "close",
}


@dataclass(frozen=True)
class RewrittenProgram:
    """The program with checks turned into results: results ``2i``/``2i+1`` are check ``i``'s operands."""

    text: str
    entry: str
    checks: tuple[Check, ...]
    check_elements: tuple[str, ...]  # element type of each check, e.g. "f32", "complex<f64>"


def _entry_function(module, filename: str):
    """``@main`` if present, else the one function that holds checks."""
    funcs = [op for op in module.body.operations if op.operation.name == "func.func"]
    for f in funcs:
        if f.operation.attributes["sym_name"].value == "main":
            return f
    with_checks = [f for f in funcs if any(_is_check(op) for op in _body_ops(f))]
    if len(with_checks) == 1:
        return with_checks[0]
    raise TilewrightError("no @main and no single function with checks", SourceLocation(filename))


def _body_ops(func) -> list:
    regions = func.operation.regions
    if not regions or not regions[0].blocks:
        return []
    return list(regions[0].blocks[0].operations)


def _is_check(op) -> bool:
    name = op.operation.name
    if name in _CHECK_OPS:
        return True
    if name == "stablehlo.custom_call":
        return op.operation.attributes["call_target_name"].value.startswith("check.")
    return False


def _properties(op, ir):
    """The ``<{...}>`` properties of an unregistered op, as a DictionaryAttr (read from its generic form)."""
    text = op.operation.get_asm(print_generic_op_form=True)
    start, end = text.find("<{"), text.rfind("}>")
    if start < 0 or end < start:
        return None
    return ir.DictAttr(ir.Attribute.parse("{" + text[start + 2 : end] + "}"))


def _check_of(op, ir, filename: str) -> tuple[Check, list]:
    """The check an op performs and the values it compares (a ``*_const``'s value is materialized)."""
    from tilewright.diagnostics import location_of

    name = op.operation.name
    loc = location_of(op.location, filename) or SourceLocation(filename)
    operands = list(op.operation.operands)
    if name == "stablehlo.custom_call":
        target = op.operation.attributes["call_target_name"].value
        kind = _CHECK_TARGETS.get(target)
        if kind is None or len(operands) != 2:
            raise TilewrightError(f"unsupported check '@{target}' with {len(operands)} operand(s)", loc)
        if kind == "check_eq":  # integers exact, everything else almost_eq(1e-4)
            return Check("almost_eq", tolerance=CHECK_EQ_TOLERANCE), operands
        return Check(kind), operands
    kind = _CHECK_OPS[name]
    props = _properties(op, ir)
    tolerance, min_ulp, max_ulp = EXPECT_ALMOST_EQ_TOLERANCE, 0, 3
    if props is not None:
        if "tolerance" in props:
            tolerance = ir.FloatAttr(props["tolerance"]).value
        if "min_ulp_difference" in props:
            min_ulp = ir.IntegerAttr(props["min_ulp_difference"]).value
        if "max_ulp_difference" in props:
            max_ulp = ir.IntegerAttr(props["max_ulp_difference"]).value
    check = Check(kind, tolerance=tolerance, min_ulp=min_ulp, max_ulp=max_ulp)
    if len(operands) != 2:
        raise TilewrightError(f"'{name}' with {len(operands)} operand(s)", loc)
    return check, operands


# A ``*_const`` check in generic form: ``"check.expect_eq_const"(%0) <{value = dense<..> : T}> : (T) -> ()``.
_CONST_CHECK = re.compile(
    r'"check\.(?P<kind>expect_eq|expect_almost_eq)_const"\((?P<operand>%[\w#]+)\)\s*'
    r"<\{value = (?P<value>.*)\}>\s*:\s*\((?P<type>[^()]*)\)\s*->\s*\(\)"
)


def materialize_const_checks(text: str) -> str:
    """Turn each ``*_const`` check into a ``stablehlo.constant`` plus the two-operand check, on the same line.

    Done on the text because jaxlib's Python bindings cannot hand out every
    dense attribute (complex ones, e.g.); the line stays the same, so
    locations still point at the check.
    """
    counter = iter(range(1 << 30))

    def replace(m: re.Match[str]) -> str:
        name = f"%tw_expected{next(counter)}"
        t = m.group("type").strip()
        return (
            f"{name} = stablehlo.constant {m.group('value')} "
            f'"check.{m.group("kind")}"({m.group("operand")}, {name}) : ({t}, {t}) -> ()'
        )

    return _CONST_CHECK.sub(replace, text)


def _element_name(t) -> str:
    text = str(t)
    if text.startswith("tensor<") and text.endswith(">"):
        inner = text[len("tensor<") : -1]
        parts = inner.split("x")
        # The element type follows the last dimension ("2x3xf32", "complex<f32>" has no x).
        while parts and (parts[0].isdigit() or parts[0] == "?"):
            parts.pop(0)
        return "x".join(parts)
    return text


def rewrite_checks(text: str, filename: str) -> RewrittenProgram:
    """Parse a conformance program (one ``// -----`` split) and return it with checks as results."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import func as jfunc
    from jaxlib.mlir.dialects import stablehlo

    from tilewright.diagnostics import collect_diagnostics, location_of
    from tilewright.ingress.stablehlo import jax_context
    from tilewright.mlir_env import parse_module

    quant = re.search(r"!quant\.", text)
    if quant is not None:  # unregistered in jaxlib: it would parse as an opaque type and fail verification
        line = text.count("\n", 0, quant.start()) + 1
        raise TilewrightError(
            "quantized types ('!quant.uniform') are not supported: jaxlib's MLIR has no quant dialect",
            SourceLocation(filename, line, quant.start() - text.rfind("\n", 0, quant.start())),
        )
    ctx = jax_context()
    ctx.allow_unregistered_dialects = True  # the check dialect is not in jaxlib
    module = parse_module(materialize_const_checks(text), filename, ctx, ir=jir)
    with ctx, collect_diagnostics(ctx, filename):
        entry = _entry_function(module, filename)
        entry_name = entry.operation.attributes["sym_name"].value
        ftype = jir.FunctionType(jir.TypeAttr(entry.operation.attributes["function_type"]).value)
        for i, t in enumerate(ftype.inputs):
            if isinstance(t, jir.ShapedType) and not t.has_static_shape:
                raise TilewrightError(
                    f"dynamic shapes are not supported: argument #{i} of '@{entry_name}' has type {t}",
                    location_of(entry.location, filename) or SourceLocation(filename),
                )
        checks: list[Check] = []
        values: list = []
        ret = None
        for op in _body_ops(entry):
            if op.operation.name == "func.return":
                ret = op
            elif _is_check(op):
                check, operands = _check_of(op, jir, filename)
                checks.append(check)
                values.extend(operands)
                for result in op.operation.results:  # check.eq's i1 verdict: never needed by a result
                    if list(result.uses):
                        with jir.InsertionPoint(op.operation), op.location:
                            from jaxlib.mlir.dialects import stablehlo

                            true = stablehlo.ConstantOp(
                                jir.DenseElementsAttr.get_splat(result.type, jir.BoolAttr.get(True))
                            )
                        result.replace_all_uses_with(true.result)
                op.operation.erase()
        for other in module.body.operations:
            if other.operation.name == "func.func" and other != entry and any(_is_check(o) for o in _body_ops(other)):
                name = other.operation.attributes["sym_name"].value
                raise TilewrightError(f"checks outside the entry function (in '@{name}')", SourceLocation(filename))
        if not checks:
            raise TilewrightError(
                "no checks: the program has no expected values to compare with", SourceLocation(filename)
            )
        if ret is None:
            raise TilewrightError(f"'@{entry_name}' has no return", SourceLocation(filename))
        with jir.InsertionPoint(ret.operation), ret.location:
            jfunc.ReturnOp(values)
        ret.operation.erase()
        inputs = list(jir.FunctionType(entry.operation.attributes["function_type"].value).inputs)
        results = [v.type for v in values]
        entry.operation.attributes["function_type"] = jir.TypeAttr.get(jir.FunctionType.get(inputs, results))
        if "res_attrs" in entry.operation.attributes:
            del entry.operation.attributes["res_attrs"]
        entry.operation.attributes["sym_visibility"] = jir.StringAttr.get("public")
        rewritten = module.operation.get_asm(enable_debug_info=True)
    elements = tuple(_element_name(values[2 * i].type) for i in range(len(checks)))
    return RewrittenProgram(rewritten, entry_name, tuple(checks), elements)
