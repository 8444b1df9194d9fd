"""Tilings of the NVVM library: tile sizes or thread counts per loop and the GPU mapping of
the tiled loops, and the one way every library schedule tiles an op to blocks then threads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tilewright.schedule import OpHandle

BLOCK_DIMS = ("#gpu.block<x>", "#gpu.block<y>", "#gpu.block<z>")
THREAD_DIMS = ("#gpu.thread<x>", "#gpu.thread<y>", "#gpu.thread<z>")


@dataclass(frozen=True)
class Tiling:
    """Tile sizes (block level) or thread counts (thread level), one per loop (0: not tiled),
    and the GPU mapping of the tiled loops."""

    sizes: tuple[int, ...]
    mapping: tuple[str, ...]

    def attr(self) -> str:
        return "[" + ", ".join(self.mapping) + "]"


def mapped(sizes: list[int], dims: tuple[str, ...]) -> Tiling:
    """The tiled loops (non-zero sizes), innermost mapped to x, the next to y, then z."""
    tiled = [i for i, s in enumerate(sizes) if s]
    return Tiling(tuple(sizes), tuple(dims[len(tiled) - 1 - k] for k in range(len(tiled))))


def tile_to_blocks_and_threads(handle: OpHandle, tilings: tuple[Tiling, Tiling], fill: OpHandle | None) -> None:
    """Tile to the block forall, fuse ``fill`` (the op's zero init) into it, then to threads
    (a thread count, not a tile size: the forall's bounds stay static in partial tiles, which
    the block size needs)."""
    block, thread = tilings
    tiled, forall = handle.tile_forall(tile_sizes=list(block.sizes), mapping=block.attr())
    if fill is not None:
        fill, _ = fill.fuse_into(forall)
    _, thread_forall = tiled.tile_forall(num_threads=list(thread.sizes), mapping=thread.attr())
    if fill is not None:
        fill.fuse_into(thread_forall)
