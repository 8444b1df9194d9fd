"""tilewright's own transform extension, ``transform.tw.*`` (C++ in ``dialects/transform``):
the scheduling steps upstream MLIR 22 has no transform op for.

The builders wrap the ops' generated Python classes (:mod:`tilewright.extension.transform`),
as :mod:`tilewright.schedule.structured` wraps upstream's. A schedule that uses them runs in
``tilewright-opt`` and in stock ``mlir-opt --load-dialect-plugin=libTilewrightPlugin.so``.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from tilewright.schedule.handles import Handle, ScheduleError, caller_location, nest

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


def tw_ops() -> ModuleType:
    """The generated builders, or a :class:`ScheduleError` at the user's line if the extension is not built."""
    from tilewright import extension

    try:
        extension.register()
        from tilewright.extension import transform
    except (extension.ExtensionUnavailable, ImportError) as err:
        raise ScheduleError(f"transform.tw.* needs tilewright's C++ extension: {err}", caller_location()) from err
    return transform


class TwOps(Handle):
    """Op-handle methods for ``transform.tw.*`` ops."""

    def fuse_consumer(self, loops: Sequence[OpHandle]) -> tuple[OpHandle, list[OpHandle]]:
        """``transform.tw.fuse_consumer``: compute this consumer inside a tiled nest, tile by tile.

        ``loops`` are the nest's loops, outermost first (as :meth:`tile` or :meth:`tile_forall`
        return them); this op must use a result of the outermost one. Returns (the fused consumer,
        the loops). The loops keep their handles: they are rebuilt to yield the consumer's result too.
        """
        if not loops:
            raise ScheduleError("fuse_consumer: give the loops of the nest, outermost first", caller_location())
        s = self.schedule
        any_op = s._any_op()
        fused, *new_loops = s._build(
            tw_ops().FuseConsumerOp, any_op, [any_op] * len(loops), self.value, [loop.value for loop in loops]
        )
        nest(new_loops, fused)
        return fused, new_loops
