"""The table of tilewright's named pipelines, each defined once:

================================  ==================================================
``tw-stablehlo-to-linalg``        StableHLO/CHLO -> linalg on tensors (jaxlib's MLIR)
``tw-linalg-cleanup``             inline, DCE, canonicalize, fuse elementwise ops
``tw-canonicalize-contractions``  generic contractions -> transposes + named matmuls
``tw-unit-stride-inserts``        strided ``insert_slice`` into a fill -> reshapes, pads
``tw-select-branches``            ``scf.if`` in elementwise bodies -> ``arith.select``
``tw-duplicate-cheap-producers``  cheap producers of reductions copied per consumer
``tw-hoist-row-invariants``       per-row work out of elementwise bodies
``tw-distinct-destinations``      a ``tensor.empty`` per linalg init
``tw-linalg{raise_attention}``    the linalg stage: cleanup, canonical contractions, rows
``tw-bufferize``                  one-shot bufferization, results -> out-params
``tw-lower-to-loops``             remaining structured ops -> scf loops
``tw-approximate-vector-math``    f32 vector exp/sin/cos -> FMA polynomials
``tw-widen-i1-storage``           ``memref<..xi1>`` -> ``memref<..xi8>``
``tw-cpu-target{cpu,features}``   ``target_cpu``/``tune_cpu`` of LLVM functions
``tw-lower-to-llvm-cpu{threads}`` loops -> LLVM dialect for the host (or ``cpu``)
``tw-cpu-default{threads}``       linalg cleanup, bufferize, lower to LLVM
``tw-gpu-map``                    block/thread-mapped ``scf.forall`` -> ``gpu.launch``
``tw-gpu-outline``                launches -> kernels in one ``gpu.module @kernels``
``tw-lower-to-nvvm{arch}``        GPU-mapped buffers -> host launches + NVVM kernels
================================  ==================================================

Stages contribute theirs (the CPU target: :mod:`tilewright.target.cpu.lowering`; NVVM:
:mod:`tilewright.target.nvvm.lowering`).
"""

from __future__ import annotations

from tilewright.bufferize import BUFFERIZE
from tilewright.bufferize.arguments import readonly_arguments_pass
from tilewright.bufferize.distinct_results import distinct_results_pass
from tilewright.linalg import (
    canonicalize_contractions_pass,
    distinct_destinations_pass,
    duplicate_cheap_producers_pass,
    hoist_row_invariants_pass,
    select_branches_pass,
    unit_stride_inserts_pass,
)
from tilewright.lower import LOWER_TO_LOOPS
from tilewright.pipeline import NamedPipeline, PipelineOption, PythonPass, Step
from tilewright.target.cpu import lowering as cpu_lowering
from tilewright.target.nvvm import lowering as nvvm_lowering

# jaxlib's context cannot inline func.call (no func inliner extension there), so
# the StableHLO ingress finishes in upstream MLIR.
INGRESS_FINISH = "inline,symbol-dce,canonicalize,cse"

LINALG_CLEANUP = "inline,symbol-dce,canonicalize,cse,linalg-fuse-elementwise-ops,canonicalize,cse"

CANONICALIZE_CONTRACTIONS = PythonPass("tw-canonicalize-contractions", canonicalize_contractions_pass)
UNIT_STRIDE_INSERTS = PythonPass("tw-unit-stride-inserts", unit_stride_inserts_pass)

SELECT_BRANCHES = PythonPass("tw-select-branches", select_branches_pass)
DUPLICATE_CHEAP_PRODUCERS = PythonPass("tw-duplicate-cheap-producers", duplicate_cheap_producers_pass)
HOIST_ROW_INVARIANTS = PythonPass("tw-hoist-row-invariants", hoist_row_invariants_pass)
DISTINCT_DESTINATIONS = PythonPass("tw-distinct-destinations", distinct_destinations_pass)

# What the compiler runs on linalg before any schedule (the ``linalg`` stage). Distinct
# destinations come last: a CSE would merge them again before the schedule fuses its groups.
LINALG_STAGE: tuple[Step, ...] = (
    LINALG_CLEANUP,
    SELECT_BRANCHES,
    DUPLICATE_CHEAP_PRODUCERS,
    "linalg-fuse-elementwise-ops,canonicalize,cse",
    CANONICALIZE_CONTRACTIONS,
    UNIT_STRIDE_INSERTS,
    HOIST_ROW_INVARIANTS,
    "canonicalize,cse",
    DISTINCT_DESTINATIONS,
)

# tw-raise-attention (C++ extension) on the canonical contractions: softmax(Q.K^T).V chains
# become tw.attention before the destinations are made distinct. Off by default until the
# default schedule takes tw.attention (else the default compile loses its attention fusion).
RAISE_ATTENTION = PipelineOption(
    "raise_attention", int, 0, "1: raise attention chains to tw.attention (tw-raise-attention, C++ extension)"
)


def _linalg_stage(raise_attention: int) -> list[Step]:
    if not raise_attention:
        return list(LINALG_STAGE)
    from tilewright import extension
    from tilewright.diagnostics import TilewrightError

    if not extension.available():
        raise TilewrightError("raising attention (tw-raise-attention) needs tilewright's C++ extension, not built")
    at = LINALG_STAGE.index(DISTINCT_DESTINATIONS)
    return [*LINALG_STAGE[:at], "func.func(tw-raise-attention)", *LINALG_STAGE[at:]]


BUFFERIZE_STAGE: tuple[Step, ...] = (
    PythonPass("tw-readonly-arguments", readonly_arguments_pass),
    PythonPass("tw-distinct-results", distinct_results_pass),
    BUFFERIZE,
)


def _cpu_default(threads: int) -> list[Step]:
    return [*LINALG_STAGE, *BUFFERIZE_STAGE, *cpu_lowering.lower_to_llvm_cpu(threads)]


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
        NamedPipeline("tw-select-branches", "scf.if in elementwise bodies -> arith.select", (SELECT_BRANCHES,)),
        NamedPipeline(
            "tw-unit-stride-inserts",
            "strided tensor.insert_slice into a fill (lhs_dilation) -> reshapes and pads",
            (UNIT_STRIDE_INSERTS,),
        ),
        NamedPipeline(
            "tw-duplicate-cheap-producers",
            "cheap elementwise producers of reductions copied per consumer",
            (DUPLICATE_CHEAP_PRODUCERS,),
        ),
        NamedPipeline("tw-hoist-row-invariants", "per-row work out of elementwise bodies", (HOIST_ROW_INVARIANTS,)),
        NamedPipeline("tw-distinct-destinations", "a tensor.empty per linalg init", (DISTINCT_DESTINATIONS,)),
        NamedPipeline(
            "tw-linalg",
            "the linalg stage: cleanup, canonical contractions, rows",
            _linalg_stage,
            options=(RAISE_ATTENTION,),
        ),
        NamedPipeline("tw-bufferize", "one-shot bufferization with results as out-params", BUFFERIZE_STAGE),
        NamedPipeline("tw-lower-to-loops", "remaining structured and vector ops -> scf loops", (LOWER_TO_LOOPS,)),
        *cpu_lowering.PIPELINES,
        *nvvm_lowering.PIPELINES,
        NamedPipeline(
            "tw-cpu-default",
            "linalg on tensors -> LLVM dialect, no schedule",
            _cpu_default,
            options=(cpu_lowering.THREADS,),
        ),
    ]
}
