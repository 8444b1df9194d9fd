"""Flash attention for ``tw.attention`` (the C++ extension's op): query blocks on an ``scf.forall``,
the keys in blocks on an ``scf.for`` carrying the online softmax state (running max, sum and the
unnormalized output), so no ``seq x seq`` buffer exists at any length.

The steps are the extension's transform ops (:mod:`tilewright.schedule.tw`): tile the op's query
dim, ``convert_to_online_attention``, tile the online op's key dim, ``skip_invisible_keys`` when
causal (the key loop ends at the query block's diagonal), ``decompose_attention``. A step of one
head decomposes into named ops: the key block transposed, ``Q·Kᵀ`` and ``P·V`` as
``linalg.matmul`` with the register-tiled microkernel of :mod:`.matmul`; the softmax ops of a
block are cut into rows that vectorize to a few vectors each.

The key block is the choice between the two attention schedules: one block of all keys is the
row-fused form (a block of scores rows, as :mod:`.attention` computes on linalg), several blocks
are flash. Short sequences take one block while a ``rows x seq`` block of scores fits
``SCORES_BLOCK_BYTES``; longer ones take ``FLASH_KEY_BLOCK`` keys. Both sizes are
``transform.tune.knob`` ops (``flash_block_q``, ``flash_block_k``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlir import ir

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.cpu import ROW_LOOP_ATTR, CpuConfig, config_for, largest_divisor
from tilewright.schedule.cpu.matmul import choose_tiles, finish_kernels, microkernel
from tilewright.schedule.tags import OP_TAG

# A rows x keys block of f32 scores up to this size takes every key at once (the row-fused form,
# as :mod:`.attention`'s SCORES_BLOCK_BYTES).
SCORES_BLOCK_BYTES = 128 * 1024

# Keys per block of the flash form: a 128-key block of K and V (64-wide heads: 32 KiB each)
# stays in L2 next to the query block's state.
FLASH_KEY_BLOCK = 128

# Query rows per block (each task of the forall): the scores block rows x keys in L1/L2.
MAX_QUERY_BLOCK = 64


@dataclass(frozen=True)
class AttentionShape:
    """The iteration domain of one ``tw.attention``: batch dims, then m, n, d, e."""

    batch: tuple[int, ...]
    m: int
    n: int
    d: int
    e: int
    causal: bool
    itemsize: int
    row_major: bool = True  # without batch dims: q (m, d), k (n, d) or (d, n), v (n, e), [mask (m, n)], out (m, e)
    key_transposed: bool = False  # k (d, n): no transpose of each key block
    filled_output: int | None = None  # the output's operand index when a linalg.fill makes it (JAX's init)

    @staticmethod
    def of(op: ir.Operation) -> AttentionShape:
        """Read from the op's indexing maps and operand shapes (verified by the op: consistent)."""
        maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
        sizes: dict[int, int] = {}
        shaped = [v for v in op.operands if isinstance(v.type, ir.RankedTensorType)]
        for value, amap in zip(shaped, maps, strict=True):
            shape = ir.RankedTensorType(value.type).shape
            for pos, expr in enumerate(amap.results):
                sizes.setdefault(ir.AffineDimExpr(expr).position, shape[pos])
        batch = maps[0].n_dims - 4
        element = ir.RankedTensorType(op.operands[0].type).element_type
        itemsize = ir.FloatType(element).width // 8
        layout = [_without_batch(m, batch) for m in maps]
        key_transposed = layout[1] == (2, 1)  # Kᵀ materialized by the linalg stage (q @ k.T)
        if key_transposed:
            layout[1] = (1, 2)
        row_major = layout == _row_major(len(maps))
        return AttentionShape(
            tuple(sizes[i] for i in range(batch)),
            *(sizes[batch + i] for i in range(4)),
            causal="causal" in op.attributes,
            itemsize=itemsize,
            row_major=row_major,
            key_transposed=key_transposed,
            filled_output=_filled_output(op),
        )

    @property
    def dynamic(self) -> bool:
        return any(s < 0 for s in (*self.batch, self.m, self.n, self.d, self.e))


def _without_batch(amap: ir.AffineMap, batch: int) -> tuple[int, ...]:
    """The map's non-batch dims, renumbered (m, n, d, e) = (0, 1, 2, 3)."""
    dims = (ir.AffineDimExpr(e).position for e in amap.results)
    return tuple(d - batch for d in dims if d >= batch)


def _row_major(count: int) -> list[tuple[int, ...]]:
    """The maps :func:`_without_batch` gives in the row-major layout (with a mask when 5)."""
    return [(0, 2), (1, 2), (1, 3), *([(0, 1)] if count == 5 else []), (0, 3)]


def _filled_output(op: ir.Operation) -> int | None:
    """The output's operand index if a ``linalg.fill`` produces it (tw.attention ignores its content,
    but the fill is still computed, and it must be tiled like everything else)."""
    out = op.operands[len(op.operands) - 1]
    owner = out.owner if isinstance(out.owner, ir.Operation) else getattr(out.owner, "operation", None)
    return len(op.operands) - 1 if owner is not None and owner.name == "linalg.fill" else None


def attention_ops(module: ir.Module) -> list[ir.Operation]:
    """The ``tw.attention`` ops at the top level of ``module``'s functions, in module order."""
    out = []
    for func in module.body.operations:
        if func.operation.name != "func.func":
            continue
        for block in func.operation.regions[0].blocks:
            out.extend(op.operation for op in block.operations if op.operation.name == "tw.attention")
    return out


