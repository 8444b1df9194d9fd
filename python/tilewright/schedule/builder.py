"""The Python schedule API: transform-dialect scripts built op by op from Python.

A :class:`Schedule` owns a module ``{transform.with_named_sequence}`` with one
``transform.named_sequence @__transform_main(%root)``; every builder method
appends one upstream transform op to it (built with the ``mlir`` package's
transform builders) and returns Python handles wrapping the op's results. The
printed script therefore runs unchanged in ``mlir-opt --transform-interpreter``.

The builder methods are grouped as upstream groups its transform extensions, one
module each, and composed here into :class:`Schedule` and :class:`OpHandle`:

- :mod:`~tilewright.schedule.core`: the transform dialect itself (navigation, merge, named sequences, foreach)
- :mod:`~tilewright.schedule.match`: ``structured.match`` and ``match.structured`` matchers
- :mod:`~tilewright.schedule.structured`: tiling, fusion, padding, packing of linalg ops
- :mod:`~tilewright.schedule.vector`: vectorization and ``apply_patterns``
- :mod:`~tilewright.schedule.loop`, :mod:`~tilewright.schedule.bufferization`, :mod:`~tilewright.schedule.tune`
- :mod:`~tilewright.schedule.tw`: tilewright's own ``transform.tw.*`` (C++ extension)
- :mod:`~tilewright.schedule.gpu`, :mod:`~tilewright.schedule.nvgpu`: blocks/threads mapping, tensor cores (NVVM)

What they share (handles, consumption, locations, errors) is in
:mod:`tilewright.schedule.handles`; which operands an op consumes is read from
MLIR (:mod:`tilewright.schedule.consumption`).
"""

from __future__ import annotations

from tilewright.schedule.bufferization import BufferizationOps, BufferizationScheduleOps
from tilewright.schedule.core import TransformOps, TransformScheduleOps
from tilewright.schedule.gpu import GpuOps
from tilewright.schedule.loop import LoopOps
from tilewright.schedule.match import MatchOps, MatchScheduleOps
from tilewright.schedule.nvgpu import NvgpuOps
from tilewright.schedule.structured import StructuredOps
from tilewright.schedule.tune import TuneScheduleOps
from tilewright.schedule.tw import TwOps
from tilewright.schedule.vector import VectorOps, VectorScheduleOps


class OpHandle(TransformOps, MatchOps, StructuredOps, VectorOps, LoopOps, BufferizationOps, TwOps, GpuOps, NvgpuOps):
    """A ``!transform.any_op`` handle: a list of payload operations."""

    kind = "op"


class Schedule(TransformScheduleOps, MatchScheduleOps, VectorScheduleOps, TuneScheduleOps, BufferizationScheduleOps):
    """A transform script under construction: ``s.match(...)``, ``h.tile(...)``, ... then ``s.to_mlir()``.

    ``knobs`` overrides the defaults of :meth:`knob` parameters (a tuner builds
    the same schedule with other values); :meth:`set_knob` changes one later.
    """

    op_handle_type = OpHandle
    root: OpHandle

    def __repr__(self) -> str:
        return f"<tilewright.schedule.Schedule {self.name!r}: {len(self._handles)} handles, knobs {self.knobs}>"
