"""JAX's conventions on top of StableHLO: ``jax.export`` artifacts and sharding annotations.

A ``jax.export`` artifact is a flatbuffer holding a StableHLO portable artifact
plus the calling convention of the exported function. That convention differs
from the module's ``@main`` in ways a caller of tilewright must not see:

* arguments JAX found unused are dropped from ``@main`` (``module_kept_var_idx``);
* a multi-platform export takes the platform index as an extra first argument;
* shape-polymorphic exports have dynamic dimensions (not supported: tilewright
  compiles static shapes only, so this is reported up front, naming the
  symbolic dimensions);
* effects add token arguments (not supported, reported up front).

:func:`load_jax_export` checks all of this before any MLIR pass runs and, where
needed, wraps ``@main`` so that it takes exactly the exported function's
arguments, in order. :func:`strip_sharding` removes Shardy (``sdy``) sharding
annotations, which describe how to partition the program over devices and do
not change its single-device meaning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.ingress.formats import Source
from tilewright.mlir_env import find_ops
from tilewright.types import TensorType

# Shardy ops that are the identity on one device.
_SDY_IDENTITY_OPS = ("sdy.sharding_constraint", "sdy.reshard")
_WRAPPED_MAIN = "_tilewright_exported_main"


def deserialize(source: Source) -> Any:  # -> jax.export.Exported
    """The ``jax.export.Exported`` in ``source``; a damaged artifact is one clear error."""
    from jax import export as jax_export

    try:
        return jax_export.deserialize(bytearray(source.content))  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - anything a malformed flatbuffer raises
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TilewrightError(f"corrupt jax.export artifact: {detail}", SourceLocation(source.filename)) from None


def _shape_text(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def check_exported(exported: Any, filename: str) -> None:
    """Reject what tilewright cannot run, before touching the module."""
    loc = SourceLocation(filename)
    for kind, avals in (("argument", exported.in_avals), ("result", exported.out_avals)):
        for i, aval in enumerate(avals):
            symbolic = [str(d) for d in aval.shape if not isinstance(d, int | np.integer)]
            if symbolic:
                raise TilewrightError(
                    f"dynamic shapes are not supported: this jax.export artifact is shape-polymorphic "
                    f"({kind} #{i} of '{exported.fun_name}' has shape {_shape_text(aval.shape)} with symbolic "
                    f"dimension(s) {', '.join(symbolic)}); export with concrete shapes",
                    loc,
                )
    if "cpu" not in exported.platforms:
        raise TilewrightError(
            f"this jax.export artifact was lowered for {', '.join(exported.platforms)}, not cpu; "
            "export with platforms=['cpu']",
            loc,
        )
    effects = tuple(exported.ordered_effects) + tuple(exported.unordered_effects)
    if effects:
        raise TilewrightError(
            f"jax.export artifacts with effects are not supported ({', '.join(map(str, effects))})", loc
        )


def load_jax_export(source: Source, ctx: Any) -> Any:  # -> jaxlib.mlir.ir.Module
    """Parse a ``jax.export`` artifact into ``ctx`` with ``@main`` taking the exported arguments."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    exported = deserialize(source)
    check_exported(exported, source.filename)
    with ctx:
        try:
            module = stablehlo.deserialize_portable_artifact(ctx, bytes(exported.mlir_module_serialized))
        except Exception as exc:  # noqa: BLE001 - the bindings raise plain exceptions here
            raise TilewrightError(
                f"corrupt jax.export artifact: its StableHLO module cannot be read ({exc})",
                SourceLocation(source.filename),
            ) from None
        with jir.Location.file(source.filename, 0, 0):
            _adapt_calling_convention(module, exported, source.filename)
    return module


def _find_main(module: Any, filename: str) -> Any:
    for op in module.body.operations:
        if op.operation.name == "func.func" and op.operation.attributes["sym_name"].value == "main":
            return op
    raise TilewrightError("corrupt jax.export artifact: its module has no @main", SourceLocation(filename))


