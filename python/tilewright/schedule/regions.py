"""Filling one region of a transform op from a Python function: the body of a named sequence,
a ``transform.foreach`` or one option of ``transform.tune.alternatives``.

The function is called with handles to the block's arguments while the schedule
inserts into the block; the handles it returns are yielded. Handles made in the
body belong to it and end with it, so later use outside raises :class:`HandleError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlir import ir
from mlir.dialects import transform

from tilewright.diagnostics import SourceLocation
from tilewright.schedule.handles import Handle, ScheduleBase, ScheduleError, check_own

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


@dataclass
class Body:
    """What a body function built: its argument handles, and what it returned (and yielded)."""

    args: list[OpHandle]
    returned: list[Handle]
    consumed_args: list[bool]  # per argument: did an op in the body consume it


def as_handles(returned: Any) -> list[Handle]:
    """A body's return value (None, one handle or several) as a list."""
    return [] if returned is None else [returned] if isinstance(returned, Handle) else list(returned)


def build_body(
    s: ScheduleBase,
    block: ir.Block,
    body: Callable[..., Any],
    *,
    scope: str,
    where: SourceLocation,
    arg_origin: str = "",
    arg_parents: Sequence[Handle] = (),
    results: int | None = None,
    what: str = "",
) -> Body:
    """Call ``body(*argument handles)`` with ops inserted into ``block``; yield what it returns.

    ``scope`` names the op in the messages of handles that end with the body
    ("the end of {scope}"). With ``results``, the body must return that many
    handles (else ``ScheduleError("{what} returned N handle(s), expected M")``,
    and the op owning the block is erased).
    """
    with s.context, s._loc(where), ir.InsertionPoint(block):
        terminator = transform.YieldOp([])
    first = len(s._handles)
    args = [s.op_handle_type(s, a, arg_origin, where) for a in block.arguments]
    for a in args:
        a.parents.extend(arg_parents)
    s._handles.extend(args)
    with s._inserting_at(ir.InsertionPoint(terminator)), s.context:
        returned = as_handles(body(*args))
    if results is not None and len(returned) != results:
        block.owner.operation.erase()
        raise ScheduleError(f"{what} returned {len(returned)} handle(s), expected {results}", where)
    for h in returned:
        check_own(h, s)
    with s.context, s._loc(where):
        values = [h.value for h in returned]
        terminator.erase()
        with ir.InsertionPoint(block):
            transform.YieldOp(values)
    consumed_args = [not a.valid for a in args]
    for h in s._handles[first:]:
        if h.valid:
            h.consumed_by = (f"the end of {scope}", where)
    return Body(args, returned, consumed_args)  # type: ignore[arg-type]
