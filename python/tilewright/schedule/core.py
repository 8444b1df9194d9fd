"""Ops of the transform dialect itself (upstream ``mlir.dialects.transform``).

Navigating handles (``get_parent_op``, ``split_handle``, ``get_result``, ...),
annotations and cleanups on op handles; merging, parameters, named sequences,
``foreach`` and the escape hatch :meth:`TransformScheduleOps.op` on the schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlir import ir
from mlir.dialects import transform

from tilewright.diagnostics import SourceLocation
from tilewright.schedule.handles import (
    ENTRY_POINT,
    Handle,
    ParamHandle,
    ScheduleBase,
    ScheduleError,
    SchedulePart,
    ValueHandle,
    caller_location,
    check_own,
)
from tilewright.schedule.regions import build_body

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


class TransformOps(Handle):
    """Op-handle methods for core transform ops."""

    def parent(self, op_name: str | None = None, *, nth: int = 1, isolated_from_above: bool = False) -> OpHandle:
        """``transform.get_parent_op``: the closest (``nth``) enclosing op, optionally of a given name."""
        s = self.schedule
        h = s._build_one(
            transform.GetParentOp,
            s._any_op(),
            self.value,
            op_name=op_name,
            nth_parent=nth,
            isolated_from_above=isolated_from_above,
            deduplicate=True,
        )
        self.parents.append(h)
        return h

    def split(self, count: int, *, overflow: bool = False) -> list[OpHandle]:
        """``transform.split_handle``: one handle per payload op (exactly ``count`` of them)."""
        s = self.schedule
        types = [s._any_op()] * (count + (1 if overflow else 0))
        overflow_result = count if overflow else None
        return s._build(
            transform.SplitHandleOp, types, self.value, overflow_result=overflow_result, result_parents=[self]
        )

    def result(self, index: int = 0) -> ValueHandle:
        """``transform.get_result``: the payload op's ``index``-th result."""
        s = self.schedule
        any_value = transform.AnyValueType.get(s.context)
        return s._build_one(transform.GetResultOp, any_value, self.value, raw_position_list=[index])

    def operand(self, index: int = 0) -> ValueHandle:
        """``transform.get_operand``: the payload op's ``index``-th operand."""
        s = self.schedule
        any_value = transform.AnyValueType.get(s.context)
        return s._build_one(transform.GetOperandOp, any_value, self.value, raw_position_list=[index])

    def producer_of_operand(self, index: int) -> OpHandle:
        """``transform.get_producer_of_operand``."""
        s = self.schedule
        return s._build_one(transform.GetProducerOfOperand, s._any_op(), self.value, operand_number=index)

    def cast(self, op_name: str) -> OpHandle:
        """``transform.cast`` to ``!transform.op<"op_name">`` (checked when the schedule runs)."""
        return self.schedule._cast(self, op_name)

    def __add__(self, other: OpHandle) -> OpHandle:
        return self.schedule.merge(self, other)  # type: ignore[arg-type]

    def annotate(self, name: str, param: ParamHandle | None = None) -> None:
        """``transform.annotate``: set a unit (or the param's) attribute ``name`` on the payload ops."""
        self.schedule._create(transform.AnnotateOp, self.value, name, param=param.value if param else None)

    def print(self, name: str | None = None) -> None:
        """``transform.print``: dump the payload ops to stderr while the schedule runs."""
        self.schedule._create(transform.PrintOp, target=self.value, name=name)

    def num_associations(self) -> ParamHandle:
        """``transform.num_associations``: how many payload ops this handle holds (a param)."""
        s = self.schedule
        return s._build_one(transform.NumAssociationsOp, s._param_type(), self.value)

    def apply_cse(self) -> None:
        """``transform.apply_cse``."""
        self.schedule._create(transform.ApplyCommonSubexpressionEliminationOp, self.value)

    def apply_licm(self) -> None:
        """``transform.apply_licm`` (loop-invariant code motion) on loops in the payload."""
        self.schedule._create(transform.ApplyLoopInvariantCodeMotionOp, self.value)

    def apply_dce(self) -> None:
        """``transform.apply_dce``."""
        self.schedule._create(transform.ApplyDeadCodeEliminationOp, self.value)

    def apply_pass(self, pass_name: str, options: Mapping[str, Any] | None = None) -> OpHandle:
        """``transform.apply_registered_pass``: run any registered pass on the payload op."""
        s = self.schedule
        h = s._build_one(
            transform.ApplyRegisteredPassOp, s._any_op(), self.value, pass_name, options=dict(options or {})
        )
        h.parents.extend(self.parents)
        return h