def query_block(a: AttentionShape, cfg: CpuConfig) -> int:
    """Query rows per task: a divisor of m (static tiles) up to ``MAX_QUERY_BLOCK``."""
    return largest_divisor(a.m, MAX_QUERY_BLOCK)


def key_block(a: AttentionShape, rows: int) -> int:
    """Keys per block: all of them (row-fused) while a ``rows x n`` f32 scores block fits
    ``SCORES_BLOCK_BYTES`` and the mask is not causal (causal skips blocks only when there are
    several), else a divisor of n up to ``FLASH_KEY_BLOCK`` (or the block itself: a partial last
    block is dynamic, which the vectorizer leaves as loops)."""
    if rows * a.n * 4 <= SCORES_BLOCK_BYTES and not (a.causal and a.n > FLASH_KEY_BLOCK):
        return a.n
    block = largest_divisor(a.n, FLASH_KEY_BLOCK)
    return block if block >= 16 else min(a.n, FLASH_KEY_BLOCK)


def _rows(h: OpHandle, rank: int, reduction: bool) -> None:
    """One row at a time (the last dim whole) for an op of ``rank`` dims: a few vectors each."""
    if rank < 2:
        return
    _, loops = h.tile([1] * (rank - 1) + [0])
    if reduction and loops:
        loops[-1].annotate(ROW_LOOP_ATTR)  # reduces along the row: one vector.reduction per row


def schedule_flash(
    s: Schedule,
    attn: OpHandle,
    a: AttentionShape,
    *,
    cfg: CpuConfig | None = None,
    block_q: int | None = None,
    block_k: int | None = None,
    prefix: str = "flash",
) -> OpHandle:
    """Flash attention for the ``tw.attention`` ops of ``attn`` (one shape ``a``); returns the
    ``scf.forall`` over (batch dims, query blocks). ``block_q``/``block_k`` override the choice;
    the chosen sizes are the knobs ``{prefix}_block_q`` and ``{prefix}_block_k``.

    Other layouts (an operand transposed beyond the batch dims) decompose into batched generics:
    correct, cut into rows and vector-wide columns, but without the microkernel."""
    cfg = cfg or config_for()
    nb = len(a.batch)
    rows = block_q or query_block(a, cfg)
    keys = block_k or key_block(a, rows)
    rows_options = sorted({rows, *(r for r in (8, 16, 32, 64) if a.m % r == 0)})
    keys_options = sorted({keys, a.n, *(k for k in (64, 128, 256) if a.n % k == 0)})  # a.n: row-fused
    s.knob(f"{prefix}_block_q", rows_options, default=rows)
    s.knob(f"{prefix}_block_k", keys_options, default=keys)
    rows, keys = s.knobs[f"{prefix}_block_q"][1], s.knobs[f"{prefix}_block_k"][1]

    if a.filled_output is not None:
        _rows(attn.producer_of_operand(a.filled_output), nb + 2, reduction=False)
    tiled, forall = attn.tile_forall(tile_sizes=[1] * nb + [rows, 0, 0, 0])
    online, normalize, fills = tiled.convert_to_online_attention()
    # The state's init and the final acc / sum over a query block (rows x e): row by row.
    acc_fill, _max_fill, _sum_fill = fills.split(3)
    _rows(acc_fill, nb + 2, reduction=False)
    _rows(normalize, nb + 2, reduction=False)
    if keys < a.n:
        online, (key_loop,) = online.tile([0] * nb + [0, keys, 0, 0])
        if a.causal:
            key_loop.skip_invisible_keys()
    scores, pv, transposes, rows_ops, state = online.decompose_attention()
    if not a.row_major:  # batched generics: rows and vector-wide column blocks, no microkernel
        scores.tile([1] * nb + [1, cfg.lanes, 0])  # (batch..., m, n, d)
        pv.tile([1] * nb + [1, 0, cfg.lanes])  # (batch..., m, n, e)
        _rows(rows_ops, nb + 2, reduction=True)
        _rows(state, nb + 1, reduction=False)
        return forall
    # Q·Kᵀ (rows x keys x d) and P·V (rows x e x keys): the microkernel, one kernel shape.
    st = choose_tiles(rows, keys, a.d, cfg)
    pt = choose_tiles(rows, a.e, keys, cfg)
    microkernel(s, scores, rows, keys, a.d, st)
    microkernel(s, pv, rows, a.e, keys, pt)
    finish_kernels(forall, choose_tiles(rows, max(keys, a.e), max(a.d, keys), cfg))
    # The key block's transpose in lanes x lanes blocks (shuffles); the softmax ops row by row (their
    # loops marked: the max and the sum reduce along the row); the per-row state is one vector.
    transposes.tile([cfg.lanes, cfg.lanes])
    _rows(rows_ops, 2, reduction=True)
    return forall


def add_parts(s: Schedule, ops: list[ir.Operation], first_tag: int, cfg: CpuConfig) -> None:
    """One part of the default schedule per ``tw.attention`` of ``ops``: tagged ``OP_TAG`` =
    ``first_tag`` + i on the payload (after the linalg ops' tags), flashed by :func:`schedule_flash`."""
    i64 = ir.IntegerType.get_signless(64, s.context)
    for i, op in enumerate(ops):
        tag, shape = first_tag + i, AttentionShape.of(op)
        op.attributes[OP_TAG] = ir.IntegerAttr.get(i64, tag)
        s.part(
            f"flash_{tag}",
            lambda scope, tag=tag, shape=shape: schedule_flash(
                s, scope.match("tw.attention", attrs={OP_TAG: f"{tag} : i64"}), shape, cfg=cfg, prefix=f"flash_{tag}"
            ),
            what=f"flash attention tw.attention#{tag}",
        )
