"""``stablehlo.sort`` with a recognized comparator as a bitonic network on vectors.

The comparators JAX emits (``jnp.sort``, ``jnp.argsort``, ``lax.sort`` with
one key, ``lax.sort_key_val``; :mod:`sort_keys`) order the first operand by a
signed 32-bit key. Each row (the sorted dimension, moved last by a transpose
when it is not) is sorted as 64-bit integers ``key << 32 | position``: all
distinct, so any sorting network gives the one stable order, ``is_stable`` or
not, including the order of zeros and NaNs that JAX's comparator ties. Then
every operand, the key included, is gathered from its row at the sorted
positions (bit-exact: -0.0 and NaN payloads are moved, never rebuilt).

The network is Batcher's bitonic sort on ``N`` = the row length rounded up
to a power of two (at least one vector), padded with the largest ``i64``,
in ``vector<8xi64>`` (one AVX-512 register, two AVX2 ones): every stage is
``min``/``max`` of two vectors, lanes paired by ``vector.shuffle`` when the
distance is below a vector. The formulation is all ascending: at each merge
size ``s`` one stage pairs each element with its mirror in its block of ``s``
(the second half read reversed), then half-cleaners at distances ``s/4 ..
1``. Stages at distances below a block of 8 vectors run in registers on a
whole block (one load and one store per element for all of them); wider ones
are loops over vector pairs of the row. O(n log² n) comparisons, but 8 per
instruction and no branches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, scf, stablehlo, vector

from tilewright.ingress.legalize import _build as b
from tilewright.ingress.legalize.sort_keys import SortKey, keys32, match_key

LANES = 8  # i64 lanes of a vector: 512 bits
BLOCK_VECTORS = 8  # vectors kept in registers by the in-block stages

# Element types a non-key operand may have (gathered by vector.gather).
_GATHERABLE = (ir.F32Type, ir.F64Type, ir.F16Type, ir.BF16Type)

Stage = tuple[str, int]  # ("mirror", s): pair i with its mirror in blocks of s; ("half", d): i with i + d


def _i64() -> ir.Type:
    return ir.IntegerType.get_signless(64)


def _vec(elem: ir.Type) -> ir.VectorType:
    return ir.VectorType.get([LANES], elem)


def _read(vt: ir.VectorType, tensor: Any, indices: list[Any], in_bounds: bool = True) -> Any:
    t = ir.RankedTensorType(tensor.type)
    elem = t.element_type
    zero = ir.FloatAttr.get(elem, 0.0) if isinstance(elem, ir.FloatType) else ir.IntegerAttr.get(elem, 0)
    padding = arith.constant(elem, zero)
    return vector.transfer_read(vt, tensor, indices, ir.AffineMap.get_minor_identity(t.rank, 1), padding, [in_bounds])


def _write(value: Any, tensor: Any, indices: list[Any], in_bounds: bool = True) -> Any:
    rank = ir.RankedTensorType(tensor.type).rank
    return vector.TransferWriteOp(
        tensor.type, value, tensor, indices, ir.AffineMap.get_minor_identity(rank, 1), [in_bounds]
    ).result


def _const_vector(vt: ir.VectorType, values: list[int]) -> Any:
    elem = vt.element_type
    return arith.constant(vt, ir.DenseElementsAttr.get([ir.IntegerAttr.get(elem, v) for v in values], vt))


def _gatherable(t: ir.RankedTensorType) -> bool:
    elem = t.element_type
    if isinstance(elem, ir.IntegerType):
        return ir.IntegerType(elem).width in (8, 16, 32, 64)
    return any(isinstance(elem, f) for f in _GATHERABLE)


# --- the network on SSA vectors (a block in registers) -------------------------------------


def _exchange(lo: Any, hi: Any) -> tuple[Any, Any]:
    return arith.minsi(lo, hi), arith.maxsi(lo, hi)


def _in_vector(v: Any, partner: Callable[[int], int], low: Callable[[int], bool]) -> Any:
    """One stage inside a vector: lane ``l`` meets lane ``partner(l)``; the ``low`` lanes keep the minimum."""
    other = vector.shuffle(v, v, [partner(lane) for lane in range(LANES)])
    small, large = _exchange(v, other)
    return vector.shuffle(small, large, [lane if low(lane) else LANES + lane for lane in range(LANES)])


def _reverse(v: Any) -> Any:
    return vector.shuffle(v, v, list(range(LANES - 1, -1, -1)))


def _stage(vs: list[Any], stage: Stage) -> list[Any]:
    """``stage`` on the elements of ``vs`` (consecutive vectors of a block aligned to its size)."""
    kind, d = stage
    vs = list(vs)
    if kind == "mirror" and d <= LANES:
        return [_in_vector(v, lambda lane: lane ^ (d - 1), lambda lane: not lane & (d // 2)) for v in vs]
    if kind == "half" and d < LANES:
        return [_in_vector(v, lambda lane: lane ^ d, lambda lane: not lane & d) for v in vs]
    span = d // LANES  # in vectors
    for q in range(len(vs)):
        if kind == "mirror":
            p = q - q % span + span - 1 - q % span
            if q % span < span // 2:
                small, large = _exchange(vs[q], _reverse(vs[p]))
                vs[q], vs[p] = small, _reverse(large)
        elif not q & span:
            vs[q], vs[q + span] = _exchange(vs[q], vs[q + span])
    return vs


def _stages(lo: int, hi: int) -> list[Stage]:
    """The bitonic sort's stages of merge sizes ``lo, 2 lo, ..., hi``."""
    out: list[Stage] = []
    s = lo
    while s <= hi:
        out.append(("mirror", s))
        d = s // 4
        while d >= 1:
            out.append(("half", d))
            d //= 2
        s *= 2
    return out