class TransformScheduleOps(ScheduleBase):
    """Schedule methods for core transform ops."""

    def merge(self, *handles: OpHandle, deduplicate: bool = True) -> OpHandle:
        """``transform.merge_handles``: one handle to the payload ops of all."""
        for h in handles:
            check_own(h, self)
        out = self._build_one(transform.MergeHandlesOp, [h.value for h in handles], deduplicate=deduplicate)
        # Merged handles point at the same payload as their parts.
        for h in handles:
            h.parents.append(out)
            out.parents.extend(h.parents)
        return out

    def param(self, value: int) -> ParamHandle:
        """``transform.param.constant``: a constant ``!transform.param<i64>``."""
        attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(64, self.context), value)
        return self._build_one(transform.ParamConstantOp, self._param_type(), attr)

    def define(self, name: str, body: Callable[..., Any], num_args: int = 1) -> None:
        """Define ``transform.named_sequence @name`` from ``body(*arg_handles) -> handles to return``.

        Arguments the body consumes are marked ``{transform.consumed}``, the others
        ``{transform.readonly}``; call it with :meth:`include`. Handles created in
        the body are valid only there.
        """
        where = caller_location()
        if name in self._sequences or name == ENTRY_POINT:
            raise ScheduleError(f"named sequence '{name}' is defined twice", where)
        arg_types = [self._any_op()] * num_args
        with self.context, self._loc(where), ir.InsertionPoint(self._main):
            readonly = {"transform.readonly": ir.UnitAttr.get()}
            seq = transform.NamedSequenceOp(name, arg_types, [], arg_attrs=[readonly] * num_args)
        built = build_body(self, seq.body, body, scope=f"@{name}", where=where, arg_origin=f"@{name} argument")
        with self.context:
            seq.operation.attributes["function_type"] = ir.TypeAttr.get(
                ir.FunctionType.get(arg_types, [h.type for h in built.returned])
            )
            seq.operation.attributes["arg_attrs"] = ir.ArrayAttr.get(
                [
                    ir.DictAttr.get({("transform.consumed" if consumed else "transform.readonly"): ir.UnitAttr.get()})
                    for consumed in built.consumed_args
                ]
            )
        self._sequences[name] = (built.consumed_args, len(built.returned))
        self._verify_new(seq.operation, where)

    def include(self, sequence: str, *args: Handle) -> list[OpHandle]:
        """``transform.include @sequence`` of a sequence made with :meth:`define`; returns its results."""
        where = caller_location()
        if sequence not in self._sequences:
            known = ", ".join(self._sequences) or "none"
            raise ScheduleError(f"no named sequence '{sequence}' (defined: {known})", where)
        consumes, num_results = self._sequences[sequence]
        if len(args) != len(consumes):
            raise ScheduleError(f"@{sequence} takes {len(consumes)} handle(s), got {len(args)}", where)
        for a in args:
            check_own(a, self)
        op = self._create(
            transform.IncludeOp,
            [self._any_op()] * num_results,
            ir.FlatSymbolRefAttr.get(sequence, self.context),
            transform.FailurePropagationMode.Propagate,
            [a.value for a in args],
        )
        for a, consumed in zip(args, consumes, strict=True):
            if consumed and a.valid:
                self._consume(a, f"include @{sequence}", where)
        return self._wrap_results(op)

    def part(
        self,
        name: str,
        body: Callable[[OpHandle], Any],
        *,
        fallback: Callable[[OpHandle], Any] | None = None,
        what: str = "",
        location: SourceLocation | None = None,
    ) -> None:
        """A part of the schedule: ``body(root)`` as ``@name``, included on the root right away.

        The script is the same as with :meth:`define` + :meth:`include`, but the driver knows
        the part (``schedule.parts``): when the default schedule fails, each part is applied on
        its own and a failing one leaves its payload as it was, or applies ``fallback(root)``
        (defined as ``@name_fallback``, never included) instead; the other parts go on. Bodies
        must find their payload ops themselves (e.g. by an attribute), since earlier parts may
        have transformed the payload they were built for.
        """

        def returning_nothing(build: Callable[[OpHandle], Any]) -> Callable[[OpHandle], None]:
            return lambda root: build(root) and None  # a part yields no handles

        self.define(name, returning_nothing(body))
        self.include(name, self.root)
        fallback_name = None
        if fallback is not None:
            fallback_name = f"{name}_fallback"
            self.define(fallback_name, returning_nothing(fallback))
        self.parts.append(SchedulePart(name, what or f"@{name}", location, fallback_name))

    def foreach(self, target: OpHandle, body: Callable[[OpHandle], Any], results: int = 0) -> list[OpHandle]:
        """``transform.foreach``: run ``body(op)`` once per payload op of ``target``.

        ``body`` returns ``results`` handles (or None); each result of the foreach
        concatenates what the iterations returned. Handles made in the body are
        valid only there; ``target`` is consumed if the body consumes its argument.
        """
        where = caller_location()
        check_own(target, self)
        with self.context, self._loc(where), self._ip_stack[-1]:
            op = transform.ForeachOp([self._any_op()] * results, [target.value])
        built = build_body(
            self,
            op.body,
            body,
            scope="transform.foreach",
            where=where,
            arg_origin="transform.foreach argument",
            arg_parents=[target],
            results=results,
            what="foreach: the body",
        )
        self._verify_new(op.operation, where)
        self._after_build(op.operation, where)
        if built.consumed_args[0] and target.valid:
            self._consume(target, "transform.foreach", where)
        return self._wrap_results(op.operation)

    def op(
        self,
        name: str,
        operands: Sequence[Handle | ir.Value] = (),
        results: Sequence[str | ir.Type] = (),
        attributes: Mapping[str, str | ir.Attribute] | None = None,
        *,
        consumes: Sequence[int] | None = None,
    ) -> list[Handle]:
        """Any registered transform op, e.g. one from a tilewright or downstream extension.

        ``results`` are transform types (``"!transform.any_op"``), ``attributes``
        MLIR attribute text. Which operands are consumed is read from the op
        itself (``consumes`` overrides that when given).
        """
        where = caller_location()
        if not self.context.is_registered_operation(name):
            raise ScheduleError(f"'{name}' is not a registered operation (is its extension loaded?)", where)
        values = []
        for o in operands:
            if isinstance(o, Handle):
                check_own(o, self)
                values.append(o.value)
            else:
                values.append(o)
        with self.context, self._loc(where), self._ip_stack[-1]:
            try:
                types = [ir.Type.parse(t) if isinstance(t, str) else t for t in results]
                attrs = {k: (ir.Attribute.parse(v) if isinstance(v, str) else v) for k, v in (attributes or {}).items()}
                op = ir.Operation.create(name, results=types, operands=values, attributes=attrs)
            except (ir.MLIRError, ValueError) as exc:
                raise ScheduleError(f"cannot build '{name}': {exc}", where) from None
        self._verify_new(op, where)
        self._after_build(op, where, consumes)
        return self._wrap_results(op)
