"""The tune transform extension, ``mlir.dialects.transform.tune``: knobs and alternatives,
the choices a tuner makes between runs of the same schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mlir import ir
from mlir.dialects.transform import tune as ttune

from tilewright.diagnostics import SourceLocation
from tilewright.schedule.handles import ParamHandle, ScheduleBase, ScheduleError, as_int, caller_location
from tilewright.schedule.regions import build_body

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


class TuneScheduleOps(ScheduleBase):
    """Schedule methods for ``transform.tune.*`` ops."""

    def knob(self, name: str, options: Sequence[int], default: int | None = None) -> ParamHandle:
        """``transform.tune.knob``: a tunable ``!transform.param<i64>`` (usable as a tile size).

        The selected value is ``knobs[name]`` given to the schedule, else ``default``
        (else the first option). A tuner lists :attr:`knobs` and calls :meth:`set_knob`.
        """
        where = caller_location()
        if name in self._knobs:
            raise ScheduleError(f"knob '{name}' is defined twice", where)
        options = [as_int(o) for o in options]
        if not options:
            raise ScheduleError(f"knob '{name}': options must be a non-empty list of ints", where)
        value = as_int(self._knob_overrides.get(name, default if default is not None else options[0]))
        if value not in options:
            raise ScheduleError(f"knob '{name}': {value} is not one of its options {options}", where)
        # An attribute, not the int: upstream's builder drops a falsy ``selected`` (``selected and
        # ...``), so 0 reached the op as a Python int and failed with bad_cast.
        selected = ir.IntegerAttr.get(ir.IntegerType.get_signless(64, self.context), value)
        op = self._create(ttune.KnobOp, self._param_type(), name, options, selected=selected)
        self._knobs[name] = op
        (h,) = self._wrap_results(op)
        return h

    @property
    def knobs(self) -> dict[str, tuple[list[int], int]]:
        """Every knob: name -> (options, selected value); alternatives count as knobs over region indices."""
        out = {}
        for name, op in self._knobs.items():
            if op.name == "transform.tune.alternatives":
                options = list(range(len(op.regions)))
                out[name] = (options, ir.IntegerAttr(op.attributes["selected_region_attr"]).value)
                continue
            options = [ir.IntegerAttr(a).value for a in ir.ArrayAttr(op.attributes["options"])]
            out[name] = (options, ir.IntegerAttr(op.attributes["selected"]).value)
        return out

    def set_knob(self, name: str, value: int) -> None:
        """Select another of a knob's options (what a tuner does between runs)."""
        if name not in self._knobs:
            raise ScheduleError(f"unknown knob '{name}' (known: {', '.join(self._knobs) or 'none'})")
        options, _ = self.knobs[name]
        if value not in options:
            raise ScheduleError(f"knob '{name}': {value} is not one of its options {options}")
        op = self._knobs[name]
        if op.name == "transform.tune.alternatives":
            i32 = ir.IntegerType.get_signless(32, self.context)
            op.attributes["selected_region_attr"] = ir.IntegerAttr.get(i32, value)
        else:
            op.attributes["selected"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64, self.context), value)

    def alternatives(
        self, name: str, options: Sequence[Callable[[], Any]], *, default: int = 0, results: int = 0
    ) -> list[OpHandle]:
        """``transform.tune.alternatives``: one of several sub-schedules, chosen like a knob.

        Each option is a function building its ops and returning ``results`` handles.
        The selected region is ``knobs[name]`` given to the schedule, else ``default``;
        :meth:`set_knob` changes it. Handles consumed by any option are consumed after.
        """
        where = caller_location()
        if name in self._knobs:
            raise ScheduleError(f"knob '{name}' is defined twice", where)
        selected = as_int(self._knob_overrides.get(name, default))
        if not 0 <= selected < len(options):
            raise ScheduleError(f"alternatives '{name}': {selected} is not one of 0..{len(options) - 1}", where)
        with self.context, self._loc(where), self._ip_stack[-1]:
            op = ttune.AlternativesOp([self._any_op()] * results, name, len(options), selected_region=selected)
        before = {id(h): h.consumed_by for h in self._handles}
        consumed_anywhere: dict[int, tuple[str, SourceLocation]] = {}
        for index, build in enumerate(options):
            first = len(self._handles)
            build_body(
                self,
                op.regions[index].blocks[0],
                build,
                scope=f"alternatives '{name}'",
                where=where,
                results=results,
                what=f"alternatives '{name}': option {index}",
            )
            for h in self._handles[:first]:  # outer handles: remember, then restore for the next option
                if h.consumed_by is not None and before.get(id(h)) is None:
                    consumed_anywhere.setdefault(id(h), h.consumed_by)
                h.consumed_by = before.get(id(h))
        for h in self._handles:
            if id(h) in consumed_anywhere:
                h.consumed_by = consumed_anywhere[id(h)]
        self._verify_new(op.operation, where)
        self._knobs[name] = op.operation
        return self._wrap_results(op.operation)