# --- the network on a row buffer (tensor<N x i64>) -----------------------------------------


def _per_block(scratch: Any, n_vectors: int, block: int, stages: list[Stage]) -> Any:
    """``stages`` on every aligned block of ``block`` vectors, in registers."""
    vt = _vec(_i64())

    def body(ivs: list[Any], carried: list[Any]) -> list[Any]:
        base = arith.muli(ivs[0], b.const_index(block * LANES))
        at = [arith.addi(base, b.const_index(k * LANES)) for k in range(block)]
        vs = [_read(vt, carried[0], [i]) for i in at]
        for stage in stages:
            vs = _stage(vs, stage)
        out = carried[0]
        for v, i in zip(vs, at, strict=True):
            out = _write(v, out, [i])
        return [out]

    return b.loop_nest([n_vectors // block], [scratch], body)[0]


def _pairs(scratch: Any, n: int, mirror: bool, log_group: Any) -> Any:
    """One stage wider than a block, a loop over its ``n / 16`` pairs of vectors: in groups of
    ``2^log_group`` elements, the first half meets the second half, element for element
    (``mirror``: read backwards). ``log_group`` is an index value, so one loop serves every
    width (a loop per stage, unrolled, makes one-shot bufferization's analysis exponential)."""
    vt = _vec(_i64())
    log_lanes = LANES.bit_length() - 1
    c = b.const_index

    def body(ivs: list[Any], carried: list[Any]) -> list[Any]:
        (p,) = ivs
        log_pairs = arith.subi(log_group, c(log_lanes + 1))  # vector pairs per group
        g = arith.shrui(p, log_pairs)
        q = arith.andi(p, arith.subi(arith.shli(c(1), log_pairs), c(1)))
        start = arith.shli(g, log_group)
        offset = arith.shli(q, c(log_lanes))
        i = arith.addi(start, offset)
        half = arith.shli(c(1), arith.subi(log_group, c(1)))
        if mirror:  # the vector ending where i's mirror starts
            j = arith.subi(arith.addi(start, arith.shli(half, c(1))), arith.addi(offset, c(LANES)))
        else:
            j = arith.addi(i, half)
        x, y = _read(vt, carried[0], [i]), _read(vt, carried[0], [j])
        if mirror:
            small, large = _exchange(x, _reverse(y))
            large = _reverse(large)
        else:
            small, large = _exchange(x, y)
        return [_write(large, _write(small, carried[0], [i]), [j])]

    return b.loop_nest([n // (2 * LANES)], [scratch], body)[0]


def bitonic_sort(scratch: Any, n: int) -> Any:
    """Sort ``scratch`` (``tensor<n x i64>``, ``n`` a power of two, at least ``LANES``) ascending."""
    n_vectors = n // LANES
    block = min(n_vectors, BLOCK_VECTORS)
    width = block * LANES
    scratch = _per_block(scratch, n_vectors, block, _stages(2, width))
    levels = (n // width).bit_length() - 1
    if not levels:
        return scratch
    log_width = width.bit_length() - 1
    cleaners: list[Stage] = [("half", width >> k) for k in range(1, width.bit_length())]

    def level(ivs: list[Any], carried: list[Any]) -> list[Any]:
        """Merge size ``s = width << (lv + 1)``: the mirror stage, ``lv`` half-cleaners at
        ``s/4 .. width`` across blocks, then the ones below a block in registers."""
        (lv,) = ivs
        log_s = arith.addi(lv, b.const_index(log_width + 1))
        out = _pairs(carried[0], n, True, log_s)

        def cleaner(tivs: list[Any], c: list[Any]) -> list[Any]:
            return [_pairs(c[0], n, False, arith.subi(log_s, arith.addi(tivs[0], b.const_index(1))))]

        loop = scf.ForOp(b.const_index(0), lv, b.const_index(1), [out])
        with ir.InsertionPoint(loop.body):
            b.yield_(cleaner([loop.induction_variable], list(loop.inner_iter_args)))
        return [_per_block(loop.results[0], n_vectors, block, cleaners)]

    return b.loop_nest([levels], [scratch], level)[0]


# --- rows: keys in, sorted operands out ----------------------------------------------------


def _rows(key: SortKey, operands: list[Any], padded: int) -> list[Any]:
    """Sort every row of the 2-D signless ``operands`` (rows x n) by the first one."""
    types = [ir.RankedTensorType(v.type) for v in operands]
    rows, n = types[0].shape
    full, tail = divmod(n, LANES)
    i64v, i32v = _vec(_i64()), _vec(ir.IntegerType.get_signless(32))
    lanes = _const_vector(i64v, list(range(LANES)))
    sentinel = _const_vector(i64v, [(1 << 63) - 1] * LANES)
    tail_mask = ir.VectorType.get([LANES], ir.IntegerType.get_signless(1))

    def composite(row: Any, c: Any, in_bounds: bool) -> Any:
        """``key << 32 | position`` of the 8 elements at ``[row, c]`` (past the end: anything)."""
        elem_vt = ir.VectorType.get([LANES], types[0].element_type)
        k = arith.extui(i64v, keys32(key, _read(elem_vt, operands[0], [row, c], in_bounds)))
        position = arith.addi(vector.broadcast(i64v, arith.index_cast(_i64(), c)), lanes)
        return arith.ori(arith.shli(k, _const_vector(i64v, [32] * LANES)), position)

    def per_row(ivs: list[Any], carried: list[Any]) -> list[Any]:
        row = ivs[0]
        scratch, outs = carried[0], carried[1:]

        def fill(kivs: list[Any], c: list[Any]) -> list[Any]:
            at = arith.muli(kivs[0], b.const_index(LANES))
            return [_write(composite(row, at, True), c[0], [at])]

        scratch = b.loop_nest([full], [scratch], fill)[0]
        at = full * LANES
        if tail:
            keep = _const_vector(ir.VectorType(tail_mask), [int(lane < tail) for lane in range(LANES)])
            v = arith.select(keep, composite(row, b.const_index(at), False), sentinel)
            scratch = _write(v, scratch, [b.const_index(at)])
            at += LANES
        if at < padded:

            def pad(kivs: list[Any], c: list[Any]) -> list[Any]:
                return [_write(sentinel, c[0], [arith.muli(kivs[0], b.const_index(LANES))])]

            scratch = b.loop_nest([padded // LANES], [scratch], pad, lower=[at // LANES])[0]
        scratch = bitonic_sort(scratch, padded)

        def take(c: Any, mask: Any | None, outs: list[Any]) -> list[Any]:
            positions = arith.trunci(i32v, _read(i64v, scratch, [c]))
            result = []
            for src, t, out in zip(operands, types, outs, strict=True):
                vt = _vec(t.element_type)
                all_lanes = mask if mask is not None else _const_vector(ir.VectorType(tail_mask), [1] * LANES)
                pass_thru = arith.constant(vt, ir.DenseElementsAttr.get_splat(vt, _zero(t.element_type)))
                g = vector.gather(vt, src, [row, b.const_index(0)], positions, all_lanes, pass_thru)
                result.append(_write(g, out, [row, c], in_bounds=mask is None))
            return result

        def gather_full(kivs: list[Any], c: list[Any]) -> list[Any]:
            return take(arith.muli(kivs[0], b.const_index(LANES)), None, c)

        outs = b.loop_nest([full], outs, gather_full)
        if tail:
            keep = _const_vector(ir.VectorType(tail_mask), [int(lane < tail) for lane in range(LANES)])
            outs = take(b.const_index(full * LANES), keep, outs)
        return [scratch, *outs]

    scratch = _empty(ir.RankedTensorType.get([padded], _i64()))
    results = b.loop_nest([rows], [scratch, *(_empty(t) for t in types)], per_row)
    return results[1:]


def _zero(elem: ir.Type) -> ir.Attribute:
    return ir.FloatAttr.get(elem, 0.0) if isinstance(elem, ir.FloatType) else ir.IntegerAttr.get(elem, 0)


def _empty(t: ir.RankedTensorType) -> Any:
    return ir.Operation.create("tensor.empty", results=[t]).result


def lower_sort_network(op: Any) -> bool:
    """Replace ``op`` by the vectorized sort when its comparator and types allow; whether it did."""
    inputs = list(op.operands)
    if not all(isinstance(v.type, ir.RankedTensorType) for v in inputs):
        return False
    types = [ir.RankedTensorType(v.type) for v in inputs]
    if not all(t.has_static_shape for t in types) or not all(_gatherable(t) for t in types):
        return False
    key = match_key(op.regions[0], len(inputs))
    if key is None:
        return False
    shape = list(types[0].shape)
    rank = len(shape)
    dimension = ir.IntegerAttr(op.attributes["dimension"]).value if "dimension" in op.attributes else -1
    dimension += rank if dimension < 0 else 0
    if not 0 <= dimension < rank or 0 in shape or shape[dimension] >= 1 << 31:
        return False
    n = shape[dimension]
    if n == 1:
        b.replace_op(op, inputs)
        return True
    # The sorted dimension last, the others one row dimension.
    perm = [d for d in range(rank) if d != dimension] + [dimension]
    moved = [s for d, s in enumerate(shape) if d != dimension] + [n]
    rows = 1
    for s in moved[:-1]:
        rows *= s
    flat = []
    for v, t in zip(inputs, types, strict=True):
        if dimension != rank - 1:
            v = stablehlo.TransposeOp(v, perm).result
        v = stablehlo.ReshapeOp(ir.RankedTensorType.get([rows, n], t.element_type), v).result
        flat.append(b.to_signless(v))
    padded = max(LANES, 1 << (n - 1).bit_length())
    sorted_rows = _rows(key, flat, padded)
    inverse = [perm.index(d) for d in range(rank)]
    results = []
    for v, t in zip(sorted_rows, types, strict=True):
        v = b.to_type(v, ir.RankedTensorType.get([rows, n], t.element_type))
        v = stablehlo.ReshapeOp(ir.RankedTensorType.get(moved, t.element_type), v).result
        if dimension != rank - 1:
            v = stablehlo.TransposeOp(v, inverse).result
        results.append(v)
    b.replace_op(op, results)
    return True
