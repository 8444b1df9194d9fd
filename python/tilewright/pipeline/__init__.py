"""Named pass pipelines: every stage of tilewright as an mlir-opt style pass name.

A named pipeline (``tw-*``) is defined once, in :mod:`tilewright.pipeline.table`
(or by the target that owns it, e.g. ``tw-lower-to-llvm-cpu`` in
:mod:`tilewright.target.cpu.lowering`), and both the driver and ``tilewright-opt``
run exactly its steps. Pipelines whose steps vary take options, spelled as in
mlir-opt: ``tw-lower-to-llvm-cpu{threads=2}``; ``tilewright-opt --list-pipelines``
shows them.

A step is an upstream textual pipeline fragment (module level) or, where upstream
lacks a pass, a Python pass run by the same ``PassManager``. :func:`run_pipeline` is
the one place a ``PassManager`` runs with its diagnostics collected and converted.

This module only holds the machinery; it imports no stage, so stages can define
pipelines without an import cycle.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tilewright import extension


@dataclass(frozen=True)
class PythonPass:
    """A module pass implemented in Python (run by ``PassManager.add``)."""

    name: str
    run: Callable[[Any, Any], None]


Step = str | PythonPass
"""A textual upstream pipeline fragment (module level) or a Python pass."""


class PipelineSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class PipelineOption:
    """An option of a named pipeline: ``name=value`` inside ``{}``."""

    name: str
    type: type
    default: Any
    help: str

    def parse(self, text: str, pipeline: str) -> Any:
        try:
            value = self.type(text)
        except ValueError:
            raise PipelineSyntaxError(
                f"option '{self.name}' of '{pipeline}' takes {self.type.__name__}, got '{text}'"
            ) from None
        return value


@dataclass(frozen=True)
class NamedPipeline:
    """A ``tw-*`` pipeline: fixed ``steps``, or a ``build(**options)`` returning them."""

    name: str
    summary: str
    steps: tuple[Step, ...] | Callable[..., Sequence[Step]]
    options: tuple[PipelineOption, ...] = ()
    runs_in_stablehlo_context: bool = False

    def expand(self, **options: Any) -> list[Step]:
        """The steps for ``options`` (unset ones take their defaults)."""
        known = {o.name: o for o in self.options}
        unknown = sorted(set(options) - set(known))
        if unknown:
            listed = ", ".join(known) or "none"
            raise PipelineSyntaxError(f"'{self.name}' has no option '{unknown[0]}' (options: {listed})")
        if not callable(self.steps):
            return list(self.steps)
        values = {name: options.get(name, option.default) for name, option in known.items()}
        return list(self.steps(**values))

    def spelled(self, **options: Any) -> str:
        """How ``tilewright-opt`` spells this pipeline with ``options``: ``tw-x{a=1 b=2}``."""
        if not options:
            return self.name
        return self.name + "{" + " ".join(f"{k}={v}" for k, v in options.items()) + "}"

    def parse_options(self, text: str) -> dict[str, Any]:
        """``threads=2 cpu=znver4`` -> ``{"threads": 2, "cpu": "znver4"}``."""
        known = {o.name: o for o in self.options}
        values: dict[str, Any] = {}
        for item in text.split():
            name, eq, value = item.partition("=")
            if not eq:
                raise PipelineSyntaxError(f"option '{item}' of '{self.name}' needs a value (name=value)")
            if name not in known:
                listed = ", ".join(known) or "none"
                raise PipelineSyntaxError(f"'{self.name}' has no option '{name}' (options: {listed})")
            values[name] = known[name].parse(value, self.name)
        return values


@functools.cache
def registry() -> Mapping[str, NamedPipeline]:
    """Every named pipeline by name (imports the stages that define them on first use)."""
    return importlib.import_module("tilewright.pipeline.table").PIPELINES


def named(name: str) -> NamedPipeline:
    try:
        return registry()[name]
    except KeyError:
        raise PipelineSyntaxError(f"unknown pipeline '{name}'") from None


def steps(name: str, **options: Any) -> list[Step]:
    """The steps of the named pipeline ``name`` with ``options``: what the driver runs."""
    return named(name).expand(**options)


def split_top_level(text: str) -> list[str]:
    """Split a pipeline on the commas that are not inside ``()``/``{}``."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
            if depth < 0:
                raise PipelineSyntaxError(f"unbalanced ')' or '}}' in pass pipeline '{text}'")
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise PipelineSyntaxError(f"unbalanced '(' or '{{' in pass pipeline '{text}'")
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def strip_module_anchor(text: str) -> str:
    text = text.strip()
    if text.startswith("builtin.module(") and text.endswith(")"):
        return text[len("builtin.module(") : -1]
    return text


