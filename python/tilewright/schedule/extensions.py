"""Extending the schedule API: new builder methods for transform ops defined outside upstream MLIR.

An extension (e.g. tilewright's own C++ transform ops, once registered in the
context) adds its builders as methods of the handle or schedule classes, so
schedules read the same as with upstream ops::

    from tilewright.schedule.extensions import extension_method
    from tilewright.schedule import OpHandle

    @extension_method(OpHandle)
    def tile_attention(self, block: int) -> OpHandle:
        (tiled,) = self.schedule.op(
            "transform.tw.tile_attention", [self], ["!transform.any_op"], {"block": f"{block} : i64"}
        )
        return tiled

Methods run inside the schedule's MLIR context and are reported at the user's
line like built-in builders. :meth:`Schedule.op` reads which operands the new op
consumes from the op itself, so handle invalidation works for extension ops too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tilewright.schedule.builder import Schedule
from tilewright.schedule.handles import Handle, in_schedule_context, register_api_code

_EXTENSIONS: dict[tuple[type, str], Callable[..., Any]] = {}


def extension_method(cls: type, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: add the function as method ``name`` (default: its own name) of ``cls``.

    ``cls`` is :class:`Schedule` or a :class:`Handle` subclass. Existing methods
    (upstream builders or another extension's) are never replaced.
    """
    if not (isinstance(cls, type) and (issubclass(cls, Handle) or issubclass(cls, Schedule))):
        raise TypeError(f"extension methods go on Schedule or a Handle class, not {cls!r}")

    def add(fn: Callable[..., Any]) -> Callable[..., Any]:
        method_name = name or fn.__name__
        if method_name.startswith("_") or hasattr(cls, method_name):
            raise ValueError(f"{cls.__name__}.{method_name} already exists (or is private); choose another name")
        setattr(cls, method_name, in_schedule_context(fn))
        register_api_code(fn.__code__)  # errors point at the schedule's line, not into the extension
        _EXTENSIONS[(cls, method_name)] = fn
        return fn

    return add


def extension_methods() -> dict[str, str]:
    """``"Class.method" -> module`` for every registered extension method."""
    return {f"{cls.__name__}.{n}": fn.__module__ for (cls, n), fn in _EXTENSIONS.items()}
