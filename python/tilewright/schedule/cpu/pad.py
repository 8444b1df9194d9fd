"""Large ``tensor.pad`` ops (a convolution's SAME padding) as a buffer filled and copied in vector tiles.

The library's final vectorization would turn a whole top-level pad into one vector (a
514x514 pad: minutes in LLVM); tiling the pad, or fusing it into a convolution's row loop,
allocates and copies per tile with scalar loops (2-2.5x slower per convolution); and a pad
left to one-shot bufferization becomes a fill plus a ``memref.copy`` into a strided view,
which the CPU runtime's ``memrefCopy`` does element by element (a third of the time of the
zoo CNN's second convolution).

So each large pad is bufferized where it stands (``bufferize_to_allocation``): a fresh
buffer, a fill of the padding value and a ``linalg.copy`` of the source into the interior,
both tiled here into small static tiles (:func:`.elementwise.schedule_bounded`) that the
function-wide vectorization turns into vector stores and loads. The consumer (the
convolution) reads the buffer as a tensor, unchanged.
"""

from __future__ import annotations

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.cpu.elementwise import schedule_bounded

# The ops bufferize_to_allocation makes to write the padding value: a fill for a value defined
# outside the pad (JAX's pads), a generic/map for one computed from the indices.
FILL_OPS = ("linalg.fill", "linalg.generic", "linalg.map")


def materialize_pad(s: Schedule, pad: OpHandle, source: tuple[int, ...], result: tuple[int, ...]) -> None:
    """Replace ``pad`` (shapes ``source`` -> ``result``) by a buffer, its fill and a copy, tiled.

    Consumes ``pad``.
    """
    _, new_ops = s.op(
        "transform.structured.bufferize_to_allocation",
        [pad],
        ["!transform.any_value", "!transform.any_op"],
        {"memcpy_op": '"linalg.copy"'},
    )

    # new_ops lists the ops nested in the new ones too (the copy's and fill's yields): they are
    # only matched in the loop, and tiled after it, or the loop would visit erased ops.
    copy, fill = s.foreach(new_ops, lambda op: [op.match("linalg.copy"), op.match(ops=list(FILL_OPS))], results=2)  # type: ignore[arg-type]
    schedule_bounded(copy, source)
    schedule_bounded(fill, result)
