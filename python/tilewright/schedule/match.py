"""Matching payload ops: ``transform.structured.match``, and matcher sequences of
``transform.match.structured`` predicates run by ``transform.collect_matching``.

The predicates of the structured extension's match ops
(``transform.match.structured.rank``, ``.dim``, ...) have no generated Python
builders in the pinned bindings; :func:`_match_structured_op` is the one place
that builds them generically, with typed attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlir import ir
from mlir.dialects import transform
from mlir.dialects.transform import structured as tstruct

from tilewright.diagnostics import SourceLocation
from tilewright.schedule.handles import Handle, ScheduleBase, ScheduleError, caller_location, check_own

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle

INTERFACES = ("LinalgOp", "TilingInterface", "LoopLikeInterface")


class MatchOps(Handle):
    """Op-handle methods for matching inside a handle's payload."""

    def match(self, ops: str | Sequence[str] | None = None, **kwargs: Any) -> OpHandle:
        """Match ops nested in this handle's payload (see :meth:`MatchScheduleOps.match`)."""
        return self.schedule.match(ops, within=self, **kwargs)  # type: ignore[arg-type]


class MatchScheduleOps(ScheduleBase):
    """Schedule methods for matching payload ops."""

    def match(
        self,
        ops: str | Sequence[str] | None = None,
        *,
        interface: str | None = None,
        attrs: Mapping[str, str] | None = None,
        result_type: str | None = None,
        operand_types: Sequence[str] | None = None,
        within: OpHandle | None = None,
        iterator_types: Sequence[str] | None = None,
        contraction: Sequence[str] | bool | None = None,
        elementwise: bool = False,
        num_inputs: int | None = None,
        rank: int | None = None,
    ) -> OpHandle:
        """Payload ops nested in ``within`` (default: the current root) that satisfy every criterion.

        By name/interface/attributes/types this is ``transform.structured.match``
        (``interface`` is ``"LinalgOp"``, ``"TilingInterface"`` or ``"LoopLikeInterface"``).
        Structural criteria build a matcher named sequence of
        ``transform.match.structured`` predicates used by ``transform.collect_matching``:
        ``iterator_types`` (e.g. ``["parallel", "parallel", "reduction"]``, which
        also fixes the rank), ``contraction`` (``True`` = mul/add body, or the two op
        names, e.g. ``["arith.mulf", "arith.addf"]``), ``elementwise``,
        ``num_inputs``, ``rank``.
        """
        target = within or self.root
        check_own(target, self)
        names = [ops] if isinstance(ops, str) else (list(ops) if ops is not None else None)
        structural = (
            iterator_types is not None or contraction or elementwise or num_inputs is not None or rank is not None
        )
        if structural:
            where = caller_location()
            rank = _checked_rank(iterator_types, rank, where)
            matcher = self._matcher(names, iterator_types, contraction, elementwise, num_inputs, rank, where)
            h = self._build_one(transform.CollectMatchingOp, [self._any_op()], target.value, matcher)
        else:
            h = self._build_one(
                tstruct.MatchOp,
                self._any_op(),
                target.value,
                **self._match_filters(names, interface, attrs, result_type, operand_types),
            )
        h.parents.append(target)
        return h

    def _match_filters(
        self,
        names: list[str] | None,
        interface: str | None,
        attrs: Mapping[str, str] | None,
        result_type: str | None,
        operand_types: Sequence[str] | None,
    ) -> dict[str, Any]:
        """The keyword arguments of ``structured.MatchOp`` for the given criteria."""
        if names is None and interface is None and attrs is None and result_type is None and not operand_types:
            raise ScheduleError("match: give ops=, interface=, attrs= or a structural criterion", caller_location())
        ctx = self.context
        kwargs: dict[str, Any] = {}
        if names is not None:
            kwargs["ops"] = ir.ArrayAttr.get([ir.StringAttr.get(n, ctx) for n in names], ctx)
        if interface is not None:
            if interface not in INTERFACES:
                raise ScheduleError(f"match: interface must be one of {', '.join(INTERFACES)}", caller_location())
            kwargs["interface"] = tstruct.MatchInterfaceEnum[interface]
        if attrs is not None:
            kwargs["op_attrs"] = ir.DictAttr.get({k: self._attr(v) for k, v in attrs.items()}, ctx)
        if result_type is not None:
            kwargs["filter_result_type"] = ir.TypeAttr.get(ir.Type.parse(result_type, ctx), ctx)
        if operand_types:
            kwargs["filter_operand_types"] = ir.ArrayAttr.get(
                [ir.TypeAttr.get(ir.Type.parse(t, ctx), ctx) for t in operand_types], ctx
            )
        return kwargs

    def _matcher(
        self,
        names: list[str] | None,
        iterator_types: Sequence[str] | None,
        contraction: Sequence[str] | bool | None,
        elementwise: bool,
        num_inputs: int | None,
        rank: int | None,
        where: SourceLocation,
    ) -> ir.FlatSymbolRefAttr:
        """A matcher ``transform.named_sequence`` (before the entry) for ``collect_matching``; its symbol."""
        self._matchers += 1
        name = f"__match_{self._matchers}"
        any_op = self._any_op()
        with self.context, self._loc(where):
            readonly = {"transform.readonly": ir.UnitAttr.get()}
            with ir.InsertionPoint(self._main):
                matcher = transform.NamedSequenceOp(name, [any_op], [any_op], arg_attrs=[readonly])
            with ir.InsertionPoint(matcher.body):
                arg = matcher.body.arguments[0]
                if names:
                    transform.MatchOperationNameOp(arg, ir.ArrayAttr.get([ir.StringAttr.get(n) for n in names]))
                structured = _match_structured_op("", [arg], [any_op], regions=1)
                block = structured.regions[0].blocks.append(any_op)
                with ir.InsertionPoint(block):
                    self._structured_predicates(
                        block.arguments[0], iterator_types, contraction, elementwise, num_inputs, rank
                    )
                    _match_structured_op("yield", [block.arguments[0]])
                transform.YieldOp([structured.result])
        return ir.FlatSymbolRefAttr.get(name, self.context)

    def _structured_predicates(
        self,
        op: ir.Value,
        iterator_types: Sequence[str] | None,
        contraction: Sequence[str] | bool | None,
        elementwise: bool,
        num_inputs: int | None,
        rank: int | None,
    ) -> None:
        """The predicates inside ``transform.match.structured`` (in its block, in context)."""
        if rank is not None:
            self._param_equals(_match_structured_op("rank", [op], [self._param_type()]).result, rank)
        for kind in ("parallel", "reduction"):
            dims = [i for i, t in enumerate(iterator_types or []) if t == kind]
            if dims:
                _match_structured_op(
                    "dim", [op], raw_dim_list=ir.DenseI64ArrayAttr.get(dims), **{kind: ir.UnitAttr.get()}
                )
        if num_inputs is not None:
            self._param_equals(_match_structured_op("num_inputs", [op], [self._param_type()]).result, num_inputs)
        body: dict[str, ir.Attribute] = {}
        if contraction:
            pair = ["arith.mulf", "arith.addf"] if contraction is True else list(contraction)
            body["contraction"] = ir.ArrayAttr.get([ir.StringAttr.get(p) for p in pair])
        if elementwise:
            body["elementwise"] = ir.UnitAttr.get()
        if body:
            _match_structured_op("body", [op], **body)

    def _param_equals(self, param: ir.Value, value: int) -> None:
        """``transform.match.param.cmpi eq``: the matcher fails unless ``param == value``."""
        const = transform.ParamConstantOp(
            self._param_type(), ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)
        )
        transform.MatchParamCmpIOp(param, const.result, transform.MatchCmpIPredicate.eq)


def _checked_rank(iterator_types: Sequence[str] | None, rank: int | None, where: SourceLocation) -> int | None:
    """The rank the structural criteria fix (iterator types give one), checked for contradictions."""
    if iterator_types is None:
        return rank
    bad = [t for t in iterator_types if t not in ("parallel", "reduction")]
    if bad:
        raise ScheduleError(f"match: iterator types are 'parallel' or 'reduction', not {bad}", where)
    if rank is not None and rank != len(iterator_types):
        raise ScheduleError("match: rank= contradicts the number of iterator_types", where)
    return len(iterator_types)


def _match_structured_op(
    suffix: str,
    operands: Sequence[ir.Value],
    results: Sequence[ir.Type] = (),
    *,
    regions: int = 0,
    **attributes: ir.Attribute,
) -> ir.Operation:
    """``transform.match.structured[.suffix]`` (no generated builder in the pinned bindings)."""
    name = "transform.match.structured" + (f".{suffix}" if suffix else "")
    return ir.Operation.create(
        name, results=list(results), operands=list(operands), attributes=attributes, regions=regions
    )
