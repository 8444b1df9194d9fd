"""tilewright's own transform extension, ``transform.tw.*`` (C++ in ``dialects/transform``):
the scheduling steps upstream MLIR 22 has no transform op for.

The builders wrap the ops' generated Python classes (:mod:`tilewright.extension.transform`),
as :mod:`tilewright.schedule.structured` wraps upstream's. A schedule that uses them runs in
``tilewright-opt`` and in stock ``mlir-opt --load-dialect-plugin=libTilewrightPlugin.so``.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from tilewright.schedule.handles import Handle, ScheduleError, caller_location, nest

if TYPE_CHECKING:
    from tilewright.schedule.builder import OpHandle


def tw_ops() -> ModuleType:
    """The generated builders, or a :class:`ScheduleError` at the user's line if the extension is not built."""
    from tilewright import extension

    try:
        extension.register()
        from tilewright.extension import transform
    except (extension.ExtensionUnavailable, ImportError) as err:
        raise ScheduleError(f"transform.tw.* needs tilewright's C++ extension: {err}", caller_location()) from err
    return transform


class TwOps(Handle):
    """Op-handle methods for ``transform.tw.*`` ops."""

    def fuse_consumer(self, loops: Sequence[OpHandle]) -> tuple[OpHandle, list[OpHandle]]:
        """``transform.tw.fuse_consumer``: compute this consumer inside a tiled nest, tile by tile.

        ``loops`` are the nest's loops, outermost first (as :meth:`tile` or :meth:`tile_forall`
        return them); this op must use a result of the outermost one. Returns (the fused consumer,
        the loops). The loops keep their handles: they are rebuilt to yield the consumer's result too.
        """
        if not loops:
            raise ScheduleError("fuse_consumer: give the loops of the nest, outermost first", caller_location())
        s = self.schedule
        any_op = s._any_op()
        fused, *new_loops = s._build(
            tw_ops().FuseConsumerOp, any_op, [any_op] * len(loops), self.value, [loop.value for loop in loops]
        )
        nest(new_loops, fused)
        return fused, new_loops

    def convert_to_online_attention(self) -> tuple[OpHandle, OpHandle, OpHandle]:
        """``transform.tw.convert_to_online_attention``: ``tw.attention`` → its running state.

        Each ``tw.attention`` becomes fills of ``acc`` (0), ``max`` (-inf) and ``sum`` (0), one
        ``tw.online_attention`` over all keys and a ``linalg.generic`` writing ``acc / sum`` into
        the output. Tiling the online op's key dim (:meth:`tile` with a key block) then gives flash
        attention. Returns (the online op, the normalization, the three fills); consumes this handle.
        """
        s = self.schedule
        any_op = s._any_op()
        online, normalize, fills = s._build(tw_ops().ConvertToOnlineAttentionOp, any_op, any_op, any_op, self.value)
        return online, normalize, fills

    def decompose_attention(self) -> tuple[OpHandle, OpHandle, OpHandle, OpHandle, OpHandle]:
        """``transform.tw.decompose_attention``: ``tw.online_attention`` → linalg (named matmuls when
        a step is one row-major head).

        Returns (Q·Kᵀ, P·V, the key block's transpose (possibly none), the ops over the query
        block's rows (fill, scale and mask, max, exp, sum, acc rescale), the ops over its per-row
        state (alpha, sum rescale)), so the vectorization schedule applies to each; consumes this
        handle. Fully masked rows give 0, never NaN.
        """
        s = self.schedule
        any_op = s._any_op()
        scores, pv, transposes, rows, state = s._build(tw_ops().DecomposeAttentionOp, *[any_op] * 5, self.value)
        return scores, pv, transposes, rows, state

    def skip_invisible_keys(self) -> None:
        """``transform.tw.skip_invisible_keys``: this key loop (``scf.for`` over key blocks of a causal
        ``tw.online_attention``, as :meth:`tile` makes it) stops at the last block its query block
        sees, so blocks past the diagonal are skipped, not computed and masked. Keeps the handle."""
        self.schedule._build(tw_ops().SkipInvisibleKeysOp, self.value)

    def raise_attention(self) -> OpHandle:
        """``transform.tw.raise_attention``: this P·V contraction and the softmax and Q·Kᵀ feeding it
        become one ``tw.attention`` (scale, causal, mask or bias, transposes folded into its maps).

        The handle must hold the P·V contraction of each attention (the last matmul of the chain);
        anything else is a silenceable failure naming it and why the chain does not match. Returns
        the ``tw.attention`` ops; consumes this handle. The ``tw-raise-attention`` pass does the same
        for every chain of a function, leaving the others alone.
        """
        s = self.schedule
        return s._build_one(tw_ops().RaiseAttentionOp, s._any_op(), self.value)

    def rewrite_matmul_as_wgmma(self) -> None:
        """``transform.tw.rewrite_matmul_as_wgmma``: each ``linalg.matmul`` on memrefs inside a GPU
        kernel, executed by one warpgroup (128 threads), becomes Hopper's ``wgmma.mma_async``
        (``--gpu-arch sm_90a``).

        After bufferization and the GPU mapping: M a multiple of 64, N a multiple of 8 up to 256, K
        a multiple of 16, f16 or bf16 A and B (global or workgroup memory), f32 C. The 128 threads
        stage A and B in shared memory as the PTX ISA's K-major core matrices (a 2-D memref cannot
        describe that layout), then issue one wgmma per 64 rows and 16 of K on 64-bit matrix
        descriptors, with C's fragments loaded and stored in the ISA's register layout. Anything else
        is a silenceable failure naming the op. Consumes this handle.
        """
        self.schedule._create(tw_ops().RewriteMatmulAsWgmmaOp, self.value)
