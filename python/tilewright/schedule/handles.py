"""What every part of the schedule API shares: handles, their consumption, locations and errors.

:class:`ScheduleBase` owns the transform module and builds every op through one
path, :meth:`ScheduleBase._create`: the op is built inside the schedule's MLIR
context at the current insertion point, located at the user's ``.py`` line,
verified, and the handles it consumes are invalidated. The builder methods of
each upstream transform extension live in their own module (``structured``,
``loop``, ...) as mixins of :class:`ScheduleBase` and :class:`Handle`, composed
into ``Schedule`` and ``OpHandle`` in :mod:`tilewright.schedule.builder`.

Handles follow the transform dialect's ownership rules: an op that *consumes* a
handle invalidates it and every handle known to point inside its payload
(:attr:`Handle.parents`); using such a handle raises :class:`HandleError` at
build time instead of producing a script that the interpreter rejects.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import CodeType
from typing import TYPE_CHECKING, Any, ClassVar

from mlir import ir
from mlir.dialects import transform

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.schedule.consumption import consumed_operands

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle, Schedule

ENTRY_POINT = "__transform_main"

# Frames running in these modules are the API itself: an op's location is the first frame outside them.
API_MODULES = frozenset(
    f"tilewright.schedule.{name}"
    for name in (
        "builder",
        "bufferization",
        "consumption",
        "core",
        "extensions",
        "gpu",
        "handles",
        "loop",
        "match",
        "nvgpu",
        "patterns",
        "regions",
        "structured",
        "tune",
        "tw",
        "vector",
    )
)
_API_CODES: set[CodeType] = set()  # extension methods' code (see extensions.py): API as well


@dataclass(frozen=True)
class SchedulePart:
    """A named sequence of the schedule that the driver may apply, or drop, on its own.

    ``@__transform_main`` includes every part in order, so the script runs as is in
    ``mlir-opt``; when it fails, a driver that may fall back (the default schedule) applies
    the parts one at a time and leaves the payload of a failing part as it was, or applies
    its ``fallback`` sequence instead (a simpler schedule of the same ops), with a warning
    naming ``what`` and ``location`` (the payload op the part schedules).
    """

    entry: str
    what: str
    location: SourceLocation | None = None
    fallback: str | None = None


class ScheduleError(TilewrightError):
    """A schedule built wrongly from Python (bad arguments, unknown knob, ...), located at the call."""


class HandleError(ScheduleError):
    """Use of a handle that a previous transform consumed (or that belongs to another schedule)."""


def register_api_code(code: CodeType) -> None:
    """Treat frames running ``code`` as API, so locations skip them (extension methods)."""
    _API_CODES.add(code)


def caller_location() -> SourceLocation:
    """The first stack frame outside the schedule API: the user's line."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_globals.get("__name__") not in API_MODULES and frame.f_code not in _API_CODES:
                col = 1
                positions = inspect.getframeinfo(frame, context=0).positions
                if positions is not None and positions.col_offset is not None:
                    col = positions.col_offset + 1
                return SourceLocation(frame.f_code.co_filename, frame.f_lineno, col)
            frame = frame.f_back
    finally:
        del frame
    return SourceLocation("<schedule>")


def source_location(loc: ir.Location) -> SourceLocation:
    """An MLIR file location as a :class:`SourceLocation` (other location kinds carry no position)."""
    try:
        if loc.is_a_file():
            return SourceLocation(loc.filename, loc.start_line, loc.start_col)
    except Exception:  # noqa: BLE001 - other location kinds have no file accessors
        pass
    return SourceLocation("<schedule>", 0, 0)


class Handle:
    """A transform-dialect SSA value (operation, parameter or value handle) of one schedule."""

    kind = "handle"

    def __init__(self, schedule: Schedule, value: ir.Value, origin: str, location: SourceLocation) -> None:
        self.schedule = schedule
        self._value = value
        self.origin = origin  # the transform op that produced it
        self.location = location
        self.consumed_by: tuple[str, SourceLocation] | None = None
        self.parents: list[Handle] = []  # handles whose payload contains this one's (or equals it)

    @property
    def value(self) -> ir.Value:
        """The SSA value, checked to be still valid (not consumed)."""
        if self.consumed_by is not None:
            op, where = self.consumed_by
            raise HandleError(
                f"{self.describe()} is invalid: it was consumed by '{op}' at {where}; "
                "use the handles that op returned (or match again)",
                caller_location(),
            )
        return self._value

    @property
    def type(self) -> ir.Type:
        return self._value.type

    @property
    def valid(self) -> bool:
        return self.consumed_by is None

    def describe(self) -> str:
        return f"{self.kind} handle from '{self.origin}' ({self.location})"

    def __repr__(self) -> str:
        state = "" if self.valid else ", consumed"
        return f"<{type(self).__name__} {self.origin} at {self.location}{state}>"


class ParamHandle(Handle):
    """A ``!transform.param<...>``: a constant, a knob, or a value measured on the payload."""

    kind = "param"


