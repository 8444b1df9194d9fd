"""The bufferization transform extension, ``mlir.dialects.transform.bufferization``:
one-shot bufferization and empty-tensor elimination.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlir.dialects.transform import bufferization as tbuf

from tilewright.schedule.handles import Handle, ScheduleBase, ScheduleError, caller_location, check_own

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


class BufferizationOps(Handle):
    """Op-handle methods for ``transform.bufferization.*`` ops."""

    def one_shot_bufferize(self, **options: Any) -> OpHandle:
        """See :meth:`BufferizationScheduleOps.bufferize` (this handle as the target)."""
        return self.schedule.bufferize(target=self, **options)  # type: ignore[arg-type]

    def eliminate_empty_tensors(self) -> None:
        """``transform.bufferization.eliminate_empty_tensors``: write into the final destination instead."""
        self.schedule._create(tbuf.EliminateEmptyTensorsOp, self.value)


class BufferizationScheduleOps(ScheduleBase):
    """Schedule methods for bufferization."""

    def bufferize(
        self,
        target: OpHandle | None = None,
        *,
        bufferize_function_boundaries: bool = True,
        function_boundary_type_conversion: str = "IdentityLayoutMap",
        allow_return_allocs_from_loops: bool = False,
        allow_unknown_ops: bool = False,
    ) -> OpHandle:
        """``transform.bufferization.one_shot_bufferize`` of the root (default) or ``target``.

        Every existing handle into the payload becomes invalid; the returned handle
        becomes the schedule's root, so later :meth:`match` calls match on the
        bufferized IR.
        """
        target = target or self.root
        check_own(target, self)
        was_root = target is self.root
        kwargs: dict[str, Any] = {"bufferize_function_boundaries": bufferize_function_boundaries or None}
        if function_boundary_type_conversion:
            from mlir.dialects.bufferization import LayoutMapOption

            if function_boundary_type_conversion not in LayoutMapOption.__members__:
                raise ScheduleError(
                    f"bufferize: function_boundary_type_conversion is one of {', '.join(LayoutMapOption.__members__)}",
                    caller_location(),
                )
            kwargs["function_boundary_type_conversion"] = LayoutMapOption[function_boundary_type_conversion]
        if allow_return_allocs_from_loops:
            kwargs["allow_return_allocs_from_loops"] = True
        if allow_unknown_ops:
            kwargs["allow_unknown_ops"] = True
        h = self._build_one(tbuf.OneShotBufferizeOp, self._any_op(), target.value, **kwargs)
        for other in self._handles:  # bufferization rewrites every tensor op
            if other.valid and other is not h:
                other.consumed_by = (h.origin, h.location)
        if was_root:
            self.root = h
        return h
