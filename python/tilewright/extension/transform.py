"""Generated builders of the ``transform.tw.*`` ops (thin wrappers; the schedule API's
methods are in :mod:`tilewright.schedule.tw`)."""

from __future__ import annotations

from tilewright.extension import register

register()

from tilewright.extension._tw_transform_ops_gen import *  # noqa: E402, F403