def _split_options(element: str) -> tuple[str, str | None]:
    """``tw-x{a=1}`` -> ``("tw-x", "a=1")``; ``tw-x`` -> ``("tw-x", None)``."""
    if element.endswith("}") and "{" in element:
        name, _, rest = element.partition("{")
        return name.strip(), rest[:-1]
    return element, None


def expand(text: str) -> tuple[bool, list[Step]]:
    """Expand ``tw-*`` names (with their ``{options}``) in a user pipeline.

    Returns whether the pipeline starts with the StableHLO ingress, and the
    upstream steps that follow it. An unknown ``tw-`` name is an error here; other
    unknown names are reported by upstream's parser (:func:`check_steps`).
    """
    elements = split_top_level(strip_module_anchor(text))
    ingress = False
    out: list[Step] = []
    pipelines = registry()
    for i, element in enumerate(elements):
        name, option_text = _split_options(element)
        pipeline = pipelines.get(name)
        if pipeline is None:
            if name in extension.PASSES:
                try:
                    extension.register()
                except extension.ExtensionUnavailable as exc:
                    raise PipelineSyntaxError(f"'{name}' is a pass of the C++ extension: {exc}") from None
                out.append(element)
                continue
            if name.startswith("tw-"):
                known = ", ".join(sorted(pipelines))
                raise PipelineSyntaxError(f"unknown pipeline '{name}' (tilewright's pipelines: {known})")
            out.append(element)
            continue
        options = pipeline.parse_options(option_text) if option_text is not None else {}
        if pipeline.runs_in_stablehlo_context:
            if i != 0:
                raise PipelineSyntaxError(f"'{name}' must come first: it reads StableHLO, not upstream MLIR")
            ingress = True
        out.extend(pipeline.expand(**options))
    return ingress, out


def add_steps(pm: Any, steps: Sequence[Step]) -> None:
    """Append steps to an upstream ``PassManager`` (raises ValueError on bad text)."""
    for step in steps:
        if isinstance(step, PythonPass):
            pm.add(step.run, name=step.name, argument=step.name)
        else:
            pm.add(step)


def check_steps(steps: Sequence[Step]) -> None:
    """Parse ``steps`` into a throwaway ``PassManager``: an unknown pass or a bad option is a
    :class:`PipelineSyntaxError` before any input is read."""
    from mlir import passmanager

    from tilewright.mlir_env import new_context

    with new_context():
        try:
            add_steps(passmanager.PassManager("builtin.module"), steps)
        except ValueError as exc:
            raise PipelineSyntaxError(str(exc).splitlines()[0]) from None


def run_pipeline(
    module: Any,
    steps: Sequence[Step],
    filename: str,
    what: str,
    *,
    print_ir_after_all: bool = False,
    debug_info: bool = False,
) -> None:
    """Run ``steps`` on ``module`` in place; a failure is a TilewrightError with MLIR's
    diagnostics located in ``filename`` (``what`` names the work, e.g. "stage 'bufferized'")."""
    from mlir import ir, passmanager

    from tilewright.diagnostics import TilewrightError, collect_diagnostics, error_from_mlir

    context = module.context
    with context, collect_diagnostics(context, filename) as diags:
        pm = passmanager.PassManager("builtin.module")
        if print_ir_after_all:
            pm.enable_ir_printing(print_after_all=True, enable_debug_info=debug_info)
        try:
            add_steps(pm, steps)
        except ValueError as exc:
            raise TilewrightError(f"invalid pass pipeline: {str(exc).splitlines()[0]}") from None
        try:
            pm.run(module.operation)
        except ir.MLIRError as exc:
            raise error_from_mlir(exc, diags, what, filename) from None
