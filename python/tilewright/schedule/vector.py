"""Vectorization and pattern application: ``transform.structured.vectorize*``, the
vector hoistings, and ``transform.apply_patterns`` with the pattern-set ops of the
vector, tensor, linalg and scf extensions (named in :mod:`tilewright.schedule.patterns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlir import ir
from mlir.dialects import transform
from mlir.dialects.transform import structured as tstruct

from tilewright.schedule.handles import (
    Handle,
    ParamHandle,
    ScheduleBase,
    ScheduleError,
    caller_location,
    check_own,
    mixed,
)
from tilewright.schedule.patterns import Pattern, as_pattern

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle

PatternSets = Pattern | str | Sequence[Pattern | str]


class VectorOps(Handle):
    """Op-handle methods for vectorization and pattern application."""

    def vectorize(
        self, vector_sizes: Sequence[int | ParamHandle] | None = None, *, vectorize_nd_extract: bool = False
    ) -> None:
        """``transform.structured.vectorize``; with ``vector_sizes`` the op is masked (any shape).

        Consumes the handle and returns nothing (upstream returns no handle).
        """
        s = self.schedule
        kwargs: dict[str, Any] = {}
        if vector_sizes is not None:
            kwargs["vector_sizes"] = mixed(vector_sizes, s)
        if vectorize_nd_extract:
            kwargs["vectorize_nd_extract"] = True
        s._create(tstruct.VectorizeOp, self.value, **kwargs)

    def vectorize_children_and_apply_patterns(
        self,
        *,
        vectorize_padding: bool = False,
        vectorize_nd_extract: bool = False,
        disable_multi_reduction_to_contract_patterns: bool = False,
        disable_transfer_permutation_map_lowering_patterns: bool = False,
        flatten_1d_depthwise_conv: bool = False,
        fold_type_extensions_into_contract: bool = False,
    ) -> OpHandle:
        """``transform.structured.vectorize_children_and_apply_patterns`` on an isolated op (a func)."""
        h = self.schedule._build_one(
            tstruct.VectorizeChildrenAndApplyPatternsOp,
            self.value,
            vectorize_padding=vectorize_padding,
            vectorize_nd_extract=vectorize_nd_extract,
            disable_multi_reduction_to_contract_patterns=disable_multi_reduction_to_contract_patterns,
            disable_transfer_permutation_map_lowering_patterns=disable_transfer_permutation_map_lowering_patterns,
            flatten_1d_depthwise_conv=flatten_1d_depthwise_conv,
            fold_type_extensions_into_contract=fold_type_extensions_into_contract,
        )
        h.parents.extend(self.parents)
        return h

    def hoist_redundant_vector_transfers(self, *, verify_non_zero_trip: bool = False) -> OpHandle:
        """``transform.structured.hoist_redundant_vector_transfers`` (on a func, after vectorization)."""
        s = self.schedule
        h = s._build_one(
            tstruct.HoistRedundantVectorTransfersOp,
            s._any_op(),
            self.value,
            verify_non_zero_trip=verify_non_zero_trip or None,
        )
        h.parents.extend(self.parents)
        return h

    def hoist_redundant_vector_broadcasts(self) -> OpHandle:
        """``transform.structured.hoist_redundant_vector_broadcasts``."""
        s = self.schedule
        h = s._build_one(tstruct.HoistRedundantVectorBroadcastsOp, s._any_op(), self.value)
        h.parents.extend(self.parents)
        return h

    def apply_patterns(self, *patterns: PatternSets, apply_cse: bool = False) -> None:
        """``transform.apply_patterns`` with the given pattern sets (see :mod:`tilewright.schedule.patterns`)."""
        self.schedule.apply_patterns(self, *patterns, apply_cse=apply_cse)  # type: ignore[arg-type]

    def canonicalize(self, *, apply_cse: bool = True) -> None:
        """``apply_patterns { canonicalization }`` (+ CSE) on this handle's payload."""
        self.schedule.apply_patterns(self, "canonicalization", apply_cse=apply_cse)  # type: ignore[arg-type]


class VectorScheduleOps(ScheduleBase):
    """Schedule methods for pattern application."""

    def apply_patterns(self, target: OpHandle, *patterns: PatternSets, apply_cse: bool = False) -> None:
        """``transform.apply_patterns to %target { <pattern set ops> }``."""
        check_own(target, self)
        flat: list[Pattern] = []
        for p in patterns:
            if isinstance(p, Pattern | str):
                flat.append(as_pattern(p))
            else:
                flat.extend(as_pattern(q) for q in p)
        if not flat:
            raise ScheduleError("apply_patterns: no pattern sets given", caller_location())
        where = caller_location()
        for p in flat:
            if not self.context.is_registered_operation(p.op_name):
                raise ScheduleError(f"unknown pattern set '{p.op_name}'", where)
        op = self._create(transform.ApplyPatternsOp, target.value, apply_cse=apply_cse)
        with self.context, self._loc(where):
            ip = ir.InsertionPoint(op.regions[0].blocks[0])
            for p in flat:
                try:
                    pattern_op = ir.Operation.parse(f"{p.op_name} {p.args}".strip(), source_name=where.filename)
                except ir.MLIRError as exc:
                    # The verifier's error, not the note that follows it.
                    errors = exc.error_diagnostics
                    message = errors[0].message if errors else str(exc).splitlines()[-1].strip()
                    raise ScheduleError(f"pattern set '{p.name}': {message}", where) from None
                pattern_op.location = self._loc(where)
                ip.insert(pattern_op)