def _adapt_calling_convention(module: Any, exported: Any, filename: str) -> None:
    """Wrap ``@main`` so it takes every exported argument (unused ones too), no platform index."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import func, stablehlo

    kept = list(exported.module_kept_var_idx)
    platform_arg = len(exported.platforms) > 1
    n_args = len(exported.in_avals)
    if kept == list(range(n_args)) and not platform_arg:
        return
    main = _find_main(module, filename)
    inner_type = jir.FunctionType(jir.TypeAttr(main.attributes["function_type"]).value)
    expected_inputs = len(kept) + int(platform_arg)
    if len(inner_type.inputs) != expected_inputs:
        raise TilewrightError(
            f"corrupt jax.export artifact: @main takes {len(inner_type.inputs)} arguments, "
            f"the calling convention says {expected_inputs}",
            SourceLocation(filename),
        )
    arg_types = []
    for i, aval in enumerate(exported.in_avals):
        if i in kept:
            arg_types.append(inner_type.inputs[kept.index(i) + int(platform_arg)])
        else:
            element = TensorType.of_array(np.empty((0,), aval.dtype)).element
            arg_types.append(jir.Type.parse(str(TensorType(tuple(aval.shape), element))))
    main.attributes["sym_name"] = jir.StringAttr.get(_WRAPPED_MAIN)
    main.attributes["sym_visibility"] = jir.StringAttr.get("private")
    results = list(inner_type.results)
    with jir.InsertionPoint.at_block_begin(module.body):
        wrapper = func.FuncOp("main", (arg_types, results))
        if "res_attrs" in main.attributes:
            wrapper.attributes["res_attrs"] = main.attributes["res_attrs"]
        block = wrapper.add_entry_block()
    with jir.InsertionPoint(block):
        operands = [block.arguments[i] for i in kept]
        if platform_arg:  # a rank-0 integer tensor: i32, or i64 when exported with x64 on
            index_type = jir.RankedTensorType(inner_type.inputs[0])
            value = jir.IntegerAttr.get(index_type.element_type, exported.platforms.index("cpu"))
            operands.insert(0, stablehlo.ConstantOp(jir.DenseElementsAttr.get_splat(index_type, value)).result)
        call = func.CallOp(results, jir.FlatSymbolRefAttr.get(_WRAPPED_MAIN), operands)
        func.ReturnOp(list(call.results))


def strip_sharding(module: Any, filename: str | None = None) -> None:
    """Drop Shardy annotations: meshes, ``sdy.*`` attributes, identity sharding constraints.

    They only tell a partitioner how to split the program over devices; the
    program they annotate means the same on one device. The same walk rejects
    attribute names and string/symbol values that are not UTF-8 (only corrupt
    input has them): jaxlib's bindings cannot hand those to Python, so any
    later pass written in Python would fail on them.
    """
    from jaxlib.mlir import ir as jir

    doomed: list[Any] = []
    for operation in find_ops(module, lambda _op: True, jir, pre_order=True, prune=_is_mesh):
        if operation.name == "sdy.mesh":
            doomed.append(operation)
        elif operation.name in _SDY_IDENTITY_OPS and len(operation.operands) == 1 and len(operation.results) == 1:
            operation.results[0].replace_all_uses_with(operation.operands[0])
            doomed.append(operation)
        else:
            _strip_sdy_attributes(operation, filename)
    for operation in doomed:
        operation.erase()


def _is_mesh(operation: Any) -> bool:
    return operation.name == "sdy.mesh"


def _not_utf8(operation: Any, filename: str | None) -> TilewrightError:
    from tilewright.diagnostics import location_of

    return TilewrightError(
        f"'{operation.name}' has an attribute name that is not valid UTF-8 (corrupt input?)",
        location_of(operation.location, filename) or (SourceLocation(filename) if filename else None),
    )


def _attribute_names(operation: Any, filename: str | None) -> list[str]:
    try:
        return list(operation.attributes)  # str names in jaxlib's bindings; raises on non-UTF-8
    except RuntimeError:
        raise _not_utf8(operation, filename) from None


def _without_sdy(dictionary: Any, operation: Any, filename: str | None) -> Any:
    from jaxlib.mlir import ir as jir

    kept = {}
    for named in dictionary:
        try:
            repr(named)  # raises on a non-UTF-8 name; reading ``.name`` would abort the process instead
        except RuntimeError:
            raise _not_utf8(operation, filename) from None
        if not named.name.startswith("sdy."):
            kept[named.name] = named.attr
    return jir.DictAttr.get(kept)


def _check_string_value(operation: Any, name: str, filename: str | None) -> None:
    from jaxlib.mlir import ir as jir

    from tilewright.diagnostics import location_of

    try:
        attr = operation.attributes[name]
    except TypeError:  # the bindings cannot downcast some attributes (complex dense constants): not strings
        return
    if isinstance(attr, jir.StringAttr | jir.FlatSymbolRefAttr | jir.SymbolRefAttr):
        try:
            str(attr.value)
        except RuntimeError:
            raise TilewrightError(
                f"attribute '{name}' of '{operation.name}' holds a string that is not valid UTF-8 (corrupt input?)",
                location_of(operation.location, filename) or (SourceLocation(filename) if filename else None),
            ) from None


def _strip_sdy_attributes(operation: Any, filename: str | None) -> None:
    from jaxlib.mlir import ir as jir

    for name in _attribute_names(operation, filename):
        if name.startswith("sdy."):
            del operation.attributes[name]
        else:
            _check_string_value(operation, name, filename)
    if operation.name == "func.func":
        for key in ("arg_attrs", "res_attrs"):
            if key in operation.attributes:
                array = jir.ArrayAttr(operation.attributes[key])
                stripped = [_without_sdy(jir.DictAttr(d), operation, filename) for d in array]
                operation.attributes[key] = jir.ArrayAttr.get(stripped)
