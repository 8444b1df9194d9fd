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
=================================  ===================================================
"""

from tilewright.linalg.contractions import canonicalize_contractions_pass

__all__ = ["canonicalize_contractions_pass"]
