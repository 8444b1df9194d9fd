"""``tw-tensor-cores``: warp-level ``vector.contract`` ops in warp-mapped launches become
``nvgpu.mma.sync`` (sm_80+ tensor cores), their accumulators kept in registers across the k loop.

The tensor-core schedule (:mod:`tilewright.schedule.nvvm.tensorcore`) leaves each warp's share of
a block tile as ``vector.contract`` ops of the native ``mma.sync`` shape (m16n8k16, f16 in,
f32 accumulator) inside the k loop, reading and writing the accumulator tile in memory at every
step: tensors cannot carry a value across the warp forall that sits inside the k loop (the
block's cooperative shared-memory copies must be outside it). After mapping, the warps are plain
code in the launch. :mod:`.mapping` marks the contracts of every ``#gpu.warp`` forall
:data:`WARP_LEVEL` (a whole warp runs each: what the conversion assumes); then

1. (``tw-hoist-warp-accumulators``, before outlining, in the launches holding such contracts)
   canonicalize, CSE and hoist loop invariants (the warp's views of the accumulator leave the loop);
2. :func:`hoist_accumulators`: each read/write pair of one accumulator fragment at invariant
   constant indices leaves the loop and becomes an ``iter_args`` value (a register). Upstream's
   ``hoist_redundant_vector_transfers`` does not apply: it refuses any buffer with a view, and
   every buffer here is one;
3. (``tw-tensor-cores``, after outlining, before the workgroup buffers become ``.shared``
   globals, in those kernels) ``convert-vector-to-gpu{use-nvgpu=true}``:
   contracts -> ``nvgpu.mma.sync``, operand reads ->
   ``nvgpu.ldmatrix`` from shared memory (lane-distributed loads from global memory), the
   ``iter_args`` -> per-lane fragments; the copies' transfers to 16-byte vector loads and stores
   (:func:`align_copies`), the shared tiles XOR-swizzled (``nvgpu-optimize-shared-memory``).

Kernels without marked contracts are untouched.
"""

from __future__ import annotations

from mlir import ir

from tilewright.target.nvvm.mapping import VIEWS, WARP_LEVEL

LAUNCH_TAG = "tw.tensor_core_launch"


def _kernels(module: ir.Operation) -> list[ir.Operation]:
    """The ``gpu.func`` kernels holding a ``vector.contract`` marked :data:`WARP_LEVEL`."""
    found: list[ir.Operation] = []
    for outer in module.regions[0].blocks[0].operations:
        if outer.operation.name != "gpu.module":
            continue
        for kernel in outer.operation.regions[0].blocks[0].operations:
            kernel = kernel.operation
            marked: list[bool] = []

            def visit(op: ir.Operation, marked: list[bool] = marked) -> ir.WalkResult:
                if op.name == "vector.contract" and WARP_LEVEL in op.attributes:
                    marked.append(True)
                    return ir.WalkResult.INTERRUPT
                return ir.WalkResult.ADVANCE

            if kernel.name == "gpu.func":
                kernel.walk(visit)
                if marked:
                    found.append(kernel)
    return found


def _constant(value: ir.Value) -> int | None:
    owner = value.owner
    if isinstance(owner, ir.Block) or owner.name != "arith.constant":
        return None
    try:
        return ir.IntegerAttr(owner.attributes["value"]).value
    except ValueError:
        return None


def _defined_outside(value: ir.Value, loop: ir.Operation) -> bool:
    owner = value.owner
    return not _inside(owner.owner if isinstance(owner, ir.Block) else owner, loop)