class ValueHandle(Handle):
    """A ``!transform.any_value``: payload SSA values (results or operands of payload ops)."""

    kind = "value"

    def defining_op(self) -> OpHandle:
        """``transform.get_defining_op``."""
        s = self.schedule
        return s._build_one(transform.GetDefiningOp, s._any_op(), self.value, result_parents=[self])


# --- arguments shared by many builders ------------------------------------------------------


def nest(outer_first: Sequence[Handle], inner: Handle) -> None:
    """Record that ``inner`` lives inside each loop of ``outer_first`` (outermost first)."""
    for i, loop in enumerate(outer_first):
        for deeper in [*outer_first[i + 1 :], inner]:
            deeper.parents.append(loop)


def check_own(h: Handle, s: ScheduleBase) -> None:
    if h.schedule is not s:
        raise HandleError(f"{h.describe()} belongs to another schedule", caller_location())


def as_int(v: Any) -> int:
    """Any integral (``int``, ``numpy.int64``, ...) as an ``int``; bools and floats are errors."""
    if isinstance(v, bool):
        raise ScheduleError(f"expected an int or a param handle, got {v!r}", caller_location())
    try:
        return operator.index(v)
    except TypeError:
        raise ScheduleError(f"expected an int or a param handle, got {v!r}", caller_location()) from None


def mixed(sizes: Sequence[int | ParamHandle], s: ScheduleBase) -> list[int | ir.Value]:
    """Static ints and param handles, as the upstream builders' mixed lists."""
    out: list[int | ir.Value] = []
    for v in sizes:
        if isinstance(v, Handle):
            check_own(v, s)
            out.append(v.value)
        else:
            out.append(as_int(v))
    return out


def split_mixed(sizes: Sequence[int | ParamHandle], s: ScheduleBase) -> tuple[list[ir.Value], list[int]]:
    """(dynamic values, static sizes with ShapedType's dynamic marker where a value goes)."""
    dynamic: list[ir.Value] = []
    static: list[int] = []
    for v in mixed(sizes, s):
        if isinstance(v, ir.Value):
            dynamic.append(v)
            static.append(ir.ShapedType.get_dynamic_size())
        else:
            static.append(v)
    return dynamic, static


