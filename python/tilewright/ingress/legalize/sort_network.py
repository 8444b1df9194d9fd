"""``stablehlo.sort`` with a recognized comparator as a bitonic network on vectors.

The comparators JAX emits (``jnp.sort``, ``jnp.argsort``, ``lax.sort`` with
one key, ``lax.sort_key_val``; :mod:`sort_keys`) order the first operand by a
signed 32-bit key. Each row (the sorted dimension, moved last by a transpose
when it is not) is sorted in one of two forms:

- with positions: as 64-bit integers ``key << 32 | position``, all distinct,
  so any sorting network gives the one stable order, ``is_stable`` or not;
  then every operand, the key included, is gathered from its row at the
  sorted positions (bit-exact: -0.0 and NaN payloads are moved, never
  rebuilt). Needed with several operands, and for JAX's float comparator on a
  row holding -0.0 or a NaN other than the quiet one (it ties them with 0.0
  and the quiet NaN, and the result keeps their input order);
- keys alone: one operand whose equal keys are equal bits (integers, the
  plain total order, or a float row without such elements, checked per row):
  the 32-bit keys sorted, twice the lanes per vector, and decoded back
  (64-bit integers: their own 64-bit keys, and only this form).

The network is Batcher's bitonic sort on ``N`` = the row length rounded up
to a power of two (at least one vector), padded with the largest integer,
in 512-bit vectors (``vector<8xi64>`` or ``vector<16xi32>``: one AVX-512
register, two AVX2 ones): every stage is ``min``/``max`` of two vectors,
lanes paired by ``vector.shuffle`` when the distance is below a vector. The
formulation is all ascending: at each merge size ``s`` one stage pairs each
element with its mirror in its block of ``s`` (the second half read
reversed), then half-cleaners at distances ``s/4 .. 1``. Stages at distances
below a block of 8 vectors run in registers on a whole block (one load and
one store per element for all of them); wider ones are loops over vector
pairs of the row. O(n log² n) comparisons, but 8 or 16 per instruction and
no branches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, scf, stablehlo, vector

from tilewright.ingress.legalize import _build as b
from tilewright.ingress.legalize.sort_keys import SortKey, breaks_ties, keys32, match_key, values_of

VECTOR_BITS = 512  # one AVX-512 register, two AVX2 ones: 8 i64 (positions) or 16 i32 (keys alone)
BLOCK_VECTORS = 8  # vectors kept in registers by the in-block stages

# Element types a non-key operand may have (gathered by vector.gather).
_GATHERABLE = (ir.F32Type, ir.F64Type, ir.F16Type, ir.BF16Type)

Stage = tuple[str, int]  # ("mirror", s): pair i with its mirror in blocks of s; ("half", d): i with i + d


def _int(bits: int) -> ir.Type:
    return ir.IntegerType.get_signless(bits)


def _vec(elem: ir.Type, lanes: int) -> ir.VectorType:
    return ir.VectorType.get([lanes], elem)


def _lanes(value: Any) -> int:
    """Lanes of a vector value, or the lanes a network on this scratch tensor's elements uses."""
    if isinstance(value.type, ir.VectorType):
        return ir.VectorType(value.type).shape[0]
    return VECTOR_BITS // ir.IntegerType(ir.RankedTensorType(value.type).element_type).width


def _scratch_vec(scratch: Any) -> ir.VectorType:
    return _vec(ir.RankedTensorType(scratch.type).element_type, _lanes(scratch))


def _read(vt: ir.VectorType, tensor: Any, indices: list[Any], tail: int | None = None) -> Any:
    """``vt`` at ``indices``; with ``tail``, only that many lanes exist there (the others repeat
    the first). The partial vector is read in bounds and widened by a shuffle, never masked:
    LLVM 22 turns a masked i8 store with one lane into a 4-byte store (past the row's end)."""
    t = ir.RankedTensorType(tensor.type)
    elem = t.element_type
    zero = ir.FloatAttr.get(elem, 0.0) if isinstance(elem, ir.FloatType) else ir.IntegerAttr.get(elem, 0)
    padding = arith.constant(elem, zero)
    identity = ir.AffineMap.get_minor_identity(t.rank, 1)
    if tail is None:
        return vector.transfer_read(vt, tensor, indices, identity, padding, [True])
    part = vector.transfer_read(_vec(elem, tail), tensor, indices, identity, padding, [True])
    return vector.shuffle(part, part, [lane if lane < tail else 0 for lane in range(vt.shape[0])])


