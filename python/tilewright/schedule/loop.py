"""The loop transform extension, ``mlir.dialects.transform.loop``: peeling, unrolling,
hoisting and conversions of ``scf`` loops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlir.dialects.transform import loop as tloop

from tilewright.schedule.handles import Handle

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


class LoopOps(Handle):
    """Op-handle methods for ``transform.loop.*`` ops."""

    def peel(self, *, peel_front: bool = False, fail_if_already_divisible: bool = False) -> tuple[OpHandle, OpHandle]:
        """``transform.loop.peel`` an ``scf.for``: (main loop with full steps, remainder loop)."""
        s = self.schedule
        any_op = s._any_op()
        target = s._cast(self, "scf.for")
        main, rest = s._build(
            tloop.LoopPeelOp,
            any_op,
            any_op,
            target.value,
            peel_front=peel_front,
            fail_if_already_divisible=fail_if_already_divisible,
            result_parents=self.parents,
        )
        return main, rest

    def unroll(self, factor: int) -> None:
        """``transform.loop.unroll`` by ``factor`` (consumes the loop handle)."""
        self.schedule._create(tloop.LoopUnrollOp, self.value, factor=factor)

    def unroll_and_jam(self, factor: int) -> None:
        """``transform.loop.unroll_and_jam`` by ``factor``."""
        self.schedule._create(tloop.LoopUnrollAndJamOp, self.value, factor)

    def promote_if_one_iteration(self) -> None:
        """``transform.loop.promote_if_one_iteration``."""
        self.schedule._create(tloop.LoopPromoteIfOneIterationOp, self.value)

    def hoist_loop_invariant_subsets(self) -> None:
        """``transform.loop.hoist_loop_invariant_subsets``: hoist extract/insert pairs out of loops."""
        self.schedule._create(tloop.HoistLoopInvariantSubsetsOp, self.value)

    def forall_to_for(self, num_loops: int = 1) -> list[OpHandle]:
        """``transform.loop.forall_to_for``: one ``scf.for`` per ``scf.forall`` dimension."""
        s = self.schedule
        return s._build(tloop.ForallToForOp, [s._any_op()] * num_loops, self.value)

    def forall_to_parallel(self) -> OpHandle:
        """``transform.loop.forall_to_parallel``: ``scf.forall`` -> ``scf.parallel``."""
        s = self.schedule
        return s._build_one(tloop.ForallToParallelOp, [s._any_op()], self.value)

    def coalesce(self) -> OpHandle:
        """``transform.loop.coalesce`` a perfect loop nest into one loop."""
        s = self.schedule
        return s._build_one(tloop.LoopCoalesceOp, s._any_op(), self.value)