def in_schedule_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(self, ...)`` run inside the MLIR context of ``self`` (a schedule or a handle).

    For extension methods, whose bodies may build types and attributes without
    naming a context; the API's own builders pass theirs explicitly.
    """

    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        with (self if isinstance(self, ScheduleBase) else self.schedule).context:
            return fn(self, *args, **kwargs)

    return method


# --- the schedule's module and the one path every op is built through ----------------------


class ScheduleBase:
    """A transform module ``{transform.with_named_sequence}`` with ``@__transform_main(%root)``."""

    op_handle_type: ClassVar[type[Handle]] = Handle  # the composed OpHandle (see builder.py)

    def __init__(
        self, name: str = "schedule", *, knobs: Mapping[str, Any] | None = None, context: ir.Context | None = None
    ) -> None:
        from tilewright.mlir_env import new_context
        from tilewright.schedule.context import building_context

        self.name = name
        # Without a context given: the payload's while a ScheduleSource builds one for it (applied
        # without printing), else a context of its own.
        self.context = context or building_context.get() or new_context()
        self._knob_overrides: dict[str, Any] = dict(knobs or {})
        self._knobs: dict[str, ir.Operation] = {}  # knob or alternatives op by name (tune.py)
        self._sequences: dict[str, tuple[list[bool], int]] = {}  # name -> (consumed args, results) (core.py)
        self._matchers = 0  # matcher sequences made so far (match.py)
        self.parts: list[SchedulePart] = []  # named sequences applied, or dropped, one by one (core.py)
        self._handles: list[Handle] = []
        where = caller_location()
        with self.context, self._loc(where):
            self.module = ir.Module.create()
            self.module.operation.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
            with ir.InsertionPoint(self.module.body):
                self._main = transform.NamedSequenceOp(
                    ENTRY_POINT, [self._any_op()], [], arg_attrs=[{"transform.readonly": ir.UnitAttr.get()}]
                )
            with ir.InsertionPoint(self._main.body):
                terminator = transform.YieldOp([])
        self._ip_stack: list[ir.InsertionPoint] = [ir.InsertionPoint(terminator)]
        self.root: OpHandle = self.op_handle_type(self, self._main.body.arguments[0], "root", where)  # type: ignore[assignment]
        self._handles.append(self.root)

    # -- types and attributes of this schedule's context --------------------------------------

    def _any_op(self) -> ir.Type:
        return transform.AnyOpType.get(self.context)

    def _op_type(self, op_name: str) -> ir.Type:
        """``!transform.op<"op_name">``."""
        return transform.OperationType.get(op_name, self.context)

    def _param_type(self) -> ir.Type:
        """``!transform.param<i64>``."""
        return transform.ParamType.get(ir.IntegerType.get_signless(64, self.context), self.context)

    def _attr(self, text: str) -> ir.Attribute:
        return ir.Attribute.parse(text, self.context)

    def _loc(self, where: SourceLocation) -> ir.Location:
        return ir.Location.file(where.filename, max(where.line, 0), max(where.col, 0), self.context)

    # -- building ---------------------------------------------------------------------------

    def _create(self, builder: Callable[..., Any], *args: Any, **kwargs: Any) -> ir.Operation:
        """Build one op at the current insertion point, located at the user's line; apply consumption."""
        where = caller_location()
        with self.context, self._loc(where), self._ip_stack[-1]:
            built = builder(*args, **kwargs)
        op = built.operation if hasattr(built, "operation") else built
        self._verify_new(op, where)
        self._after_build(op, where)
        return op

    def _verify_new(self, op: ir.Operation, where: SourceLocation) -> None:
        """Verify a just-built op so a bad argument is reported at the user's line, then drop it."""
        try:
            op.verify()
        except ir.MLIRError as exc:
            messages = [str(d.message) for d in exc.error_diagnostics] or [str(exc)]
            name = op.name
            op.erase()
            raise ScheduleError(f"invalid '{name}': {'; '.join(messages)}", where) from None

    def _after_build(self, op: ir.Operation, where: SourceLocation, consumed: Sequence[int] | None = None) -> None:
        """Invalidate the handles ``op`` consumes (``consumed``: operand indices, default: read from MLIR)."""
        if consumed is None:
            consumed = consumed_operands(op)
            if consumed is None:
                return
        by_value = {h._value: h for h in self._handles if h.valid}
        for index in consumed:
            handle = by_value.get(op.operands[index])
            if handle is not None and handle.valid:
                self._consume(handle, op.name, where)

    def _consume(self, handle: Handle, op_name: str, where: SourceLocation) -> None:
        """Invalidate ``handle`` and every handle known to point at ops nested in its payload."""
        dead = {id(handle)}
        handle.consumed_by = (op_name, where)
        changed = True
        while changed:
            changed = False
            for h in self._handles:
                if h.valid and any(id(p) in dead for p in h.parents):
                    h.consumed_by = (op_name, where)
                    dead.add(id(h))
                    changed = True
        if handle is self.root:
            # The interpreter allows consuming the root only if the entry says so.
            self._main.operation.attributes["arg_attrs"] = ir.ArrayAttr.get(
                [ir.DictAttr.get({"transform.consumed": ir.UnitAttr.get(self.context)}, self.context)], self.context
            )

    def _wrap_results(self, op: ir.Operation, parents: Sequence[Handle] = ()) -> list[Any]:
        """One handle per result of ``op``: a param, value or op handle after the result's type."""
        where = source_location(op.location)
        out = []
        for r in op.results:
            type_text = str(r.type)
            cls: type[Handle] = self.op_handle_type
            if type_text.startswith("!transform.param") or type_text == "!transform.any_param":
                cls = ParamHandle
            elif type_text == "!transform.any_value":
                cls = ValueHandle
            h = cls(self, r, op.name, where)  # type: ignore[arg-type]
            h.parents.extend(parents)
            self._handles.append(h)
            out.append(h)
        return out

    def _build(
        self, builder: Callable[..., Any], *args: Any, result_parents: Sequence[Handle] = (), **kwargs: Any
    ) -> list[Any]:
        op = self._create(builder, *args, **kwargs)
        return self._wrap_results(op, result_parents)

    def _build_one(self, builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        (h,) = self._build(builder, *args, **kwargs)
        return h

    def _cast(self, h: Handle, op_name: str) -> OpHandle:
        """``transform.cast`` to ``!transform.op<"op_name">`` (ops like lower_pack require one)."""
        out = self._build_one(transform.CastOp, self._op_type(op_name), h.value)
        out.parents.extend(h.parents)
        h.parents.append(out)  # the same payload: consuming either invalidates both
        return out

    @contextmanager
    def _inserting_at(self, ip: ir.InsertionPoint) -> Iterator[None]:
        """Build the ops of a region (see regions.py) at ``ip`` until the block ends."""
        self._ip_stack.append(ip)
        try:
            yield
        finally:
            self._ip_stack.pop()

    # -- output -----------------------------------------------------------------------------

    def verify(self) -> None:
        """Verify the script (as MLIR would before running it); raises :class:`ScheduleError`."""
        from tilewright.diagnostics import convert_diagnostic

        try:
            self.module.operation.verify()
        except ir.MLIRError as exc:
            diags = [convert_diagnostic(d, self.name) for d in exc.error_diagnostics]
            raise ScheduleError(
                "the schedule is not a valid transform script", SourceLocation(self.name), diags
            ) from None

    def to_mlir(self, debug_info: bool = False) -> str:
        """The script as MLIR text; ``debug_info`` keeps the Python locations of each op."""
        self.verify()
        with self.context:
            return self.module.operation.get_asm(enable_debug_info=debug_info)

    def __str__(self) -> str:
        return self.to_mlir()
