"""Rewrites of linalg on tensors that run before schedules (the ``linalg`` stage).

Schedules in the CPU library (:mod:`tilewright.schedule.cpu`) are written for
canonical op forms. The passes here bring what the StableHLO legalization emits
into those forms, so one schedule covers every layout a framework exports:

=================================  ===================================================
``tw-canonicalize-contractions``   ``dot_general``-style ``linalg.generic`` contractions
                                   (any operand layout, several batch/K dims) ->
                                   transposes + ``linalg.matmul`` / ``batch_matmul``;
                                   elementwise work that fusion folded into a
                                   contraction's factors is split out first
                                   (``split_contractions.py``)
``tw-select-branches``            branch-free ``scf.if`` in generic bodies (a
                                   concatenate) -> ``arith.select`` (``branches.py``)
``tw-duplicate-cheap-producers``  cheap elementwise producers of reductions copied
                                   per consumer, to be fused (``rows.py``)
``tw-hoist-row-invariants``       per-row work fused into elementwise bodies moved
                                   into generics of its own (``rows.py``)
``tw-distinct-destinations``       a ``tensor.empty`` per linalg init (``rows.py``)
``tw-unit-stride-inserts``         strided ``tensor.insert_slice`` into a fill (a
                                   convolution's ``lhs_dilation``) -> expand_shape,
                                   pad, collapse_shape, pad (``strided_inserts.py``)
=================================  ===================================================
"""

from tilewright.linalg.branches import select_branches_pass
from tilewright.linalg.contractions import canonicalize_contractions_pass
from tilewright.linalg.rows import (
    distinct_destinations_pass,
    duplicate_cheap_producers_pass,
    hoist_row_invariants_pass,
)
from tilewright.linalg.strided_inserts import unit_stride_inserts_pass

__all__ = [
    "canonicalize_contractions_pass",
    "distinct_destinations_pass",
    "duplicate_cheap_producers_pass",
    "hoist_row_invariants_pass",
    "select_branches_pass",
    "unit_stride_inserts_pass",
]
