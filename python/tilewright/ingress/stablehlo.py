"""StableHLO -> linalg on tensors, using jaxlib's bundled StableHLO.

jaxlib ships its own MLIR copy with the ``stablehlo``/``chlo``/``sdy``/``mhlo``
dialects and the upstream legalizations. This module is the only place that
touches it: it parses the user's program there, legalizes it to linalg, checks
that nothing StableHLO is left, and hands the result to the pinned upstream
MLIR as text (with locations, so later errors still point at the user's file).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from tilewright.diagnostics import (
    Diagnostic,
    SourceLocation,
    TilewrightError,
    collect_diagnostics,
    error_from_mlir,
    location_of,
)
from tilewright.ingress.formats import InputFormat, Source
from tilewright.ingress.legalize import lower_unsupported_ops
from tilewright.ingress.prepare import prepare_for_legalization, refine_static_shapes
from tilewright.mlir_env import find_ops, parse_module
from tilewright.types import Signature, signature_of

# The legalization, as pass pipelines in jaxlib's MLIR, around tilewright's
# own lowerings (tilewright.ingress.legalize). ``inline`` runs once CHLO is
# gone (CHLO ops are not inlinable); upstream MLIR inlines what is left.
PREPARE_STABLEHLO = "builtin.module(func.func(chlo-legalize-to-stablehlo),inline,symbol-dce)"
STABLEHLO_TO_LINALG = "builtin.module(func.func(stablehlo-legalize-to-linalg),canonicalize,cse)"
# Dialects whose ops must all be gone after legalization (``sdy.mesh`` excepted).
_STABLEHLO_FAMILY = ("stablehlo", "chlo", "mhlo", "vhlo", "sdy")


@dataclass(frozen=True)
class LegalizedProgram:
    """A program in linalg-on-tensors form (upstream-parsable text) plus its boundary."""

    linalg_text: str
    signature: Signature | None  # None when no entry function was asked for
    entry: str | None


@functools.cache
def register_stablehlo_passes() -> None:
    """Register jaxlib's StableHLO passes (once per process; the conformance workers do it ahead of time)."""
    from jaxlib.mlir.dialects import stablehlo

    stablehlo.register_stablehlo_passes()


def jax_context():  # -> jaxlib.mlir.ir.Context
    """A jaxlib MLIR context that knows StableHLO, CHLO, SDY, MHLO and upstream dialects."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir._mlir_libs import _jax_mlir_ext
    from jaxlib.mlir.dialects import chlo, mhlo, sdy, stablehlo

    register_stablehlo_passes()
    ctx = jir.Context()
    registry = jir.DialectRegistry()
    _jax_mlir_ext.register_dialects(registry)
    ctx.append_dialect_registry(registry)
    ctx.load_all_available_dialects()
    stablehlo.register_dialect(ctx)
    chlo.register_dialect(ctx)
    sdy.register_dialect(ctx)  # JAX's sharding annotations (sdy.mesh, #sdy.sharding)
    mhlo.register_mhlo_dialect(ctx)
    return ctx


def parse_stablehlo(source: Source, ctx):  # -> jaxlib.mlir.ir.Module
    """Parse any accepted StableHLO format into a module of ``ctx`` (a jax context)."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    if source.format is InputFormat.JAX_EXPORT:
        from tilewright.ingress.jax_export import load_jax_export

        return load_jax_export(source, ctx)
    if source.format is InputFormat.PORTABLE_ARTIFACT:
        with ctx, collect_diagnostics(ctx, source.filename) as diags:
            try:
                return stablehlo.deserialize_portable_artifact(ctx, source.content)
            except jir.MLIRError as exc:
                raise error_from_mlir(exc, diags, "parsing", source.filename) from None
            except Exception as exc:  # noqa: BLE001 - e.g. a corrupt artifact
                raise TilewrightError(
                    f"cannot read StableHLO portable artifact: {exc}", SourceLocation(source.filename)
                ) from None
    return parse_module(source.content, source.filename, ctx, ir=jir)


def _find_entry(module, entry: str, filename: str):
    names = []
    for op in module.body.operations:
        if op.operation.name == "func.func":
            name = op.operation.attributes["sym_name"].value
            if name == entry:
                return op
            names.append(name)
    known = ", ".join(f"@{n}" for n in names) or "none"
    raise TilewrightError(f"entry function '@{entry}' not found (functions: {known})", SourceLocation(filename))


def _unsupported_ops(module, filename: str) -> list[Diagnostic]:
    """One diagnostic per StableHLO-family op kind that legalization left behind, at its first op (pre-order)."""
    from jaxlib.mlir import ir as jir

    def left_behind(op) -> bool:
        return op.name.split(".", 1)[0] in _STABLEHLO_FAMILY and op.name != "sdy.mesh"

    seen: dict[str, Diagnostic] = {}
    for op in find_ops(module, left_behind, jir, pre_order=True):
        if op.name not in seen:
            seen[op.name] = Diagnostic(
                "error",
                f"'{op.name}' is not supported by tilewright (no lowering to linalg)",
                location_of(op.location, filename) or SourceLocation(filename),
            )
    return list(seen.values())