def _write(value: Any, tensor: Any, indices: list[Any], tail: int | None = None) -> Any:
    """``value`` at ``indices``; with ``tail``, only its first lanes (in bounds, see :func:`_read`)."""
    if tail is not None:
        value = vector.shuffle(value, value, list(range(tail)))
    rank = ir.RankedTensorType(tensor.type).rank
    return vector.TransferWriteOp(
        tensor.type, value, tensor, indices, ir.AffineMap.get_minor_identity(rank, 1), [True]
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
    lanes = _lanes(v)
    other = vector.shuffle(v, v, [partner(lane) for lane in range(lanes)])
    small, large = _exchange(v, other)
    return vector.shuffle(small, large, [lane if low(lane) else lanes + lane for lane in range(lanes)])


def _reverse(v: Any) -> Any:
    return vector.shuffle(v, v, list(range(_lanes(v) - 1, -1, -1)))


def _stage(vs: list[Any], stage: Stage) -> list[Any]:
    """``stage`` on the elements of ``vs`` (consecutive vectors of a block aligned to its size)."""
    kind, d = stage
    vs = list(vs)
    lanes = _lanes(vs[0])
    if kind == "mirror" and d <= lanes:
        return [_in_vector(v, lambda lane: lane ^ (d - 1), lambda lane: not lane & (d // 2)) for v in vs]
    if kind == "half" and d < lanes:
        return [_in_vector(v, lambda lane: lane ^ d, lambda lane: not lane & d) for v in vs]
    span = d // lanes  # in vectors
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


# --- the network on a row buffer (tensor<N x i64> or tensor<N x i32>) -----------------------


def _per_block(scratch: Any, n_vectors: int, block: int, stages: list[Stage]) -> Any:
    """``stages`` on every aligned block of ``block`` vectors, in registers."""
    vt, lanes = _scratch_vec(scratch), _lanes(scratch)

    def body(ivs: list[Any], carried: list[Any]) -> list[Any]:
        base = arith.muli(ivs[0], b.const_index(block * lanes))
        at = [arith.addi(base, b.const_index(k * lanes)) for k in range(block)]
        vs = [_read(vt, carried[0], [i]) for i in at]
        for stage in stages:
            vs = _stage(vs, stage)
        out = carried[0]
        for v, i in zip(vs, at, strict=True):
            out = _write(v, out, [i])
        return [out]

    return b.loop_nest([n_vectors // block], [scratch], body)[0]


def _pairs(scratch: Any, n: int, mirror: bool, log_group: Any) -> Any:
    """One stage wider than a block, a loop over its ``n / (2 lanes)`` pairs of vectors: in groups of
    ``2^log_group`` elements, the first half meets the second half, element for element
    (``mirror``: read backwards). ``log_group`` is an index value, so one loop serves every
    width (a loop per stage, unrolled, makes one-shot bufferization's analysis exponential)."""
    vt, lanes = _scratch_vec(scratch), _lanes(scratch)
    log_lanes = lanes.bit_length() - 1
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
            j = arith.subi(arith.addi(start, arith.shli(half, c(1))), arith.addi(offset, c(lanes)))
        else:
            j = arith.addi(i, half)
        x, y = _read(vt, carried[0], [i]), _read(vt, carried[0], [j])
        if mirror:
            small, large = _exchange(x, _reverse(y))
            large = _reverse(large)
        else:
            small, large = _exchange(x, y)
        return [_write(large, _write(small, carried[0], [i]), [j])]

    return b.loop_nest([n // (2 * lanes)], [scratch], body)[0]


def bitonic_sort(scratch: Any, n: int) -> Any:
    """Sort ``scratch`` (``tensor<n x i64|i32>``, ``n`` a power of two, at least a vector) ascending."""
    n_vectors = n // _lanes(scratch)
    block = min(n_vectors, BLOCK_VECTORS)
    width = block * _lanes(scratch)
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


def _mask(lanes: int, valid: int) -> Any:
    """``vector<lanes x i1>``: the first ``valid`` lanes."""
    return _const_vector(_vec(_int(1), lanes), [int(lane < valid) for lane in range(lanes)])


BlockBody = Callable[[Any, int | None, list[Any]], list[Any]]


def _row_blocks(n: int, lanes: int, init: list[Any], body: BlockBody) -> list[Any]:
    """``body(c, tail, carried)`` on ``[c, c + lanes)`` for every vector of a row of ``n``: a loop
    over the full ones (``tail`` None), then the partial one (``tail`` = its valid lanes)."""
    full, tail = divmod(n, lanes)
    carried = b.loop_nest([full], init, lambda ivs, c: body(arith.muli(ivs[0], b.const_index(lanes)), None, c))
    if tail:
        carried = body(b.const_index(full * lanes), tail, carried)
    return carried


def _fill(scratch: Any, n: int, vector_at: Callable[[Any, int | None], Any]) -> Any:
    """``scratch`` = the row's ``n`` values (``vector_at(c, tail)``), then the largest integer."""
    vt, lanes = _scratch_vec(scratch), _lanes(scratch)
    width = ir.IntegerType(vt.element_type).width
    sentinel = _const_vector(vt, [(1 << (width - 1)) - 1] * lanes)

    def body(c: Any, tail: int | None, carried: list[Any]) -> list[Any]:
        v = vector_at(c, tail)
        if tail is not None:
            v = arith.select(_mask(lanes, tail), v, sentinel)
        return [_write(v, carried[0], [c])]

    scratch = _row_blocks(n, lanes, [scratch], body)[0]
    used, padded = -(-n // lanes), ir.RankedTensorType(scratch.type).shape[0] // lanes
    if used < padded:

        def pad(ivs: list[Any], carried: list[Any]) -> list[Any]:
            return [_write(sentinel, carried[0], [arith.muli(ivs[0], b.const_index(lanes))])]

        scratch = b.loop_nest([padded], [scratch], pad, lower=[used])[0]
    return scratch


def _sort_with_positions(
    key: SortKey, operands: list[Any], skip: dict[int, str], row: Any, scratch: Any, outs: list[Any]
) -> list[Any]:
    """One row as ``key << 32 | position`` (``tensor<N x i64>`` scratch), every operand gathered
    but those in ``skip``: ``"iota"`` (an integer iota along the row, as ``jnp.argsort`` sorts:
    its values are the positions) and ``"unused"`` (a result nothing reads, as argsort's keys)."""
    n = ir.RankedTensorType(operands[0].type).shape[1]
    i64v = _scratch_vec(scratch)
    lanes = _lanes(scratch)
    lane_numbers = _const_vector(i64v, list(range(lanes)))

    def composite(c: Any, tail: int | None) -> Any:
        elem_vt = _vec(ir.RankedTensorType(operands[0].type).element_type, lanes)
        k = arith.extui(i64v, keys32(key, _read(elem_vt, operands[0], [row, c], tail)))
        position = arith.addi(vector.broadcast(i64v, arith.index_cast(_int(64), c)), lane_numbers)
        return arith.ori(arith.shli(k, _const_vector(i64v, [32] * lanes)), position)

    scratch = bitonic_sort(_fill(scratch, n, composite), ir.RankedTensorType(scratch.type).shape[0])

    def take(c: Any, tail: int | None, outs: list[Any]) -> list[Any]:
        positions = arith.trunci(_vec(_int(32), lanes), _read(i64v, scratch, [c]))
        result = []
        for k, (src, out) in enumerate(zip(operands, outs, strict=True)):
            vt = _vec(ir.RankedTensorType(src.type).element_type, lanes)
            if skip.get(k) == "unused":
                result.append(out)
                continue
            if skip.get(k) == "iota":
                width = ir.IntegerType(vt.element_type).width
                cast = arith.extui if width > 32 else arith.trunci
                result.append(_write(positions if width == 32 else cast(vt, positions), out, [row, c], tail))
                continue
            pass_thru = arith.constant(vt, ir.DenseElementsAttr.get_splat(vt, _zero(vt.element_type)))
            g = vector.gather(vt, src, [row, b.const_index(0)], positions, _mask(lanes, tail or lanes), pass_thru)
            result.append(_write(g, out, [row, c], tail))
        return result

    return [scratch, *_row_blocks(n, lanes, outs, take)]


def _sort_keys_alone(key: SortKey, operand: Any, row: Any, scratch: Any, out: Any) -> list[Any]:
    """One row of one operand as its keys (``tensor<N x i32|i64>`` scratch), twice the lanes of
    :func:`_sort_with_positions` and no gather: the values are the keys decoded."""
    t = ir.RankedTensorType(operand.type)
    vt, lanes = _scratch_vec(scratch), _lanes(scratch)
    elem_vt = _vec(t.element_type, lanes)

    def keys(c: Any, tail: int | None) -> Any:
        return keys32(key, _read(elem_vt, operand, [row, c], tail))

    scratch = bitonic_sort(_fill(scratch, t.shape[1], keys), ir.RankedTensorType(scratch.type).shape[0])

    def put(c: Any, tail: int | None, carried: list[Any]) -> list[Any]:
        v = values_of(key, _read(vt, scratch, [c]), t.element_type)
        return [_write(v, carried[0], [row, c], tail)]

    return [scratch, *_row_blocks(t.shape[1], lanes, [out], put)]


def _row_breaks_ties(key: SortKey, operand: Any, row: Any) -> Any:
    """Whether the row holds an element whose bits its key does not keep (:func:`breaks_ties`)."""
    t = ir.RankedTensorType(operand.type)
    lanes = VECTOR_BITS // 32
    elem_vt = _vec(t.element_type, lanes)
    kind = ir.Attribute.parse("#vector.kind<or>")

    def body(c: Any, tail: int | None, carried: list[Any]) -> list[Any]:
        lanes_hit = breaks_ties(key, _read(elem_vt, operand, [row, c], tail))  # padding lanes: lane 0 again
        return [arith.ori(carried[0], vector.reduction(_int(1), kind, lanes_hit))]

    return _row_blocks(t.shape[1], lanes, [b.const_bool(False)], body)[0]


def _rows(key: SortKey, operands: list[Any], skip: dict[int, str]) -> list[Any]:
    """Sort every row of the 2-D signless ``operands`` (rows x n) by the first one (``skip``:
    :func:`_sort_with_positions`).

    One operand sorts its keys alone when equal keys are equal bits (integers, the plain
    total order), or when the row holds no -0.0 and no NaN but the quiet one (JAX's
    canonicalized floats: a check per row); otherwise the row needs the positions."""
    types = [ir.RankedTensorType(v.type) for v in operands]
    rows, n = types[0].shape
    alone = len(operands) == 1
    check = alone and key.canonical
    scratches = []
    if not alone or check:
        scratches.append(_empty(ir.RankedTensorType.get([_padded(n, 64)], _int(64))))
    if alone:
        bits = max(32, key.width)  # 64-bit integers: their own keys
        scratches.append(_empty(ir.RankedTensorType.get([_padded(n, bits)], _int(bits))))

    def per_row(ivs: list[Any], carried: list[Any]) -> list[Any]:
        row = ivs[0]
        if not alone:
            return _sort_with_positions(key, operands, skip, row, carried[0], carried[1:])
        if not check:
            return _sort_keys_alone(key, operands[0], row, carried[0], carried[1])
        wide, narrow, out = carried

        def with_positions() -> list[Any]:
            scratch, result = _sort_with_positions(key, operands, skip, row, wide, [out])
            return [scratch, narrow, result]

        def keys_alone() -> list[Any]:
            scratch, result = _sort_keys_alone(key, operands[0], row, narrow, out)
            return [wide, scratch, result]

        flag = _row_breaks_ties(key, operands[0], row)
        return b.if_else(flag, [v.type for v in carried], with_positions, keys_alone)

    results = b.loop_nest([rows], [*scratches, *(_empty(t) for t in types)], per_row)
    return results[len(scratches) :]


def _padded(n: int, bits: int) -> int:
    """The network's length for a row of ``n`` in ``bits``-bit lanes: a power of two, a vector at least."""
    return max(VECTOR_BITS // bits, 1 << (n - 1).bit_length())


def _zero(elem: ir.Type) -> ir.Attribute:
    return ir.FloatAttr.get(elem, 0.0) if isinstance(elem, ir.FloatType) else ir.IntegerAttr.get(elem, 0)


def _empty(t: ir.RankedTensorType) -> Any:
    return ir.Operation.create("tensor.empty", results=[t]).result


def _is_iota(value: Any, dimension: int) -> bool:
    """``value`` is a ``stablehlo.iota`` of integers along ``dimension`` (its element ``i`` is ``i``)."""
    owner = value.owner
    if not isinstance(owner, ir.Operation) and hasattr(owner, "operation"):
        owner = owner.operation
    if not isinstance(owner, ir.Operation) or owner.name != "stablehlo.iota":
        return False
    elem = ir.RankedTensorType(value.type).element_type
    return isinstance(elem, ir.IntegerType) and ir.IntegerAttr(owner.attributes["iota_dimension"]).value == dimension


def lower_sort_network(op: Any) -> bool:
    """Replace ``op`` by the vectorized sort when its comparator and types allow; whether it did."""
    inputs = list(op.operands)
    if not all(isinstance(v.type, ir.RankedTensorType) for v in inputs):
        return False
    types = [ir.RankedTensorType(v.type) for v in inputs]
    if not all(t.has_static_shape for t in types) or not all(_gatherable(t) for t in types):
        return False
    key = match_key(op.regions[0], len(inputs))
    if key is None or (key.width == 64 and len(inputs) > 1):  # no room for a position beside the key
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
    skip = {k: "iota" for k, v in enumerate(inputs) if k and _is_iota(v, dimension)}
    if len(inputs) > 1:  # (one operand: its result is the op's only one)
        skip.update({k: "unused" for k, r in enumerate(op.results) if not list(r.uses)})
    sorted_rows = _rows(key, flat, skip)
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
