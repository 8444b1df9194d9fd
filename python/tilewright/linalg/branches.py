"""``tw-select-branches``: ``scf.if`` in elementwise bodies becomes ``arith.select``.

StableHLO's ``concatenate`` legalizes to a ``linalg.generic`` whose body compares a
``linalg.index`` with the split point and, in an ``scf.if``, extracts the element from one
operand or the other (``tensor.extract`` at shifted indices); elementwise fusion then folds
it into its consumer (a rotary embedding's ``rotate_half`` lands in ``q * cos + rot(q) * sin``).
The vectorizer cannot take an ``scf.if``, so such an op stayed a scalar loop with a branch per
element. When both branches only compute indices and extract elements, both run and an
``arith.select`` picks the result; every extracted index is clamped to its tensor's extent
(the branch not taken may compute one outside it), so the body is branch-free (and LLaMA's
block compiles 0.5 s faster). An extraction from a unit-stride ``tensor.extract_slice`` reads
the slice's source at offset indices; a branch reading any other view (a loop-carried
tensor, a strided slice) is left as it is.

The element reads stay scalar: ``vectorize_nd_extract`` turns them into gathers (linearized as
if every tensor were contiguous, so only after the slice folding above), which on the LLaMA
block compiled 0.7-1.8 s longer and ran no faster than these loops. Vector loads would need
the op split at the concatenation point so that each part reads one operand contiguously.
"""

from __future__ import annotations

from mlir import ir
from mlir.dialects import arith

from tilewright.mlir_env import find_ops

# Ops a branch may hold to be executed unconditionally: index arithmetic and element reads.
_SPECULATABLE = frozenset(
    {
        "arith.addi",
        "arith.subi",
        "arith.muli",
        "arith.constant",
        "arith.index_cast",
        "arith.maxsi",
        "arith.minsi",
        "tensor.extract",
        "scf.yield",
    }
)


def _owner(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    return owner.operation if isinstance(owner, ir.Operation | ir.OpView) else None


def _branch_free(if_op: ir.Operation, generic: ir.Operation) -> bool:
    """Whether both regions of ``if_op`` hold only speculatable ops, reading tensors from outside ``generic``."""
    if len(if_op.regions) != 2 or len(if_op.results) != 1 or not if_op.regions[1].blocks:
        return False
    for region in if_op.regions:
        for op in region.blocks[0].operations:
            op = op.operation
            if op.name not in _SPECULATABLE:
                return False
            if op.name == "tensor.extract":
                shaped = ir.RankedTensorType(op.operands[0].type)
                source = _unsliced(op.operands[0])[0]
                producer = _owner(source)
                if not shaped.has_static_shape or not _contiguous(source, producer, generic):
                    return False
    return True


# Producers whose tensors bufferize to contiguous (identity-layout) buffers.
_CONTIGUOUS = ("tensor.empty", "tensor.expand_shape", "tensor.collapse_shape", "arith.constant")


def _contiguous(value: ir.Value, producer: ir.Operation | None, generic: ir.Operation) -> bool:
    if producer is None:  # a block argument: the function's own arguments only
        owner = value.owner
        return isinstance(owner, ir.Block) and owner.owner is not None and owner.owner.operation.name == "func.func"
    if _inside(producer, generic):
        return False
    return producer.name.startswith("linalg.") or producer.name in _CONTIGUOUS


def _unsliced(value: ir.Value) -> tuple[ir.Value, list[int]]:
    """The tensor under unit-stride, rank-preserving ``tensor.extract_slice``s with static offsets,
    and the offsets of ``value`` in it."""
    shaped = ir.RankedTensorType(value.type)
    offsets = [0] * shaped.rank
    while (op := _owner(value)) is not None and op.name == "tensor.extract_slice" and len(op.operands) == 1:
        strides = list(ir.DenseI64ArrayAttr(op.attributes["static_strides"]))
        at = list(ir.DenseI64ArrayAttr(op.attributes["static_offsets"]))
        if any(s != 1 for s in strides) or ir.RankedTensorType(op.operands[0].type).rank != shaped.rank:
            break
        offsets = [o + a for o, a in zip(offsets, at, strict=True)]
        value = op.operands[0]
    return value, offsets


def _inside(op: ir.Operation, ancestor: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None:
        if parent == ancestor:
            return True
        parent = parent.parent
    return False


def select_branches(generic: ir.Operation) -> int:
    """Rewrite the branch-free ``scf.if`` ops of a ``linalg.generic`` body; how many."""
    block = generic.regions[0].blocks[0]
    ifs = [o.operation for o in block.operations if o.operation.name == "scf.if"]
    done = 0
    for if_op in ifs:
        if not _branch_free(if_op, generic):
            continue
        picked: list[ir.Value] = []
        for region in if_op.regions:
            ops = [o.operation for o in region.blocks[0].operations]
            for op in ops[:-1]:
                op.move_before(if_op)
                if op.name == "tensor.extract":
                    _clamp_indices(op)
            picked.append(ops[-1].operands[0])
        with ir.InsertionPoint(if_op), if_op.location:
            chosen = arith.select(if_op.operands[0], picked[0], picked[1])
        if_op.results[0].replace_all_uses_with(chosen)
        if_op.erase()
        done += 1
    return done


def _clamp_indices(extract: ir.Operation) -> None:
    """Clamp each index of ``extract`` into ``[0, extent)`` (the read is then always in bounds),
    reading through slices (see the module docstring)."""
    shape = ir.RankedTensorType(extract.operands[0].type).shape
    source, offsets = _unsliced(extract.operands[0])
    index = ir.IndexType.get()
    with ir.InsertionPoint(extract), extract.location:
        zero = arith.constant(index, 0)
        for axis, extent in enumerate(shape):
            position = axis + 1
            last = arith.constant(index, extent - 1)
            clamped = arith.minsi(arith.maxsi(extract.operands[position], zero), last)
            if offsets[axis]:
                clamped = arith.addi(clamped, arith.constant(index, offsets[axis]))
            extract.operands[position] = clamped
    extract.operands[0] = source


def select_branches_pass(module: ir.Operation, _pass: object) -> None:
    """The pass entry (``PassManager.add``)."""
    for op in find_ops(module, "linalg.generic", pre_order=True):
        select_branches(op)
