"""Schedules: transform-dialect scripts built from Python and applied before bufferization.

``Schedule`` builds the script (see :mod:`tilewright.schedule.builder`: one module
per upstream transform extension, composed there),
:mod:`tilewright.schedule.patterns` names the pattern sets of ``apply_patterns``,
:mod:`tilewright.schedule.info` describes the payload a schedule is built for,
:mod:`tilewright.schedule.library` holds the named built-in schedules, and
:mod:`tilewright.schedule.apply` applies any form of schedule to a payload.
"""

from tilewright.schedule import patterns
from tilewright.schedule.builder import OpHandle, Schedule
from tilewright.schedule.handles import Handle, HandleError, ParamHandle, ScheduleError, SchedulePart, ValueHandle

__all__ = [
    "Handle",
    "HandleError",
    "OpHandle",
    "ParamHandle",
    "Schedule",
    "ScheduleError",
    "SchedulePart",
    "ValueHandle",
    "patterns",
]
