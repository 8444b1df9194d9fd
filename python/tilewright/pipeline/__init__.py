"""Named pass pipelines: the stages of tilewright as mlir-opt style pass names.

Every stage of the compiler is reachable as a name usable inside
``--pass-pipeline`` (``tilewright-opt``) and from Python:

==========================  ==================================================
``tw-stablehlo-to-linalg``  StableHLO/CHLO -> linalg on tensors (jaxlib's MLIR)
``tw-linalg-cleanup``       inline, DCE, canonicalize, fuse elementwise ops
``tw-canonicalize-contractions``  generic contractions -> transposes + named matmuls
``tw-linalg``                 the linalg stage: cleanup, then canonical contractions
``tw-bufferize``            one-shot bufferization, results -> out-params
``tw-lower-to-loops``       remaining structured ops -> scf loops
``tw-approximate-vector-math``  f32 vector exp/tanh -> FMA polynomials
``tw-widen-i1-storage``     ``memref<..xi1>`` -> ``memref<..xi8>``
``tw-cpu-tuning``           ``tune_cpu`` of LLVM functions (``generic`` on AMD Zen)
``tw-lower-to-llvm-cpu``    loops -> LLVM dialect for the host CPU
``tw-cpu-default``          linalg cleanup, bufferize, lower to LLVM
==========================  ==================================================

A named pipeline expands to upstream textual pass pipelines plus, where
upstream lacks a pass, Python passes run by the same ``PassManager``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tilewright.bufferize import BUFFERIZE
from tilewright.bufferize.arguments import readonly_arguments_pass
from tilewright.bufferize.distinct_results import distinct_results_pass
from tilewright.linalg import canonicalize_contractions_pass
from tilewright.lower import (
    LOWER_TO_LLVM_AFTER_MEMREF,
    LOWER_TO_LLVM_BEFORE_MATH,
    LOWER_TO_LLVM_BEFORE_MEMREF,
    LOWER_TO_LOOPS,
)
from tilewright.lower.i1_storage import widen_i1_storage_pass
from tilewright.lower.math_approx import approximate_vector_math_pass
from tilewright.target.cpu import tune_cpu_pass


@dataclass(frozen=True)
class PythonPass:
    """A module pass implemented in Python (run by ``PassManager.add``)."""

    name: str
    run: Callable[[Any, Any], None]


Step = str | PythonPass
"""A textual upstream pipeline fragment (module level) or a Python pass."""


@dataclass(frozen=True)
class NamedPipeline:
    name: str
    summary: str
    steps: tuple[Step, ...]
    runs_in_stablehlo_context: bool = False


# jaxlib's context cannot inline func.call (no func inliner extension there), so
# the StableHLO ingress finishes in upstream MLIR.
INGRESS_FINISH = "inline,symbol-dce,canonicalize,cse"

LINALG_CLEANUP = "inline,symbol-dce,canonicalize,cse,linalg-fuse-elementwise-ops,canonicalize,cse"

CANONICALIZE_CONTRACTIONS = PythonPass("tw-canonicalize-contractions", canonicalize_contractions_pass)

# What the compiler runs on linalg before any schedule (the ``linalg`` stage).
LINALG_STAGE: tuple[Step, ...] = (LINALG_CLEANUP, CANONICALIZE_CONTRACTIONS, "canonicalize,cse")

WIDEN_I1_STORAGE = PythonPass("tw-widen-i1-storage", widen_i1_storage_pass)
APPROXIMATE_VECTOR_MATH = PythonPass("tw-approximate-vector-math", approximate_vector_math_pass)
CPU_TUNING = PythonPass("tw-cpu-tuning", tune_cpu_pass)
READONLY_ARGUMENTS = PythonPass("tw-readonly-arguments", readonly_arguments_pass)
DISTINCT_RESULTS = PythonPass("tw-distinct-results", distinct_results_pass)

_LOWER_TO_LLVM_CPU: tuple[Step, ...] = (
    LOWER_TO_LOOPS,
    LOWER_TO_LLVM_BEFORE_MATH,
    APPROXIMATE_VECTOR_MATH,
    LOWER_TO_LLVM_BEFORE_MEMREF,
    WIDEN_I1_STORAGE,
    LOWER_TO_LLVM_AFTER_MEMREF,
    CPU_TUNING,
)

PIPELINES: dict[str, NamedPipeline] = {
    p.name: p
    for p in [
        NamedPipeline(
            "tw-stablehlo-to-linalg",
            "StableHLO/CHLO -> linalg on tensors (jaxlib's StableHLO legalizations)",
            (INGRESS_FINISH,),
            runs_in_stablehlo_context=True,
        ),
        NamedPipeline("tw-linalg-cleanup", "inline, DCE, canonicalize, fuse elementwise ops", (LINALG_CLEANUP,)),
        NamedPipeline(
            "tw-canonicalize-contractions",
            "generic matmul-like contractions -> transposes + linalg.matmul / batch_matmul",
            (CANONICALIZE_CONTRACTIONS,),
        ),
        NamedPipeline("tw-linalg", "the linalg stage: cleanup, then canonical contractions", LINALG_STAGE),
        NamedPipeline(
            "tw-bufferize",
            "one-shot bufferization with results as out-params",
            (READONLY_ARGUMENTS, DISTINCT_RESULTS, BUFFERIZE),
        ),
        NamedPipeline("tw-lower-to-loops", "remaining structured and vector ops -> scf loops", (LOWER_TO_LOOPS,)),
        NamedPipeline(
            "tw-approximate-vector-math",
            "f32 vector exp/tanh -> polynomials (libm per element otherwise)",
            (APPROXIMATE_VECTOR_MATH,),
        ),
        NamedPipeline("tw-widen-i1-storage", "store booleans as bytes (memref<..xi1> -> xi8)", (WIDEN_I1_STORAGE,)),
        NamedPipeline(
            "tw-cpu-tuning",
            "llvm.func tune_cpu: 'generic' on AMD Zen (TILEWRIGHT_TUNE_CPU overrides)",
            (CPU_TUNING,),
        ),
        NamedPipeline("tw-lower-to-llvm-cpu", "bufferized IR -> LLVM dialect for the host CPU", _LOWER_TO_LLVM_CPU),
        NamedPipeline(
            "tw-cpu-default",
            "linalg on tensors -> LLVM dialect, no schedule",
            (*LINALG_STAGE, READONLY_ARGUMENTS, DISTINCT_RESULTS, BUFFERIZE, *_LOWER_TO_LLVM_CPU),
        ),
    ]
}


class PipelineSyntaxError(ValueError):
    pass


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


def expand(text: str) -> tuple[bool, list[Step]]:
    """Expand ``tw-*`` names in a user pipeline.

    Returns whether the pipeline starts with the StableHLO ingress, and the
    upstream steps that follow it.
    """
    elements = split_top_level(strip_module_anchor(text))
    ingress = False
    steps: list[Step] = []
    for i, element in enumerate(elements):
        named = PIPELINES.get(element)
        if named is None:
            steps.append(element)
        elif named.runs_in_stablehlo_context:
            if i != 0:
                raise PipelineSyntaxError(f"'{element}' must come first: it reads StableHLO, not upstream MLIR")
            ingress = True
            steps.extend(named.steps)
        else:
            steps.extend(named.steps)
    return ingress, steps


def add_steps(pm: Any, steps: list[Step]) -> None:
    """Append steps to an upstream ``PassManager`` (raises ValueError on bad text)."""
    for step in steps:
        if isinstance(step, PythonPass):
            pm.add(step.run, name=step.name, argument=step.name)
        else:
            pm.add(step)
