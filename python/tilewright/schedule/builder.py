"""The Python schedule API: transform-dialect scripts built op by op from Python.

A :class:`Schedule` owns a module ``{transform.with_named_sequence}`` with one
``transform.named_sequence @__transform_main(%root)``; every builder method
appends one upstream transform op to it (built with the ``mlir`` package's
transform builders) and returns Python handles wrapping the op's results. The
printed script therefore runs unchanged in ``mlir-opt --transform-interpreter``.

Each op gets the location of the Python line that asked for it, so a transform
that fails on the payload is reported at the user's ``.py`` line.

Handles follow the transform dialect's ownership rules: an op that *consumes*
a handle (tiling, fusion, vectorization, bufferization, ...) invalidates it and
every handle known to point inside its payload; using such a handle raises
:class:`HandleError` at build time instead of producing a script that the
interpreter rejects (or, in builds with assertions, aborts on). Which operands
an op consumes is not hard-coded: it is read from the op's own memory effects
(see :mod:`tilewright.schedule.consumption`).
"""

from __future__ import annotations

import inspect
import operator
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from mlir import ir
from mlir.dialects import transform
from mlir.dialects.transform import bufferization as tbuf
from mlir.dialects.transform import loop as tloop
from mlir.dialects.transform import structured as tstruct
from mlir.dialects.transform import tune as ttune

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.schedule.consumption import consumed_operands
from tilewright.schedule.patterns import Pattern, as_pattern

ENTRY_POINT = "__transform_main"
_THIS_DIR = os.path.dirname(os.path.abspath(__file__))
# Frames in these files are the API itself; locations point at the first frame outside them.
_API_FILES = {os.path.join(_THIS_DIR, name) for name in ("builder.py", "consumption.py", "patterns.py")}
# Code of extension methods (see extensions.py): also API, so locations skip it.
_API_CODES: set[Any] = set()


class ScheduleError(TilewrightError):
    """A schedule built wrongly from Python (bad arguments, unknown knob, ...), located at the call."""


class HandleError(ScheduleError):
    """Use of a handle that a previous transform consumed (or that belongs to another schedule)."""


