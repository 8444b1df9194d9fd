"""The MLIR context a :class:`~tilewright.schedule.Schedule` built without one joins.

While a :class:`~tilewright.schedule.source.ScheduleSource` runs library or user code that
builds a schedule for a payload, that code's ``Schedule()`` is built in the payload's own
context, so the driver applies the very module it built, without printing and parsing it.
Kept apart (no imports) so the builders and the sources can both read it without a cycle.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

building_context: contextvars.ContextVar[Any] = contextvars.ContextVar("tilewright_schedule_context", default=None)


@contextmanager
def build_in(context: Any) -> Iterator[None]:
    """Schedules created inside (``Schedule()`` with no ``context=``) are built in ``context``."""
    token = building_context.set(context)
    try:
        yield
    finally:
        building_context.reset(token)
