"""Bufferization: linalg on tensors -> linalg on memrefs, with caller-provided results.

One-shot bufferization over whole functions, identity layouts at function
boundaries (so arguments are plain dense numpy buffers), then results turned
into out-parameters: the runtime allocates every result with numpy and the
compiled code writes into it, so no memory crosses the boundary in either
direction. Temporaries are freed by the ownership-based deallocation pipeline.
Loops may yield new buffers (``allow-return-allocs-from-loops``): the body of a
lowered ``stablehlo.while`` computes fresh tensors each iteration.
"""

from __future__ import annotations

ONE_SHOT_BUFFERIZE = (
    "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map"
    " allow-return-allocs-from-loops}"
)

BUFFERIZE = ",".join(
    [
        "canonicalize",
        "cse",
        ONE_SHOT_BUFFERIZE,
        "canonicalize",
        "buffer-results-to-out-params{modify-public-functions hoist-static-allocs}",
        "buffer-deallocation-pipeline",
        "convert-bufferization-to-memref",
        "canonicalize",
    ]
)
"""Textual pipeline (module level) of the ``tw-bufferize`` stage."""