def _caller_location() -> SourceLocation:
    """The first stack frame outside the schedule API: the user's line."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            filename = os.path.abspath(frame.f_code.co_filename)
            if filename not in _API_FILES and frame.f_code not in _API_CODES:
                col = 1
                positions = inspect.getframeinfo(frame, context=0).positions
                if positions is not None and positions.col_offset is not None:
                    col = positions.col_offset + 1
                return SourceLocation(frame.f_code.co_filename, frame.f_lineno, col)
            frame = frame.f_back
    finally:
        del frame
    return SourceLocation("<schedule>")


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
                _caller_location(),
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
        return self.schedule._build_one(
            transform.GetDefiningOp, transform.AnyOpType.get(), self.value, result_parents=[self]
        )


class OpHandle(Handle):
    """A ``!transform.any_op`` handle: a list of payload operations."""

    kind = "op"

    # -- navigation -----------------------------------------------------------------------

    def match(self, ops: str | Sequence[str] | None = None, **kwargs: Any) -> OpHandle:
        """Match ops nested in this handle's payload (see :meth:`Schedule.match`)."""
        return self.schedule.match(ops, within=self, **kwargs)

    def parent(self, op_name: str | None = None, *, nth: int = 1, isolated_from_above: bool = False) -> OpHandle:
        """``transform.get_parent_op``: the closest (``nth``) enclosing op, optionally of a given name."""
        s = self.schedule
        h = s._build_one(
            transform.GetParentOp,
            transform.AnyOpType.get(),
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
        types = [transform.AnyOpType.get()] * (count + (1 if overflow else 0))
        hs = self.schedule._build(
            transform.SplitHandleOp,
            types,
            self.value,
            overflow_result=count if overflow else None,
            result_parents=[self],
        )
        return hs  # type: ignore[return-value]

    def result(self, index: int = 0) -> ValueHandle:
        """``transform.get_result``: the payload op's ``index``-th result."""
        any_value = ir.Type.parse("!transform.any_value")
        return self.schedule._build_one(
            transform.GetResultOp, any_value, self.value, raw_position_list=[index], result_cls=ValueHandle
        )

    def operand(self, index: int = 0) -> ValueHandle:
        """``transform.get_operand``: the payload op's ``index``-th operand."""
        any_value = ir.Type.parse("!transform.any_value")
        return self.schedule._build_one(
            transform.GetOperandOp, any_value, self.value, raw_position_list=[index], result_cls=ValueHandle
        )

    def producer_of_operand(self, index: int) -> OpHandle:
        """``transform.get_producer_of_operand``."""
        return self.schedule._build_one(
            transform.GetProducerOfOperand, transform.AnyOpType.get(), self.value, operand_number=index
        )

    def cast(self, op_name: str) -> OpHandle:
        """``transform.cast`` to ``!transform.op<"op_name">`` (checked when the schedule runs)."""
        return self.schedule._cast(self, ir.Type.parse(f'!transform.op<"{op_name}">'))

    def __add__(self, other: OpHandle) -> OpHandle:
        return self.schedule.merge(self, other)

    # -- tiling ---------------------------------------------------------------------------

    def tile(
        self, sizes: Sequence[int | ParamHandle], *, interchange: Sequence[int] | None = None
    ) -> tuple[OpHandle, list[OpHandle]]:
        """``transform.structured.tile_using_for``: (tiled op, loops outermost first); size 0 = not tiled."""
        s = self.schedule
        static = _mixed(sizes, s)
        op = s._create(
            tstruct.TileUsingForOp,
            self.value,
            sizes=static,
            interchange=list(interchange) if interchange else None,
        )
        tiled, *loops = s._wrap_results(op, OpHandle)
        _nest(loops, tiled)
        return tiled, loops

    def tile_forall(
        self,
        *,
        num_threads: Sequence[int | ParamHandle] | None = None,
        tile_sizes: Sequence[int | ParamHandle] | None = None,
        mapping: str | None = None,
    ) -> tuple[OpHandle, OpHandle]:
        """``transform.structured.tile_using_forall``: (tiled op, the ``scf.forall``)."""
        if (num_threads is None) == (tile_sizes is None):
            raise ScheduleError("tile_forall: give exactly one of num_threads= or tile_sizes=", _caller_location())
        s = self.schedule
        kwargs: dict[str, Any] = {}
        if num_threads is not None:
            kwargs["num_threads"] = _mixed(num_threads, s)
        else:
            kwargs["tile_sizes"] = _mixed(tile_sizes or [], s)
        if mapping is not None:
            kwargs["mapping"] = ir.Attribute.parse(mapping)
        op = s._create(tstruct.TileUsingForallOp, self.value, **kwargs)
        tiled, forall = s._wrap_results(op, OpHandle)
        _nest([forall], tiled)
        return tiled, forall

    def tile_reduction(self, sizes: Sequence[int]) -> tuple[OpHandle, OpHandle, OpHandle, OpHandle]:
        """``transform.structured.tile_reduction_using_for``: (fill, split op, combining op, loop)."""
        s = self.schedule
        op = s._create(
            tstruct.TileReductionUsingForOp,
            [transform.AnyOpType.get()],
            transform.AnyOpType.get(),
            transform.AnyOpType.get(),
            transform.AnyOpType.get(),
            self.value,
            tile_sizes=list(sizes),
        )
        fill, split, combine, loop = s._wrap_results(op, OpHandle)
        _nest([loop], split)
        return fill, split, combine, loop

    def split_reduction(
        self, split_factor: int, insert_split_dimension: int, *, inner_parallel: bool = False
    ) -> tuple[OpHandle, OpHandle, OpHandle, OpHandle]:
        """``transform.structured.split_reduction``: (init or alloc, fill, split op, combining op)."""
        s = self.schedule
        any_op = transform.AnyOpType.get()
        op = s._create(
            tstruct.SplitReductionOp,
            any_op,
            any_op,
            any_op,
            any_op,
            self.value,
            split_factor=split_factor,
            insert_split_dimension=insert_split_dimension,
            inner_parallel=inner_parallel or None,
        )
        return tuple(s._wrap_results(op, OpHandle))  # type: ignore[return-value]

    # -- fusion ---------------------------------------------------------------------------

    def fuse_into(self, containing: OpHandle) -> tuple[OpHandle, OpHandle]:
        """``transform.structured.fuse_into_containing_op``: fuse this producer into a loop.

        Returns (fused op, new containing-loop handle); the old loop handle is consumed.
        """
        s = self.schedule
        any_op = transform.AnyOpType.get()
        op = s._create(tstruct.FuseIntoContainingOp, any_op, any_op, self.value, containing.value)
        fused, new_loop = s._wrap_results(op, OpHandle)
        fused.parents.append(new_loop)
        new_loop.parents.extend(containing.parents)
        return fused, new_loop

    def fuse(
        self,
        tile_sizes: Sequence[int | ParamHandle],
        *,
        interchange: Sequence[int] | None = None,
        use_forall: bool = False,
        apply_cleanup: bool = True,
    ) -> tuple[OpHandle, list[OpHandle]]:
        """``transform.structured.fuse``: tile this (consumer) op and greedily fuse its producers.

        This is upstream's tile-and-fuse driver: producers of the tiled operands are
        pulled into the loops. Returns (tiled op, loops outermost first).
        """
        s = self.schedule
        op = s._create(
            tstruct.FuseOp,
            self.value,
            tile_sizes=_mixed(tile_sizes, s),
            tile_interchange=list(interchange) if interchange else None,
            apply_cleanup=apply_cleanup,
            use_forall=use_forall,
        )
        tiled, *loops = s._wrap_results(op, OpHandle)
        _nest(loops, tiled)
        return tiled, loops

    # -- padding, packing, layout ---------------------------------------------------------

    def pad(
        self,
        *,
        padding_dimensions: Sequence[int] | None = None,
        pad_to_multiple_of: Sequence[int | ParamHandle] | None = None,
        padding_values: Sequence[str] | None = None,
        nofold: Sequence[bool] | bool | None = None,
        copy_back_op: str | None = None,
    ) -> tuple[OpHandle, OpHandle, OpHandle]:
        """``transform.structured.pad``: (padded op, the ``tensor.pad`` ops, the copy-back op).

        ``padding_values`` are MLIR attributes per operand (default: zero of each
        operand's element type, computed by the payload-independent ``0 : T`` rule
        upstream uses). ``nofold`` keeps pads of already-aligned operands (packing).
        """
        s = self.schedule
        kwargs: dict[str, Any] = {}
        if padding_dimensions is not None:
            kwargs["padding_dimensions"] = list(padding_dimensions)
        if pad_to_multiple_of is not None:
            kwargs["pad_to_multiple_of"] = _mixed(pad_to_multiple_of, s)
        if padding_values is not None:
            kwargs["padding_values"] = ir.ArrayAttr.get([ir.Attribute.parse(v) for v in padding_values])
        if nofold is not None:
            if isinstance(nofold, bool):
                raise ScheduleError("pad: nofold= is one bool per operand", _caller_location())
            kwargs["nofold_flags"] = [int(b) for b in nofold]
        if copy_back_op is not None:
            kwargs["copy_back_op"] = copy_back_op
        op = s._create(tstruct.PadOp, self.value, **kwargs)
        padded, pad, copy = s._wrap_results(op, OpHandle)
        return padded, pad, copy

    def pack(self, packed_sizes: Sequence[int | ParamHandle]) -> OpHandle:
        """``transform.structured.pack``: pack every iterator dimension by the given size (0 = not)."""
        s = self.schedule
        dynamic, static = _split_mixed(packed_sizes, s)
        return s._build_one(tstruct.PackOp, transform.AnyOpType.get(), self.value, dynamic, static_packed_sizes=static)

    def pack_greedily(
        self,
        matmul_packed_sizes: Sequence[int | ParamHandle],
        *,
        matmul_padded_sizes_next_multiple_of: Sequence[int] | None = None,
        matmul_inner_dims_order: Sequence[int] = (0, 1, 2),
    ) -> OpHandle:
        """``transform.structured.pack_greedily``: pack the (m, n, k) dims of any contraction."""
        s = self.schedule
        dynamic, static = _split_mixed(matmul_packed_sizes, s)
        return s._build_one(
            tstruct.PackGreedilyOp,
            transform.AnyOpType.get(),
            self.value,
            dynamic,
            static_matmul_packed_sizes=static,
            matmul_padded_sizes_next_multiple_of=list(matmul_padded_sizes_next_multiple_of or []) or None,
            matmul_inner_dims_order=list(matmul_inner_dims_order),
        )

    def pack_transpose(
        self, linalg_op: OpHandle, *, outer_perm: Sequence[int] | None = None, inner_perm: Sequence[int] | None = None
    ) -> tuple[OpHandle, OpHandle, OpHandle]:
        """``transform.structured.pack_transpose`` on this ``linalg.pack``/``unpack`` and its consumer/producer.

        Returns (transposed linalg op, new pack op, new unpack op).
        """
        s = self.schedule
        any_op = transform.AnyOpType.get()
        op = s._create(
            tstruct.PackTransposeOp,
            any_op,
            any_op,
            any_op,
            self.value,
            linalg_op.value,
            outer_perm=list(outer_perm) if outer_perm else None,
            inner_perm=list(inner_perm) if inner_perm else None,
        )
        return tuple(s._wrap_results(op, OpHandle))  # type: ignore[return-value]

    def lower_pack(self, *, lower_pad_like_with_insert_slice: bool = True) -> tuple[OpHandle, OpHandle, OpHandle]:
        """``transform.structured.lower_pack``: (pad, expand_shape, transpose)."""
        s = self.schedule
        pack_t = ir.Type.parse('!transform.op<"linalg.pack">')
        target = s._cast(self, pack_t)
        op = s._create(
            tstruct.LowerPackOp,
            ir.Type.parse('!transform.op<"tensor.pad">'),
            ir.Type.parse('!transform.op<"tensor.expand_shape">'),
            ir.Type.parse('!transform.op<"linalg.transpose">'),
            target.value,
            lowerPadLikeWithInsertSlice=lower_pad_like_with_insert_slice,
        )
        return tuple(s._wrap_results(op, OpHandle))  # type: ignore[return-value]

    def lower_unpack(self, *, lower_unpad_like_with_extract_slice: bool = True) -> tuple[OpHandle, ...]:
        """``transform.structured.lower_unpack``: (empty, transpose, collapse_shape, extract_slice)."""
        s = self.schedule
        target = s._cast(self, ir.Type.parse('!transform.op<"linalg.unpack">'))
        op = s._create(
            tstruct.LowerUnPackOp,
            ir.Type.parse('!transform.op<"tensor.empty">'),
            ir.Type.parse('!transform.op<"linalg.transpose">'),
            ir.Type.parse('!transform.op<"tensor.collapse_shape">'),
            ir.Type.parse('!transform.op<"tensor.extract_slice">'),
            target.value,
            lowerUnpadLikeWithExtractSlice=lower_unpad_like_with_extract_slice,
        )
        return tuple(s._wrap_results(op, OpHandle))

    def interchange(self, permutation: Sequence[int]) -> OpHandle:
        """``transform.structured.interchange`` of a ``linalg.generic``'s iterators."""
        return self.schedule._build_one(tstruct.InterchangeOp, self.value, iterator_interchange=list(permutation))

    def generalize(self) -> OpHandle:
        """``transform.structured.generalize``: named op -> ``linalg.generic``."""
        return self.schedule._build_one(tstruct.GeneralizeOp, self.value)

    def specialize(self) -> OpHandle:
        """``transform.structured.specialize``: ``linalg.generic`` -> named op where recognized."""
        return self.schedule._build_one(tstruct.SpecializeOp, transform.AnyOpType.get(), self.value)

    def decompose(self) -> OpHandle:
        """``transform.structured.decompose``: e.g. 2-D convolutions with a unit dim -> 1-D."""
        return self.schedule._build_one(tstruct.DecomposeOp, self.value)

    def decompose_interface(self) -> OpHandle:
        """``transform.structured.decompose_interface`` (e.g. ``linalg.softmax`` -> generics)."""
        return self.schedule._build_one(tstruct.DecomposeInterfaceOp, transform.AnyOpType.get(), self.value)

    def convert_to_loops(self) -> OpHandle:
        """``transform.structured.convert_to_loops``: the op as ``scf.for`` loops."""
        return self.schedule._build_one(tstruct.ConvertToLoopsOp, transform.AnyOpType.get(), self.value)

    def transpose_matmul(self, input_to_transpose: str = "lhs") -> OpHandle:
        """``transform.structured.transpose_matmul``: matmul -> matmul with one operand transposed."""
        if input_to_transpose not in ("lhs", "rhs"):
            raise ScheduleError("transpose_matmul: input_to_transpose is 'lhs' or 'rhs'", _caller_location())
        return self.schedule._build_one(
            tstruct.TransposeMatmulOp,
            transform.AnyOpType.get(),
            self.value,
            inputToTranspose=ir.IntegerAttr.get(
                ir.IntegerType.get_signless(32), ("lhs", "rhs").index(input_to_transpose)
            ),  # the TransposeMatmulInput enum: lhs = 0, rhs = 1
        )

    def img2col(self) -> tuple[OpHandle, OpHandle]:
        """``transform.structured.convert_conv2d_to_img2col``: (im2col tensor op, the matmul-like op)."""
        s = self.schedule
        any_op = transform.AnyOpType.get()
        op = s._create(tstruct.ConvertConv2DToImg2ColOp, any_op, any_op, self.value)
        img2col, transformed = s._wrap_results(op, OpHandle)
        return img2col, transformed

    def flatten_elementwise(self) -> OpHandle:
        """``transform.structured.flatten_elementwise``: an elementwise op over one flat dimension."""
        return self.schedule._build_one(tstruct.FlattenElementwiseLinalgOp, transform.AnyOpType.get(), self.value)

    def scalarize(self) -> OpHandle:
        """``transform.structured.scalarize``: tile the dynamic dims of the op by 1."""
        return self.schedule._build_one(tstruct.ScalarizeOp, self.value)

    def hoist_pad(self, num_loops: int, *, transpose: Sequence[int] | None = None) -> OpHandle:
        """``transform.structured.hoist_pad`` of this ``tensor.pad`` out of ``num_loops`` enclosing loops.

        The padded data is packed once into a buffer indexed by the hoisted loops (operand packing).
        """
        return self.schedule._build_one(
            tstruct.HoistPadOp,
            transform.AnyOpType.get(),
            self.value,
            num_loops,
            transpose=list(transpose) if transpose else None,
        )

    def bufferize_to_allocation(self, *, memory_space: int | None = None, alloc_op: str | None = None) -> OpHandle:
        """``transform.structured.bufferize_to_allocation``: this op's result into a new buffer.

        Returns the handle to the new allocation.
        """
        s = self.schedule
        op = s._create(tstruct.BufferizeToAllocationOp, self.value, memory_space=memory_space, alloc_op=alloc_op)
        return s._wrap_results(op, OpHandle)[0]

    def eliminate_empty_tensors(self) -> None:
        """``transform.bufferization.eliminate_empty_tensors``: write into the final destination instead."""
        self.schedule._create(tbuf.EliminateEmptyTensorsOp, self.value)

    # -- vectorization --------------------------------------------------------------------

    def vectorize(
        self, vector_sizes: Sequence[int | ParamHandle] | None = None, *, vectorize_nd_extract: bool = False
    ) -> None:
        """``transform.structured.vectorize``; with ``vector_sizes`` the op is masked (any shape).

        Consumes the handle and returns nothing (upstream returns no handle).
        """
        s = self.schedule
        kwargs: dict[str, Any] = {}
        if vector_sizes is not None:
            kwargs["vector_sizes"] = _mixed(vector_sizes, s)
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
        s = self.schedule
        op = s._create(
            tstruct.VectorizeChildrenAndApplyPatternsOp,
            self.value,
            vectorize_padding=vectorize_padding,
            vectorize_nd_extract=vectorize_nd_extract,
            disable_multi_reduction_to_contract_patterns=disable_multi_reduction_to_contract_patterns,
            disable_transfer_permutation_map_lowering_patterns=disable_transfer_permutation_map_lowering_patterns,
            flatten_1d_depthwise_conv=flatten_1d_depthwise_conv,
            fold_type_extensions_into_contract=fold_type_extensions_into_contract,
        )
        (h,) = s._wrap_results(op, OpHandle)
        h.parents.extend(self.parents)
        return h

    def hoist_redundant_vector_transfers(self, *, verify_non_zero_trip: bool = False) -> OpHandle:
        """``transform.structured.hoist_redundant_vector_transfers`` (on a func, after vectorization)."""
        h = self.schedule._build_one(
            tstruct.HoistRedundantVectorTransfersOp,
            transform.AnyOpType.get(),
            self.value,
            verify_non_zero_trip=verify_non_zero_trip or None,
        )
        h.parents.extend(self.parents)
        return h

    def hoist_redundant_vector_broadcasts(self) -> OpHandle:
        """``transform.structured.hoist_redundant_vector_broadcasts``."""
        h = self.schedule._build_one(tstruct.HoistRedundantVectorBroadcastsOp, transform.AnyOpType.get(), self.value)
        h.parents.extend(self.parents)
        return h

    # -- loops ----------------------------------------------------------------------------

    def peel(self, *, peel_front: bool = False, fail_if_already_divisible: bool = False) -> tuple[OpHandle, OpHandle]:
        """``transform.loop.peel`` an ``scf.for``: (main loop with full steps, remainder loop)."""
        s = self.schedule
        any_op = transform.AnyOpType.get()
        target = s._cast(self, ir.Type.parse('!transform.op<"scf.for">'))
        op = s._create(
            tloop.LoopPeelOp,
            any_op,
            any_op,
            target.value,
            peel_front=peel_front,
            fail_if_already_divisible=fail_if_already_divisible,
        )
        main, rest = s._wrap_results(op, OpHandle)
        for h in (main, rest):
            h.parents.extend(self.parents)
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
        op = s._create(tloop.ForallToForOp, [transform.AnyOpType.get()] * num_loops, self.value)
        return s._wrap_results(op, OpHandle)

    def forall_to_parallel(self) -> OpHandle:
        """``transform.loop.forall_to_parallel``: ``scf.forall`` -> ``scf.parallel``."""
        s = self.schedule
        op = s._create(tloop.ForallToParallelOp, [transform.AnyOpType.get()], self.value)
        (h,) = s._wrap_results(op, OpHandle)
        return h

    def coalesce(self) -> OpHandle:
        """``transform.loop.coalesce`` a perfect loop nest into one loop."""
        return self.schedule._build_one(tloop.LoopCoalesceOp, transform.AnyOpType.get(), self.value)

    # -- patterns and cleanups ------------------------------------------------------------

    def apply_patterns(self, *patterns: Pattern | str | Sequence[Pattern | str], apply_cse: bool = False) -> None:
        """``transform.apply_patterns`` with the given pattern sets (see :mod:`tilewright.schedule.patterns`)."""
        self.schedule.apply_patterns(self, *patterns, apply_cse=apply_cse)

    def canonicalize(self, *, apply_cse: bool = True) -> None:
        """``apply_patterns { canonicalization }`` (+ CSE) on this handle's payload."""
        self.schedule.apply_patterns(self, "canonicalization", apply_cse=apply_cse)

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
        op = s._create(
            transform.ApplyRegisteredPassOp,
            transform.AnyOpType.get(),
            self.value,
            pass_name,
            options=dict(options or {}),
        )
        (h,) = s._wrap_results(op, OpHandle)
        h.parents.extend(self.parents)
        return h

    def annotate(self, name: str, param: ParamHandle | None = None) -> None:
        """``transform.annotate``: set a unit (or the param's) attribute ``name`` on the payload ops."""
        self.schedule._create(transform.AnnotateOp, self.value, name, param=param.value if param else None)

    def print(self, name: str | None = None) -> None:
        """``transform.print``: dump the payload ops to stderr while the schedule runs."""
        self.schedule._create(transform.PrintOp, target=self.value, name=name)

    def one_shot_bufferize(self, **options: Any) -> OpHandle:
        """See :meth:`Schedule.bufferize` (this handle as the target)."""
        return self.schedule.bufferize(target=self, **options)

    def num_associations(self) -> ParamHandle:
        """``transform.num_associations``: how many payload ops this handle holds (a param)."""
        s = self.schedule
        return s._build_one(
            transform.NumAssociationsOp, ir.Type.parse("!transform.param<i64>"), self.value, result_cls=ParamHandle
        )


# --- helpers -------------------------------------------------------------------------------


def _nest(outer_first: Sequence[Handle], inner: Handle) -> None:
    """Record that ``inner`` lives inside each loop of ``outer_first`` (outermost first)."""
    for i, loop in enumerate(outer_first):
        for deeper in [*outer_first[i + 1 :], inner]:
            deeper.parents.append(loop)


def _check_own(h: Handle, s: Schedule) -> None:
    if h.schedule is not s:
        raise HandleError(f"{h.describe()} belongs to another schedule", _caller_location())


def _mixed(sizes: Sequence[int | ParamHandle], s: Schedule) -> list[int | ir.Value]:
    """Static ints and param handles, as the upstream builders' mixed lists."""
    out: list[int | ir.Value] = []
    for v in sizes:
        if isinstance(v, Handle):
            _check_own(v, s)
            out.append(v.value)
        else:
            out.append(_as_int(v))
    return out


def _as_int(v: Any) -> int:
    """Any integral (``int``, ``numpy.int64``, ...) as an ``int``; bools and floats are errors."""
    if isinstance(v, bool):
        raise ScheduleError(f"expected an int or a param handle, got {v!r}", _caller_location())
    try:
        return operator.index(v)
    except TypeError:
        raise ScheduleError(f"expected an int or a param handle, got {v!r}", _caller_location()) from None


def _split_mixed(sizes: Sequence[int | ParamHandle], s: Schedule) -> tuple[list[ir.Value], list[int]]:
    """(dynamic values, static sizes with ShapedType's dynamic marker where a value goes)."""
    dynamic: list[ir.Value] = []
    static: list[int] = []
    for v in _mixed(sizes, s):
        if isinstance(v, ir.Value):
            dynamic.append(v)
            static.append(ir.ShapedType.get_dynamic_size())
        else:
            static.append(v)
    return dynamic, static


# --- the schedule --------------------------------------------------------------------------


class Schedule:
    """A transform script under construction: ``s.match(...)``, ``h.tile(...)``, ... then ``s.to_mlir()``.

    ``knobs`` overrides the defaults of :meth:`knob` parameters (a tuner builds
    the same schedule with other values); :meth:`set_knob` changes one later.
    """

    def __init__(
        self, name: str = "schedule", *, knobs: Mapping[str, Any] | None = None, context: ir.Context | None = None
    ) -> None:
        from tilewright.mlir_env import new_context

        self.name = name
        self.context = context or new_context()
        self._knob_overrides = dict(knobs or {})
        self._knobs: dict[str, ir.Operation] = {}
        self._handles: list[Handle] = []
        self._sequences: dict[str, tuple[list[bool], int]] = {}  # name -> (consumed args, results)
        self._matchers = 0
        where = _caller_location()
        with self.context, self._loc(where):
            self.module = ir.Module.create()
            self.module.operation.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
            with ir.InsertionPoint(self.module.body):
                self._main = transform.NamedSequenceOp(
                    ENTRY_POINT,
                    [transform.AnyOpType.get()],
                    [],
                    arg_attrs=[{"transform.readonly": ir.UnitAttr.get()}],
                )
            with ir.InsertionPoint(self._main.body):
                self._terminator = transform.YieldOp([])
        self._ip_stack: list[ir.InsertionPoint] = [ir.InsertionPoint(self._terminator)]
        self.root = OpHandle(self, self._main.body.arguments[0], "root", where)
        self._handles.append(self.root)

    # -- construction machinery -----------------------------------------------------------

    def _loc(self, where: SourceLocation) -> ir.Location:
        with self.context:
            return ir.Location.file(where.filename, max(where.line, 0), max(where.col, 0))

    def _create(self, builder: Callable[..., Any], *args: Any, **kwargs: Any) -> ir.Operation:
        """Build one op at the current insertion point, located at the user's line; apply consumption."""
        where = _caller_location()
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

    def _after_build(self, op: ir.Operation, where: SourceLocation) -> None:
        consumed = consumed_operands(op)
        if consumed is None:
            return
        by_value = {h._value: h for h in self._handles if h.valid}
        for index in consumed:
            handle = by_value.get(op.operands[index])
            if handle is not None:
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
                [ir.DictAttr.get({"transform.consumed": ir.UnitAttr.get()}, context=self.context)],
                context=self.context,
            )

    def _wrap_results(self, op: ir.Operation, cls: type[Handle], parents: Sequence[Handle] = ()) -> list[Any]:
        where = SourceLocation(*_loc_parts(op.location))
        out = []
        for r in op.results:
            h_cls = cls
            type_text = str(r.type)
            if type_text.startswith("!transform.param") or type_text == "!transform.any_param":
                h_cls = ParamHandle
            elif type_text == "!transform.any_value":
                h_cls = ValueHandle
            h = h_cls(self, r, op.name, where)
            h.parents.extend(parents)
            self._handles.append(h)
            out.append(h)
        return out

    def _build(
        self,
        builder: Callable[..., Any],
        *args: Any,
        result_cls: type[Handle] = OpHandle,
        result_parents: Sequence[Handle] = (),
        **kwargs: Any,
    ) -> list[Any]:
        op = self._create(builder, *args, **kwargs)
        return self._wrap_results(op, result_cls, result_parents)

    def _build_one(self, builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        (h,) = self._build(builder, *args, **kwargs)
        return h

    def _cast(self, h: OpHandle, to: ir.Type) -> OpHandle:
        """``transform.cast`` to a more precise op type (ops like lower_pack require one)."""
        out = self._build_one(transform.CastOp, to, h.value)
        out.parents.extend(h.parents)
        h.parents.append(out)  # the same payload: consuming either invalidates both
        return out

    @contextmanager
    def _inside(self, block: ir.Block) -> Iterator[None]:
        self._ip_stack.append(ir.InsertionPoint(block))
        try:
            yield
        finally:
            self._ip_stack.pop()

    # -- matching -------------------------------------------------------------------------

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
        _check_own(target, self)
        names = [ops] if isinstance(ops, str) else (list(ops) if ops is not None else None)
        structural = (
            iterator_types is not None or contraction or elementwise or num_inputs is not None or rank is not None
        )
        if structural:
            return self._match_structured(target, names, iterator_types, contraction, elementwise, num_inputs, rank)
        if names is None and interface is None and attrs is None and result_type is None and not operand_types:
            raise ScheduleError("match: give ops=, interface=, attrs= or a structural criterion", _caller_location())
        kwargs: dict[str, Any] = {}
        if names is not None:
            kwargs["ops"] = ir.ArrayAttr.get([ir.StringAttr.get(n, self.context) for n in names], self.context)
        if interface is not None:
            allowed = ("LinalgOp", "TilingInterface", "LoopLikeInterface")
            if interface not in allowed:
                raise ScheduleError(f"match: interface must be one of {', '.join(allowed)}", _caller_location())
            kwargs["interface"] = tstruct.MatchInterfaceEnum[interface]
        with self.context:
            if attrs is not None:
                kwargs["op_attrs"] = ir.DictAttr.get({k: ir.Attribute.parse(v) for k, v in attrs.items()})
            if result_type is not None:
                kwargs["filter_result_type"] = ir.TypeAttr.get(ir.Type.parse(result_type))
            if operand_types:
                kwargs["filter_operand_types"] = ir.ArrayAttr.get(
                    [ir.TypeAttr.get(ir.Type.parse(t)) for t in operand_types]
                )
        h = self._build_one(tstruct.MatchOp, transform.AnyOpType.get(), target.value, **kwargs)
        h.parents.append(target)
        return h

    def _match_structured(
        self,
        target: OpHandle,
        names: list[str] | None,
        iterator_types: Sequence[str] | None,
        contraction: Sequence[str] | bool | None,
        elementwise: bool,
        num_inputs: int | None,
        rank: int | None,
    ) -> OpHandle:
        where = _caller_location()
        any_op = transform.AnyOpType.get
        param_t = "!transform.param<i64>"
        if iterator_types is not None:
            bad = [t for t in iterator_types if t not in ("parallel", "reduction")]
            if bad:
                raise ScheduleError(f"match: iterator types are 'parallel' or 'reduction', not {bad}", where)
            if rank is not None and rank != len(iterator_types):
                raise ScheduleError("match: rank= contradicts the number of iterator_types", where)
            rank = len(iterator_types)
        self._matchers += 1
        name = f"__match_{self._matchers}"
        with self.context, self._loc(where):
            readonly = {"transform.readonly": ir.UnitAttr.get()}
            with ir.InsertionPoint(self._main):
                matcher = transform.NamedSequenceOp(name, [any_op()], [any_op()], arg_attrs=[readonly])
            with ir.InsertionPoint(matcher.body):
                arg = matcher.body.arguments[0]
                if names:
                    transform.MatchOperationNameOp(arg, ir.ArrayAttr.get([ir.StringAttr.get(n) for n in names]))
                ms = ir.Operation.create("transform.match.structured", results=[any_op()], operands=[arg], regions=1)
                block = ms.regions[0].blocks.append(any_op())
                with ir.InsertionPoint(block):
                    s_arg = block.arguments[0]
                    if rank is not None:
                        r = ir.Operation.create(
                            "transform.match.structured.rank", results=[ir.Type.parse(param_t)], operands=[s_arg]
                        ).result
                        c = transform.ParamConstantOp(
                            ir.Type.parse(param_t), ir.IntegerAttr.get(ir.IntegerType.get_signless(64), rank)
                        ).result
                        ir.Operation.create(
                            "transform.match.param.cmpi",
                            operands=[r, c],
                            attributes={"predicate": ir.Attribute.parse("0 : i32")},  # eq
                        )
                    for kind in ("parallel", "reduction"):
                        dims = [i for i, t in enumerate(iterator_types or []) if t == kind]
                        if dims:
                            ir.Operation.create(
                                "transform.match.structured.dim",
                                operands=[s_arg],
                                attributes={
                                    "raw_dim_list": ir.Attribute.parse(f"array<i64: {', '.join(map(str, dims))}>"),
                                    kind: ir.UnitAttr.get(),
                                },
                            )
                    if num_inputs is not None:
                        n = ir.Operation.create(
                            "transform.match.structured.num_inputs", results=[ir.Type.parse(param_t)], operands=[s_arg]
                        ).result
                        c = transform.ParamConstantOp(
                            ir.Type.parse(param_t), ir.IntegerAttr.get(ir.IntegerType.get_signless(64), num_inputs)
                        ).result
                        ir.Operation.create(
                            "transform.match.param.cmpi",
                            operands=[n, c],
                            attributes={"predicate": ir.Attribute.parse("0 : i32")},
                        )
                    body_attrs: dict[str, ir.Attribute] = {}
                    if contraction:
                        pair = ["arith.mulf", "arith.addf"] if contraction is True else list(contraction)
                        body_attrs["contraction"] = ir.ArrayAttr.get([ir.StringAttr.get(p) for p in pair])
                    if elementwise:
                        body_attrs["elementwise"] = ir.UnitAttr.get()
                    if body_attrs:
                        ir.Operation.create("transform.match.structured.body", operands=[s_arg], attributes=body_attrs)
                    ir.Operation.create("transform.match.structured.yield", operands=[s_arg])
                transform.YieldOp([ms.result])
        h = self._build_one(
            transform.CollectMatchingOp, [any_op()], target.value, ir.FlatSymbolRefAttr.get(name, self.context)
        )
        h.parents.append(target)
        return h

    def merge(self, *handles: OpHandle, deduplicate: bool = True) -> OpHandle:
        """``transform.merge_handles``: one handle to the payload ops of all."""
        for h in handles:
            _check_own(h, self)
        out = self._build_one(transform.MergeHandlesOp, [h.value for h in handles], deduplicate=deduplicate)
        # Merged handles point at the same payload as their parts.
        for h in handles:
            h.parents.append(out)
            out.parents.extend(h.parents)
        return out

    # -- parameters -----------------------------------------------------------------------

    def knob(self, name: str, options: Sequence[int], default: int | None = None) -> ParamHandle:
        """``transform.tune.knob``: a tunable ``!transform.param<i64>`` (usable as a tile size).

        The selected value is ``knobs[name]`` given to the schedule, else ``default``
        (else the first option). A tuner lists :attr:`knobs` and calls :meth:`set_knob`.
        """
        where = _caller_location()
        if name in self._knobs:
            raise ScheduleError(f"knob '{name}' is defined twice", where)
        options = [_as_int(o) for o in options]
        if not options:
            raise ScheduleError(f"knob '{name}': options must be a non-empty list of ints", where)
        value = _as_int(self._knob_overrides.get(name, default if default is not None else options[0]))
        if value not in options:
            raise ScheduleError(f"knob '{name}': {value} is not one of its options {options}", where)
        param_t = ir.Type.parse("!transform.param<i64>", self.context)
        op = self._create(ttune.KnobOp, param_t, name, options, selected=value)
        self._knobs[name] = op
        (h,) = self._wrap_results(op, ParamHandle)
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
        with self.context:
            op = self._knobs[name]
            if op.name == "transform.tune.alternatives":
                op.attributes["selected_region_attr"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), value)
            else:
                op.attributes["selected"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)

    def alternatives(
        self, name: str, options: Sequence[Callable[[], Any]], *, default: int = 0, results: int = 0
    ) -> list[OpHandle]:
        """``transform.tune.alternatives``: one of several sub-schedules, chosen like a knob.

        Each option is a function building its ops and returning ``results`` handles.
        The selected region is ``knobs[name]`` given to the schedule, else ``default``;
        :meth:`set_knob` changes it. Handles consumed by any option are consumed after.
        """
        where = _caller_location()
        if name in self._knobs:
            raise ScheduleError(f"knob '{name}' is defined twice", where)
        selected = _as_int(self._knob_overrides.get(name, default))
        if not 0 <= selected < len(options):
            raise ScheduleError(f"alternatives '{name}': {selected} is not one of 0..{len(options) - 1}", where)
        any_op = transform.AnyOpType.get()
        with self.context, self._loc(where), self._ip_stack[-1]:
            op = ttune.AlternativesOp([any_op] * results, name, len(options), selected_region=selected)
        before = {id(h): h.consumed_by for h in self._handles}
        consumed_anywhere: dict[int, tuple[str, SourceLocation]] = {}
        for index, build in enumerate(options):
            with self.context, self._loc(where), ir.InsertionPoint(op.regions[index].blocks[0]):
                terminator = transform.YieldOp([])
            first = len(self._handles)
            self._ip_stack.append(ir.InsertionPoint(terminator))
            try:
                returned = build()
            finally:
                self._ip_stack.pop()
            returned = [] if returned is None else [returned] if isinstance(returned, Handle) else list(returned)
            if len(returned) != results:
                op.operation.erase()
                raise ScheduleError(
                    f"alternatives '{name}': option {index} returned {len(returned)} handle(s), expected {results}",
                    where,
                )
            with self.context, self._loc(where):
                values = [h.value for h in returned]
                terminator.erase()
                with ir.InsertionPoint(op.regions[index].blocks[0]):
                    transform.YieldOp(values)
            for h in self._handles[:first]:  # outer handles: remember, then restore for the next option
                if h.consumed_by is not None and before.get(id(h)) is None:
                    consumed_anywhere.setdefault(id(h), h.consumed_by)
                h.consumed_by = before.get(id(h))
            for h in self._handles[first:]:
                if h.valid:
                    h.consumed_by = (f"the end of alternatives '{name}'", where)
        for h in self._handles:
            if id(h) in consumed_anywhere:
                h.consumed_by = consumed_anywhere[id(h)]
        self._verify_new(op.operation, where)
        self._knobs[name] = op.operation
        return self._wrap_results(op.operation, OpHandle)

    def param(self, value: int) -> ParamHandle:
        """``transform.param.constant``: a constant ``!transform.param<i64>``."""
        with self.context:
            t = ir.Type.parse("!transform.param<i64>")
            attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)
        return self._build_one(transform.ParamConstantOp, t, attr, result_cls=ParamHandle)

    # -- whole-payload steps --------------------------------------------------------------

    def apply_patterns(
        self, target: OpHandle, *patterns: Pattern | str | Sequence[Pattern | str], apply_cse: bool = False
    ) -> None:
        """``transform.apply_patterns to %target { <pattern set ops> }``."""
        _check_own(target, self)
        flat: list[Pattern] = []
        for p in patterns:
            if isinstance(p, Pattern | str):
                flat.append(as_pattern(p))
            else:
                flat.extend(as_pattern(q) for q in p)
        if not flat:
            raise ScheduleError("apply_patterns: no pattern sets given", _caller_location())
        where = _caller_location()
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
                    raise ScheduleError(f"pattern set '{p.name}': {str(exc).splitlines()[-1].strip()}", where) from None
                pattern_op.location = ir.Location.file(where.filename, where.line, where.col)
                ip.insert(pattern_op)

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
        _check_own(target, self)
        was_root = target is self.root
        kwargs: dict[str, Any] = {"bufferize_function_boundaries": bufferize_function_boundaries or None}
        if function_boundary_type_conversion:
            from mlir.dialects.bufferization import LayoutMapOption

            if function_boundary_type_conversion not in LayoutMapOption.__members__:
                raise ScheduleError(
                    f"bufferize: function_boundary_type_conversion is one of {', '.join(LayoutMapOption.__members__)}",
                    _caller_location(),
                )
            kwargs["function_boundary_type_conversion"] = LayoutMapOption[function_boundary_type_conversion]
        if allow_return_allocs_from_loops:
            kwargs["allow_return_allocs_from_loops"] = True
        if allow_unknown_ops:
            kwargs["allow_unknown_ops"] = True
        op = self._create(tbuf.OneShotBufferizeOp, transform.AnyOpType.get(), target.value, **kwargs)
        (h,) = self._wrap_results(op, OpHandle)
        where = SourceLocation(*_loc_parts(op.location))
        for other in self._handles:  # bufferization rewrites every tensor op
            if other.valid and other is not h:
                other.consumed_by = (op.name, where)
        if was_root:
            self.root = h
        return h

    def define(self, name: str, body: Callable[..., Any], num_args: int = 1) -> None:
        """Define ``transform.named_sequence @name`` from ``body(*arg_handles) -> handles to return``.

        Arguments the body consumes are marked ``{transform.consumed}``, the others
        ``{transform.readonly}``; call it with :meth:`include`. Handles created in
        the body are valid only there.
        """
        where = _caller_location()
        if name in self._sequences or name == ENTRY_POINT:
            raise ScheduleError(f"named sequence '{name}' is defined twice", where)
        any_op = transform.AnyOpType.get()
        with self.context, self._loc(where), ir.InsertionPoint(self._main):
            seq = transform.NamedSequenceOp(
                name,
                [any_op] * num_args,
                [],
                arg_attrs=[{"transform.readonly": ir.UnitAttr.get()}] * num_args,
            )
        args = [OpHandle(self, a, f"@{name} argument", where) for a in seq.body.arguments]
        first = len(self._handles)
        self._handles.extend(args)
        with self.context, self._loc(where), ir.InsertionPoint(seq.body):
            terminator = transform.YieldOp([])
        self._ip_stack.append(ir.InsertionPoint(terminator))
        try:
            returned = body(*args)
        finally:
            self._ip_stack.pop()
        returned = [] if returned is None else [returned] if isinstance(returned, Handle) else list(returned)
        with self.context, self._loc(where):
            for h in returned:
                _check_own(h, self)
            values = [h.value for h in returned]
            terminator.erase()
            with ir.InsertionPoint(seq.body):
                transform.YieldOp(values)
            seq.operation.attributes["function_type"] = ir.TypeAttr.get(
                ir.FunctionType.get([any_op] * num_args, [v.type for v in values])
            )
            seq.operation.attributes["arg_attrs"] = ir.ArrayAttr.get(
                [
                    ir.DictAttr.get({("transform.readonly" if a.valid else "transform.consumed"): ir.UnitAttr.get()})
                    for a in args
                ]
            )
        self._sequences[name] = ([not a.valid for a in args], len(values))
        for h in self._handles[first:]:  # the body's handles end with it
            if h.valid:
                h.consumed_by = (f"the end of @{name}", where)
        self._verify_new(seq.operation, where)

    def foreach(self, target: OpHandle, body: Callable[[OpHandle], Any], results: int = 0) -> list[OpHandle]:
        """``transform.foreach``: run ``body(op)`` once per payload op of ``target``.

        ``body`` returns ``results`` handles (or None); each result of the foreach
        concatenates what the iterations returned. Handles made in the body are
        valid only there; ``target`` is consumed if the body consumes its argument.
        """
        where = _caller_location()
        _check_own(target, self)
        any_op = transform.AnyOpType.get()
        with self.context, self._loc(where), self._ip_stack[-1]:
            op = transform.ForeachOp([any_op] * results, [target.value])
            with ir.InsertionPoint(op.body):
                terminator = transform.YieldOp([])
        arg = OpHandle(self, op.body.arguments[0], "transform.foreach argument", where)
        arg.parents.append(target)
        first = len(self._handles)
        self._handles.append(arg)
        self._ip_stack.append(ir.InsertionPoint(terminator))
        try:
            returned = body(arg)
        finally:
            self._ip_stack.pop()
        returned = [] if returned is None else [returned] if isinstance(returned, Handle) else list(returned)
        if len(returned) != results:
            op.operation.erase()
            raise ScheduleError(f"foreach: the body returned {len(returned)} handle(s), expected {results}", where)
        with self.context, self._loc(where):
            values = [h.value for h in returned]
            terminator.erase()
            with ir.InsertionPoint(op.body):
                transform.YieldOp(values)
        for h in self._handles[first:]:
            if h.valid:
                h.consumed_by = ("the end of transform.foreach", where)
        arg_consumed = not arg.valid and arg.consumed_by is not None and not arg.consumed_by[0].startswith("the end")
        self._verify_new(op.operation, where)
        self._after_build(op.operation, where)
        if arg_consumed and target.valid:
            self._consume(target, "transform.foreach", where)
        return self._wrap_results(op.operation, OpHandle)

    def include(self, sequence: str, *args: Handle) -> list[OpHandle]:
        """``transform.include @sequence`` of a sequence made with :meth:`define`; returns its results."""
        where = _caller_location()
        if sequence not in self._sequences:
            known = ", ".join(self._sequences) or "none"
            raise ScheduleError(f"no named sequence '{sequence}' (defined: {known})", where)
        consumes, num_results = self._sequences[sequence]
        if len(args) != len(consumes):
            raise ScheduleError(f"@{sequence} takes {len(consumes)} handle(s), got {len(args)}", where)
        for a in args:
            _check_own(a, self)
        op = self._create(
            transform.IncludeOp,
            [transform.AnyOpType.get()] * num_results,
            ir.FlatSymbolRefAttr.get(sequence, self.context),
            transform.FailurePropagationMode.Propagate,
            [a.value for a in args],
        )
        for a, consumed in zip(args, consumes, strict=True):
            if consumed and a.valid:
                self._consume(a, f"include @{sequence}", where)
        return self._wrap_results(op, OpHandle)

    # -- the escape hatch -----------------------------------------------------------------

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
        where = _caller_location()
        if not self.context.is_registered_operation(name):
            raise ScheduleError(f"'{name}' is not a registered operation (is its extension loaded?)", where)
        values = []
        for o in operands:
            if isinstance(o, Handle):
                _check_own(o, self)
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
        if consumes is None:
            self._after_build(op, where)
        else:
            by_value = {h._value: h for h in self._handles if h.valid}
            for i in consumes:
                if by_value.get(op.operands[i]) is not None:
                    self._consume(by_value[op.operands[i]], name, where)
        return self._wrap_results(op, OpHandle)

    # -- output ---------------------------------------------------------------------------

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

    def __repr__(self) -> str:
        return f"<tilewright.schedule.Schedule {self.name!r}: {len(self._handles)} handles, knobs {self.knobs}>"


def _wrap_in_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(self, ...)`` run inside ``self``'s schedule's MLIR context (types and attributes need one)."""
    import functools

    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        ctx = self.context if isinstance(self, Schedule) else self.schedule.context
        with ctx:
            return fn(self, *args, **kwargs)

    return method


def _with_context(cls: type) -> type:
    """Run every public method of ``cls`` inside its schedule's MLIR context."""
    for name, fn in list(vars(cls).items()):
        if name.startswith("__") or not callable(fn) or isinstance(fn, staticmethod | classmethod | property):
            continue
        setattr(cls, name, _wrap_in_context(fn))
    return cls


def _loc_parts(loc: ir.Location) -> tuple[str, int, int]:
    try:
        if loc.is_a_file():
            return loc.filename, loc.start_line, loc.start_col
    except Exception:  # noqa: BLE001 - other location kinds carry no position
        pass
    return ("<schedule>", 0, 0)


for _cls in (ValueHandle, OpHandle, Schedule):
    _with_context(_cls)