def _footprint(op: ir.Operation) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(constant indices, vector shape) of an unmasked transfer with a minor identity map."""
    view = op.opview
    indices = [_constant(v) for v in view.indices]
    vector = ir.VectorType((op.results[0] if op.name == "vector.transfer_read" else op.operands[0]).type)
    perm = view.permutation_map.value
    if None in indices or view.mask is not None or perm != ir.AffineMap.get_minor_identity(len(indices), vector.rank):
        return None
    return tuple(indices), tuple(vector.shape)  # type: ignore[arg-type]


def _disjoint(a: tuple[tuple[int, ...], tuple[int, ...]], b: tuple[tuple[int, ...], tuple[int, ...]]) -> bool:
    (ia, sa), (ib, sb) = a, b
    rank = len(sa)
    lead = len(ia) - rank
    for d in range(len(ia)):
        extent_a = sa[d - lead] if d >= lead else 1
        extent_b = sb[d - lead] if d >= lead else 1
        if ia[d] + extent_a <= ib[d] or ib[d] + extent_b <= ia[d]:
            return True
    return False


def _pairs(loop: ir.Operation) -> list[tuple[ir.Operation, ir.Operation]]:
    """The (read, write) pairs of loop-invariant buffers in ``loop``'s body: per buffer, every use
    in the loop is a transfer at constant indices in the body itself, each footprint read once
    then written once, footprints pairwise disjoint, and no other view of its buffer is used in
    the loop."""
    body = loop.regions[0].blocks[0]
    by_buffer: dict[ir.Value, list[ir.Operation]] = {}
    for op in body.operations:
        op = op.operation
        if op.name in ("vector.transfer_read", "vector.transfer_write"):
            buffer = op.operands[0] if op.name == "vector.transfer_read" else op.operands[1]
            if _defined_outside(buffer, loop) and isinstance(buffer.type, ir.MemRefType):
                by_buffer.setdefault(buffer, []).append(op)
    pairs: list[tuple[ir.Operation, ir.Operation]] = []
    for buffer, transfers in by_buffer.items():
        if not all(any(_same(use.owner, t) for t in transfers) for use in _uses_inside(buffer, loop)):
            continue
        if any(_uses_inside(view, loop) for view in _views_of_root(buffer) if view != buffer):
            continue
        footprints: dict[tuple, list[ir.Operation]] = {}
        ok = True
        for op in transfers:
            fp = _footprint(op)
            if fp is None:
                ok = False
                break
            footprints.setdefault(fp, []).append(op)
        if not ok:
            continue
        groups = list(footprints.items())
        if any(not _disjoint(a[0], b[0]) for i, a in enumerate(groups) for b in groups[i + 1 :]):
            continue
        found = []
        for _, ops in groups:
            if len(ops) != 2 or ops[0].name != "vector.transfer_read" or ops[1].name != "vector.transfer_write":
                break
            if not all(_defined_outside(v, loop) for v in ops[0].operands):
                break
            found.append((ops[0], ops[1]))
        else:
            pairs += found
    return pairs


def _views_of_root(buffer: ir.Value) -> list[ir.Value]:
    """Every value viewing the buffer ``buffer`` views (its root and the views of the root, transitively)."""
    root = buffer
    while not isinstance(root.owner, ir.Block) and root.owner.name in VIEWS:
        root = root.owner.operands[0]
    views, work = [root], [root]
    while work:
        for use in work.pop().uses:
            if use.owner.name in VIEWS and use.operand_number == 0:
                result = use.owner.results[0]
                views.append(result)
                work.append(result)
    return views


def _uses_inside(buffer: ir.Value, loop: ir.Operation) -> list[ir.OpOperand]:
    return [use for use in buffer.uses if _inside(use.owner, loop)]


def hoist_accumulators(loop: ir.Operation) -> int:
    """Move each (read, write) pair of :func:`_pairs` out of ``loop`` (an ``scf.for``): the read
    before it, the write after it, the value carried in ``iter_args``. Returns how many pairs."""
    from mlir.dialects import scf

    pairs = _pairs(loop)
    if not pairs:
        return 0
    old = loop.opview
    inits = list(old.initArgs)
    for read, _ in pairs:
        read.move_before(loop)
    with loop.location, ir.InsertionPoint(loop):
        new = scf.ForOp(old.lowerBound, old.upperBound, old.step, [*inits, *(r.results[0] for r, _ in pairs)])
    for i in range(len(loop.attributes)):  # the loop's marks (tw.accumulate) stay on it
        named = loop.attributes[i]
        if named.name not in new.operation.attributes:
            new.operation.attributes[named.name] = named.attr
    old_body, new_body = loop.regions[0].blocks[0], new.regions[0].blocks[0]
    for i, arg in enumerate(old_body.arguments):
        arg.replace_all_uses_with(new_body.arguments[i])
    for k, (read, _) in enumerate(pairs):
        arg = new_body.arguments[1 + len(inits) + k]
        for use in list(read.results[0].uses):
            if not _same(use.owner, new.operation):
                use.owner.operands[use.operand_number] = arg
    old_yield = None
    for op in list(old_body.operations):
        op = op.operation
        if op.name == "scf.yield":
            old_yield = op
        else:
            new_body.append(op)
    assert old_yield is not None
    with loop.location, ir.InsertionPoint(new_body):
        scf.YieldOp([*old_yield.operands, *(w.operands[0] for _, w in pairs)])
    for i, result in enumerate(loop.results):
        result.replace_all_uses_with(new.results[i])
    after = new.operation
    for k, (_, write) in enumerate(pairs):
        write.move_after(after)
        write.operands[0] = new.results[len(inits) + k]
        after = write
    loop.erase()
    return len(pairs)


def _same(a: ir.Operation | ir.OpView, b: ir.Operation | ir.OpView) -> bool:
    return a.operation == b.operation


def _inside(op: ir.Operation | ir.OpView | None, loop: ir.Operation) -> bool:
    while op is not None:
        if _same(op, loop):
            return True
        op = op.operation.parent
    return False


def _has_warp_level_contract(op: ir.Operation) -> bool:
    found: list[bool] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner.name == "vector.contract" and WARP_LEVEL in inner.attributes:
            found.append(True)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    op.walk(visit)
    return bool(found)


def _loops(op: ir.Operation) -> list[ir.Operation]:
    loops: list[ir.Operation] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner.name == "scf.for":
            loops.append(inner)
        return ir.WalkResult.ADVANCE

    op.walk(visit)
    return loops


def hoist_pass(op: ir.Operation, pass_: object) -> None:
    """``tw-hoist-warp-accumulators`` (module level, before outlining, where the loops' constant indices
    are still constants): in each launch holding a warp-level contract, canonicalize, CSE and
    LICM (the warp's views of the accumulator leave the k loop), then :func:`hoist_accumulators`."""
    from tilewright.schedule import Schedule
    from tilewright.schedule.apply import apply_script
    from tilewright.schedule.context import build_in

    launches = [launch for launch in _ops_named(op, "gpu.launch") if _has_warp_level_contract(launch)]
    if not launches:
        return
    context = op.context
    for launch in launches:
        launch.attributes[LAUNCH_TAG] = ir.UnitAttr.get(context)
    with build_in(context):
        s = Schedule("<tensor-core launches>", context=context)
        marked = s.match("gpu.launch", attrs={LAUNCH_TAG: "unit"})
        marked.canonicalize()
        marked.match("scf.for").apply_licm()
        marked.canonicalize()
    apply_script(op, s.module, context, "<tensor-core launches>")
    for launch in _ops_named(op, "gpu.launch"):
        if LAUNCH_TAG in launch.attributes:
            del launch.attributes[LAUNCH_TAG]
            sink_constants(launch)
            for loop in _loops(launch):
                hoist_accumulators(loop)


def sink_constants(launch: ir.Operation) -> int:
    """Clone each ``ub.poison`` and ``arith.constant`` defined outside ``launch`` (a transfer's or
    a copy's padding value) into it: an f16 one would otherwise be a kernel parameter (outlining
    does not sink those)."""
    body = launch.regions[0].blocks[0]
    sunk = 0
    for use_owner, operand, value in [
        (use.owner, use.operand_number, v)
        for v in {o for o in _operands_inside(launch) if _is_constant_outside(o, launch)}
        for use in list(v.uses)
        if _inside(use.owner, launch) and not _same(use.owner, launch)  # not the grid and block sizes
    ]:
        clone = value.owner.clone(ir.InsertionPoint.at_block_begin(body))
        use_owner.operands[operand] = clone.results[0]
        sunk += 1
    return sunk


def _operands_inside(launch: ir.Operation) -> list[ir.Value]:
    values: list[ir.Value] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        values.extend(inner.operands)
        return ir.WalkResult.ADVANCE

    launch.walk(visit)
    return values


def _is_constant_outside(value: ir.Value, launch: ir.Operation) -> bool:
    owner = value.owner
    return (
        not isinstance(owner, ir.Block) and owner.name in ("ub.poison", "arith.constant") and not _inside(owner, launch)
    )


def _ops_named(op: ir.Operation, name: str) -> list[ir.Operation]:
    found: list[ir.Operation] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner.name == name:
            found.append(inner)
            return ir.WalkResult.SKIP
        return ir.WalkResult.ADVANCE

    op.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def tensor_core_pass(op: ir.Operation, pass_: object) -> None:
    """``tw-tensor-cores`` (module level, after outlining): in the kernels holding warp-level
    contracts, the operands' ``arith.extf`` folded into the contracts (f16 x f16 -> f32, the form
    ``mma.sync`` takes; the schedule leaves them apart), then ``convert-vector-to-gpu``."""
    from tilewright.schedule import Schedule
    from tilewright.schedule import patterns as P
    from tilewright.schedule.apply import apply_script
    from tilewright.schedule.context import build_in

    kernels = _kernels(op)
    if not kernels:
        return
    context = op.context
    for kernel in kernels:
        kernel.attributes[LAUNCH_TAG] = ir.UnitAttr.get(context)
    with build_in(context):
        s = Schedule("<tensor-core kernels>", context=context)
        marked = s.match("gpu.func", attrs={LAUNCH_TAG: "unit"})
        marked.apply_patterns(P.fold_arith_extension(), P.canonicalization(), apply_cse=True)
        converted = marked.apply_pass("convert-vector-to-gpu", {"use-nvgpu": True})
        # What is left (the cooperative copies into shared memory): 1-d transfers, then vector
        # loads and stores (the kernel lowering takes those, not transfers).
        converted.apply_patterns(P.transfer_to_scf(max_transfer_rank=1, full_unroll=True), P.canonicalization())
        converted.apply_patterns(P.lower_transfer(1), P.transfer_permutation_patterns(), P.canonicalization())
        # Loads and stores on the buffers themselves, not on views (whose offsets are dynamic):
        # what align_copies reads.
        converted.apply_patterns(P.Pattern("memref.fold_memref_alias_ops"), P.canonicalization())
        converted.canonicalize()
        # XOR-swizzled shared tiles: ldmatrix reads 8 rows of 16 bytes, which in a 64-byte (A) or
        # 256-byte (B) row pitch fall on the same banks 4 or 8 times over.
        converted.apply_pass("nvgpu-optimize-shared-memory")
    apply_script(op, s.module, context, "<tensor-core kernels>")
    for kernel in _kernels_tagged(op):
        del kernel.attributes[LAUNCH_TAG]
        align_copies(kernel)


COPY_BYTES = 16


def align_copies(kernel: ir.Operation) -> int:
    """Mark the kernel's 16-byte ``vector.load`` / ``vector.store`` ops (the cooperative copies into
    shared memory) 16-byte aligned, so that they are single ``ld.global.v4`` / ``st.shared.v4``
    (LLVM assumes the element's alignment and splits them otherwise) — where the buffer's layout
    keeps every row start 16-byte aligned (static strides and offset in multiples of 16 bytes).
    The column of each piece is a multiple of 16 bytes by construction: the tensor-core schedule
    takes only K and N that are multiples of 16 elements and splits copies in 16-byte pieces.
    Returns how many."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name in ("vector.load", "vector.store"):
            found.append(op)
        return ir.WalkResult.ADVANCE

    kernel.walk(visit)
    count = 0
    for op in found:
        vector = ir.VectorType((op.results[0] if op.name == "vector.load" else op.operands[0]).type)
        memref = ir.MemRefType((op.operands[0] if op.name == "vector.load" else op.operands[1]).type)
        element_bytes = vector.element_type.width // 8
        if vector.rank != 1 or vector.shape[0] * element_bytes != COPY_BYTES:
            continue
        strides, offset = memref.get_strides_and_offset()
        unit = COPY_BYTES // element_bytes
        dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
        if strides[-1] != 1 or any(x == dynamic or x % unit for x in (*strides[:-1], offset)):
            continue
        op.attributes["alignment"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), COPY_BYTES)
        count += 1
    return count


def _kernels_tagged(op: ir.Operation) -> list[ir.Operation]:
    return [k for k in _ops_named(op, "gpu.func") if LAUNCH_TAG in k.attributes]
