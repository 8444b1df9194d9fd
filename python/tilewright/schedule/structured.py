"""The structured (linalg) transform extension, ``mlir.dialects.transform.structured``:
tiling, fusion, padding, packing and layout changes of linalg ops.

Matching (``structured.match``) is in :mod:`tilewright.schedule.match`, vectorization
(``structured.vectorize*``) next to the pattern sets it needs in :mod:`tilewright.schedule.vector`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlir import ir
from mlir.dialects.transform import structured as tstruct

from tilewright.schedule.handles import (
    Handle,
    ParamHandle,
    ScheduleError,
    caller_location,
    mixed,
    nest,
    split_mixed,
)

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


class StructuredOps(Handle):
    """Op-handle methods for ``transform.structured.*`` ops."""

    # -- tiling ---------------------------------------------------------------------------

    def tile(
        self, sizes: Sequence[int | ParamHandle], *, interchange: Sequence[int] | None = None
    ) -> tuple[OpHandle, list[OpHandle]]:
        """``transform.structured.tile_using_for``: (tiled op, loops outermost first); size 0 = not tiled."""
        s = self.schedule
        return self._tiled_in_loops(
            tstruct.TileUsingForOp, sizes=mixed(sizes, s), interchange=list(interchange) if interchange else None
        )

    def tile_forall(
        self,
        *,
        num_threads: Sequence[int | ParamHandle] | None = None,
        tile_sizes: Sequence[int | ParamHandle] | None = None,
        mapping: str | None = None,
    ) -> tuple[OpHandle, OpHandle]:
        """``transform.structured.tile_using_forall``: (tiled op, the ``scf.forall``)."""
        if (num_threads is None) == (tile_sizes is None):
            raise ScheduleError("tile_forall: give exactly one of num_threads= or tile_sizes=", caller_location())
        s = self.schedule
        kwargs: dict[str, Any] = {}
        if num_threads is not None:
            kwargs["num_threads"] = mixed(num_threads, s)
        else:
            kwargs["tile_sizes"] = mixed(tile_sizes or [], s)
        if mapping is not None:
            kwargs["mapping"] = s._attr(mapping)
        tiled, forall = s._build(tstruct.TileUsingForallOp, self.value, **kwargs)
        nest([forall], tiled)
        return tiled, forall

    def tile_reduction(self, sizes: Sequence[int]) -> tuple[OpHandle, OpHandle, OpHandle, OpHandle]:
        """``transform.structured.tile_reduction_using_for``: (fill, split op, combining op, loop)."""
        s = self.schedule
        any_op = s._any_op()
        fill, split, combine, loop = s._build(
            tstruct.TileReductionUsingForOp, [any_op], any_op, any_op, any_op, self.value, tile_sizes=list(sizes)
        )
        nest([loop], split)
        return fill, split, combine, loop

    def tile_reduction_forall(
        self, num_threads: Sequence[int], *, tile_sizes: Sequence[int] | None = None, mapping: str | None = None
    ) -> tuple[OpHandle, OpHandle, OpHandle, OpHandle]:
        """``transform.structured.tile_reduction_using_forall``: the reduction split over
        ``num_threads`` parallel partial results (a GPU block's threads), each thread reducing its
        share of the reduced loop (cyclically in ``tile_sizes`` pieces when given). Returns (fill
        of the partials' neutral element, split op, combining op, ``scf.forall``)."""
        s = self.schedule
        any_op = s._any_op()
        fill, split, combine, forall = s._build(
            tstruct.TileReductionUsingForallOp,
            [any_op],
            any_op,
            any_op,
            any_op,
            self.value,
            num_threads=list(num_threads),
            tile_sizes=list(tile_sizes) if tile_sizes is not None else None,
            mapping=s._attr(mapping) if mapping is not None else None,
        )
        nest([forall], split)
        return fill, split, combine, forall

    def split_reduction(
        self, split_factor: int, insert_split_dimension: int, *, inner_parallel: bool = False
    ) -> tuple[OpHandle, OpHandle, OpHandle, OpHandle]:
        """``transform.structured.split_reduction``: (init or alloc, fill, split op, combining op)."""
        s = self.schedule
        any_op = s._any_op()
        return tuple(
            s._build(
                tstruct.SplitReductionOp,
                *[any_op] * 4,
                self.value,
                split_factor=split_factor,
                insert_split_dimension=insert_split_dimension,
                inner_parallel=inner_parallel or None,
            )
        )  # type: ignore[return-value]

    # -- fusion ---------------------------------------------------------------------------

    def fuse_into(self, containing: OpHandle) -> tuple[OpHandle, OpHandle]:
        """``transform.structured.fuse_into_containing_op``: fuse this producer into a loop.

        Returns (fused op, new containing-loop handle); the old loop handle is consumed.
        """
        s = self.schedule
        any_op = s._any_op()
        fused, new_loop = s._build(tstruct.FuseIntoContainingOp, any_op, any_op, self.value, containing.value)
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
        return self._tiled_in_loops(
            tstruct.FuseOp,
            tile_sizes=mixed(tile_sizes, s),
            tile_interchange=list(interchange) if interchange else None,
            apply_cleanup=apply_cleanup,
            use_forall=use_forall,
        )

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
            kwargs["pad_to_multiple_of"] = mixed(pad_to_multiple_of, s)
        if padding_values is not None:
            kwargs["padding_values"] = ir.ArrayAttr.get([s._attr(v) for v in padding_values], s.context)
        if nofold is not None:
            if isinstance(nofold, bool):
                raise ScheduleError("pad: nofold= is one bool per operand", caller_location())
            kwargs["nofold_flags"] = [int(b) for b in nofold]
        if copy_back_op is not None:
            kwargs["copy_back_op"] = copy_back_op
        padded, pad, copy = s._build(tstruct.PadOp, self.value, **kwargs)
        return padded, pad, copy

    def pack(self, packed_sizes: Sequence[int | ParamHandle]) -> OpHandle:
        """``transform.structured.pack``: pack every iterator dimension by the given size (0 = not)."""
        s = self.schedule
        dynamic, static = split_mixed(packed_sizes, s)
        return s._build_one(tstruct.PackOp, s._any_op(), self.value, dynamic, static_packed_sizes=static)

    def pack_greedily(
        self,
        matmul_packed_sizes: Sequence[int | ParamHandle],
        *,
        matmul_padded_sizes_next_multiple_of: Sequence[int] | None = None,
        matmul_inner_dims_order: Sequence[int] = (0, 1, 2),
    ) -> OpHandle:
        """``transform.structured.pack_greedily``: pack the (m, n, k) dims of any contraction."""
        s = self.schedule
        dynamic, static = split_mixed(matmul_packed_sizes, s)
        return s._build_one(
            tstruct.PackGreedilyOp,
            s._any_op(),
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
        any_op = s._any_op()
        return tuple(
            s._build(
                tstruct.PackTransposeOp,
                any_op,
                any_op,
                any_op,
                self.value,
                linalg_op.value,
                outer_perm=list(outer_perm) if outer_perm else None,
                inner_perm=list(inner_perm) if inner_perm else None,
            )
        )  # type: ignore[return-value]

    def lower_pack(self, *, lower_pad_like_with_insert_slice: bool = True) -> tuple[OpHandle, OpHandle, OpHandle]:
        """``transform.structured.lower_pack``: (pad, expand_shape, transpose)."""
        s = self.schedule
        target = s._cast(self, "linalg.pack")
        return tuple(
            s._build(
                tstruct.LowerPackOp,
                *map(s._op_type, ("tensor.pad", "tensor.expand_shape", "linalg.transpose")),
                target.value,
                lowerPadLikeWithInsertSlice=lower_pad_like_with_insert_slice,
            )
        )  # type: ignore[return-value]

    def lower_unpack(self, *, lower_unpad_like_with_extract_slice: bool = True) -> tuple[OpHandle, ...]:
        """``transform.structured.lower_unpack``: (empty, transpose, collapse_shape, extract_slice)."""
        s = self.schedule
        target = s._cast(self, "linalg.unpack")
        result_ops = ("tensor.empty", "linalg.transpose", "tensor.collapse_shape", "tensor.extract_slice")
        return tuple(
            s._build(
                tstruct.LowerUnPackOp,
                *map(s._op_type, result_ops),
                target.value,
                lowerUnpadLikeWithExtractSlice=lower_unpad_like_with_extract_slice,
            )
        )

    def interchange(self, permutation: Sequence[int]) -> OpHandle:
        """``transform.structured.interchange`` of a ``linalg.generic``'s iterators."""
        return self.schedule._build_one(tstruct.InterchangeOp, self.value, iterator_interchange=list(permutation))

    def generalize(self) -> OpHandle:
        """``transform.structured.generalize``: named op -> ``linalg.generic``."""
        return self.schedule._build_one(tstruct.GeneralizeOp, self.value)

    def specialize(self) -> OpHandle:
        """``transform.structured.specialize``: ``linalg.generic`` -> named op where recognized."""
        return self._to_any_op(tstruct.SpecializeOp)

    def decompose(self) -> OpHandle:
        """``transform.structured.decompose``: e.g. 2-D convolutions with a unit dim -> 1-D."""
        return self.schedule._build_one(tstruct.DecomposeOp, self.value)

    def decompose_interface(self) -> OpHandle:
        """``transform.structured.decompose_interface`` (e.g. ``linalg.softmax`` -> generics)."""
        return self._to_any_op(tstruct.DecomposeInterfaceOp)

    def convert_to_loops(self) -> OpHandle:
        """``transform.structured.convert_to_loops``: the op as ``scf.for`` loops."""
        return self._to_any_op(tstruct.ConvertToLoopsOp)

    def transpose_matmul(self, input_to_transpose: str = "lhs") -> OpHandle:
        """``transform.structured.transpose_matmul``: matmul -> matmul with one operand transposed."""
        if input_to_transpose not in ("lhs", "rhs"):
            raise ScheduleError("transpose_matmul: input_to_transpose is 'lhs' or 'rhs'", caller_location())
        s = self.schedule
        # The TransposeMatmulInput enum: lhs = 0, rhs = 1.
        which = ir.IntegerAttr.get(ir.IntegerType.get_signless(32, s.context), ("lhs", "rhs").index(input_to_transpose))
        return s._build_one(tstruct.TransposeMatmulOp, s._any_op(), self.value, inputToTranspose=which)

    def img2col(self) -> tuple[OpHandle, OpHandle]:
        """``transform.structured.convert_conv2d_to_img2col``: (im2col tensor op, the matmul-like op)."""
        s = self.schedule
        any_op = s._any_op()
        img2col, transformed = s._build(tstruct.ConvertConv2DToImg2ColOp, any_op, any_op, self.value)
        return img2col, transformed

    def flatten_elementwise(self) -> OpHandle:
        """``transform.structured.flatten_elementwise``: an elementwise op over one flat dimension."""
        return self._to_any_op(tstruct.FlattenElementwiseLinalgOp)

    def scalarize(self) -> OpHandle:
        """``transform.structured.scalarize``: tile the dynamic dims of the op by 1."""
        return self.schedule._build_one(tstruct.ScalarizeOp, self.value)

    def hoist_pad(self, num_loops: int, *, transpose: Sequence[int] | None = None) -> OpHandle:
        """``transform.structured.hoist_pad`` of this ``tensor.pad`` out of ``num_loops`` enclosing loops.

        The padded data is packed once into a buffer indexed by the hoisted loops (operand packing).
        """
        s = self.schedule
        transpose = list(transpose) if transpose else None
        return s._build_one(tstruct.HoistPadOp, s._any_op(), self.value, num_loops, transpose=transpose)

    def bufferize_to_allocation(
        self,
        *,
        memory_space: int | str | None = None,
        alloc_op: str | None = None,
        bufferize_destination_only: bool = False,
    ) -> OpHandle:
        """``transform.structured.bufferize_to_allocation``: this op's result into a new buffer
        (with ``bufferize_destination_only``, only its destination operands: a forall's
        ``shared_outs`` into a buffer it writes in place). ``memory_space`` is an integer or an
        attribute, e.g. ``"#gpu.address_space<workgroup>"`` (GPU shared memory).

        Returns the handle to the new allocation.
        """
        s = self.schedule
        space = s._attr(memory_space) if isinstance(memory_space, str) else memory_space
        allocated = s._build(
            tstruct.BufferizeToAllocationOp,
            self.value,
            memory_space=space,
            alloc_op=alloc_op,
            bufferize_destination_only=bufferize_destination_only or None,
        )
        return allocated[0]

    def insert_slice_to_copy(self) -> OpHandle:
        """``transform.structured.insert_slice_to_copy``: a ``tensor.insert_slice`` (or
        ``parallel_insert_slice``) writes its source through a ``linalg.copy``, which can be
        vectorized (a plain insert bufferizes to ``memref.copy``). Returns the copy."""
        return self._to_any_op(tstruct.InsertSliceToCopyOp)

    def _tiled_in_loops(self, builder: type, **kwargs: Any) -> tuple[OpHandle, list[OpHandle]]:
        """(tiled op, loops outermost first) of a tiling op on this handle; the op lives in every loop."""
        tiled, *loops = self.schedule._build(builder, self.value, **kwargs)
        nest(loops, tiled)
        return tiled, loops

    def _to_any_op(self, builder: type) -> OpHandle:
        """An op of ``builder``'s kind on this handle, with one ``!transform.any_op`` result."""
        s = self.schedule
        return s._build_one(builder, s._any_op(), self.value)