def _signless(t):
    """``tensor<..xui8>`` -> ``tensor<..xi8>`` (jaxlib types); other types unchanged."""
    from jaxlib.mlir import ir as jir

    if isinstance(t, jir.RankedTensorType):
        elem = t.element_type
        if isinstance(elem, jir.IntegerType) and elem.is_unsigned:
            return jir.RankedTensorType.get(t.shape, jir.IntegerType.get_signless(elem.width), t.encoding)
    return t


def _make_boundaries_signless(module) -> None:
    """Legalization makes integers signless inside functions but leaves unsigned
    boundary types behind ``unrealized_conversion_cast``; make the boundaries
    signless too (the unsigned view is kept in the :class:`Signature`)."""
    from jaxlib.mlir import ir as jir

    for func in module.body.operations:
        if func.operation.name != "func.func" or not func.operation.regions[0].blocks:
            continue
        entry_block = func.operation.regions[0].blocks[0]
        for arg in entry_block.arguments:
            arg.set_type(_signless(arg.type))
        casts = find_ops(func, "builtin.unrealized_conversion_cast", jir)
        results = None
        for op in casts:
            if len(op.operands) != 1 or len(op.results) != 1:
                continue
            src, dst = op.operands[0], op.results[0]
            if src.type == dst.type:
                dst.replace_all_uses_with(src)
            elif _signless(dst.type) == src.type and all(u.owner.name == "func.return" for u in dst.uses):
                dst.replace_all_uses_with(src)
            else:
                continue
            op.erase()
        for op in entry_block.operations:
            if op.operation.name == "func.return":
                results = [v.type for v in op.operation.operands]
        inputs = [a.type for a in entry_block.arguments]
        if results is not None:
            func.operation.attributes["function_type"] = jir.TypeAttr.get(jir.FunctionType.get(inputs, results))


def legalize_to_linalg(source: Source, entry: str | None = "main") -> LegalizedProgram:
    """Parse ``source`` as StableHLO and lower it to linalg on tensors.

    With an ``entry``, its signature (unsigned integers included) is recorded;
    ``entry=None`` legalizes every function (as ``tilewright-opt`` does).
    """
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir import passmanager as jpm

    from tilewright.ingress.jax_export import strip_sharding

    ctx = jax_context()
    module = parse_stablehlo(source, ctx)
    with ctx, collect_diagnostics(ctx, source.filename) as diags:
        if not module.operation.verify():
            raise error_from_mlir(RuntimeError("verification failed"), diags, "verification", source.filename)
        strip_sharding(module, source.filename)
        signature = None
        if entry is not None:
            entry_op = _find_entry(module, entry, source.filename)
            try:
                signature = signature_of(entry_op.type)
            except ValueError as exc:
                loc = location_of(entry_op.location, source.filename)
                raise TilewrightError(f"entry '@{entry}': {exc}", loc) from None
            dynamic = [(i, t) for i, t in enumerate(signature.inputs) if not t.is_static]
            if dynamic:
                i, t = dynamic[0]
                loc = location_of(entry_op.location, source.filename) or SourceLocation(source.filename)
                raise TilewrightError(
                    f"dynamic shapes are not supported: argument #{i} of '@{entry}' has type {t}", loc
                )
            signature = refine_static_shapes(module, entry_op, signature, entry, source.filename)
        try:
            jpm.PassManager.parse(PREPARE_STABLEHLO).run(module.operation)
            prepare_for_legalization(module)
            lower_unsupported_ops(module)
            jpm.PassManager.parse(STABLEHLO_TO_LINALG).run(module.operation)
        except jir.MLIRError as exc:
            raise error_from_mlir(exc, diags, "StableHLO legalization", source.filename) from None
        with module.operation.location:
            _make_boundaries_signless(module)
        leftovers = _unsupported_ops(module, source.filename)
        if leftovers:
            raise TilewrightError("unsupported operations", leftovers[0].location, leftovers)
        text = module.operation.get_asm(enable_debug_info=True, assume_verified=True)
    return LegalizedProgram(_with_filename(text, source.filename), signature, entry)


def _with_filename(text: str, filename: str) -> str:
    """Bytecode/implicit-module locations say ``"-"``; point them at the user's file."""
    return text.replace('loc("-":', f"loc({_quote(filename)}:")


def _quote(filename: str) -> str:
    return '"' + filename.replace("\\", "\\\\").replace('"', '\\"') + '"'
