"""Row kernels (the NVVM library's row groups, :mod:`tilewright.schedule.nvvm.reduction`): the
threads' partial results combined by warp shuffles, and the block's buffers private to each
thread.

``tw-gpu-block-reduce`` (before ``tw-gpu-map``, on buffers): in each block forall marked
``ROW_KERNEL_ATTR`` every combining ``linalg.reduce`` of a ``[1, T]`` buffer of per-thread
partials (written by a thread forall of ``T`` threads) becomes what fast kernels do: each
thread takes its own partial (threads past ``T`` the reduction's neutral element), a butterfly
of ``gpu.shuffle xor`` reduces each warp (``shfl.sync.bfly.b32`` in the PTX), lane 0 of each warp
writes its result to a workgroup buffer of one value per warp (shared memory), one
``gpu.barrier``, then every warp reduces those values by the same butterfly, so every thread
holds the block's result and combines it into the row's value. Upstream's ``gpu.all_reduce``
lowering does the same with a broadcast through shared memory and a second barrier, in
unstructured control flow; this one stays in ``scf`` (what the tests' GPU emulator runs).

The schedule's contract makes every other buffer of the block private: thread ``t`` reads only
what thread ``t`` wrote (the same split of the row in every thread forall) or what every thread
wrote alike (the combined row values), so ``tw-private-memory`` may make each allocation of the
block a thread's ``memref.alloca`` (:mod:`.private`; registers after LLVM's SROA) and the mapping
puts no barrier after the thread foralls. Two things make that hold: a buffer bufferization put
outside a block of one row moves into it, and the copy of a thread's partial onto itself goes.
A combined value in global memory (a row sum that is the function's result) has one writer,
thread 0, after a barrier.
"""

from __future__ import annotations

from collections.abc import Callable

from mlir import ir

from tilewright.diagnostics import TilewrightError, location_of
from tilewright.mlir_env import find_ops
from tilewright.schedule.nvvm.reduction import ROW_KERNEL_ATTR, WARP, row_block_size
from tilewright.target.nvvm.mapping import block_dims, block_foralls, payload_filename

# The combiner of a ``linalg.reduce`` -> its kind (for its neutral element).
REDUCE_KINDS = {
    "arith.addf": "add",
    "arith.addi": "add",
    "arith.mulf": "mul",
    "arith.muli": "mul",
    "arith.maximumf": "maximumf",
    "arith.minimumf": "minimumf",
    "arith.maxnumf": "maxnumf",
    "arith.minnumf": "minnumf",
    "arith.maxsi": "maxsi",
    "arith.minsi": "minsi",
    "arith.maxui": "maxui",
    "arith.minui": "minui",
    "arith.andi": "and",
    "arith.ori": "or",
    "arith.xori": "xor",
}


def _neutral(kind: str, t: ir.Type) -> ir.Attribute:
    """The value a thread with no partial contributes to a ``kind`` reduction."""
    if isinstance(t, ir.FloatType):
        value = {"add": 0.0, "mul": 1.0, "maximumf": float("-inf"), "maxnumf": float("-inf")}.get(kind, float("inf"))
        return ir.FloatAttr.get(t, value)
    width = ir.IntegerType(t).width
    value = {
        "add": 0,
        "or": 0,
        "xor": 0,
        "maxui": 0,
        "mul": 1,
        "and": -1,
        "minui": -1,
        "maxsi": -(1 << (width - 1)),
        "minsi": (1 << (width - 1)) - 1,
    }[kind]
    return ir.IntegerAttr.get(t, value)


def _combiner(reduce: ir.Operation) -> ir.Operation | None:
    """The one combining op of a ``linalg.reduce`` body (None: anything else)."""
    body = [op.operation for op in reduce.regions[0].blocks[0].operations]
    if len(body) != 2 or body[0].name not in REDUCE_KINDS:
        return None
    return body[0]


def _combine(combiner: ir.Operation, a: ir.Value, b: ir.Value) -> ir.Value:
    attributes = {
        named.name: named.attr for named in map(combiner.attributes.__getitem__, range(len(combiner.attributes)))
    }
    return ir.Operation.create(combiner.name, results=[a.type], operands=[a, b], attributes=attributes).result


def _warp_reduce(value: ir.Value, combiner: ir.Operation) -> ir.Value:
    """The ``combiner`` reduction of ``value`` over the 32 lanes of each warp: a butterfly of
    ``gpu.shuffle xor`` (``shfl.sync.bfly``), every lane ending with the warp's result."""
    from mlir.dialects import arith, gpu

    i32 = ir.IntegerType.get_signless(32)
    width = arith.ConstantOp(i32, WARP).result
    offset = WARP // 2
    while offset:
        shuffled = gpu.ShuffleOp(value, arith.ConstantOp(i32, offset).result, width, gpu.ShuffleMode.XOR).results[0]
        value = _combine(combiner, value, shuffled)
        offset //= 2
    return value


def _select(
    condition: ir.Value, then: Callable[[], ir.Value], otherwise: Callable[[], ir.Value], t: ir.Type
) -> ir.Value:
    from mlir.dialects import scf

    branch = scf.IfOp(condition, [t], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        scf.YieldOp([then()])
    with ir.InsertionPoint(branch.else_block):
        scf.YieldOp([otherwise()])
    return branch.results[0]


def all_reduce_partials(reduce: ir.Operation, forall: ir.Operation, block: list[int], filename: str) -> None:
    """Replace a combining ``linalg.reduce`` of per-thread partials (``[1, ..., T]`` -> ``[1, ...]``)
    by a reduction over the block: each thread's partial (threads past ``T``: the neutral
    element), a warp butterfly, the warps' results through a workgroup buffer of one value per
    warp and a barrier, the same butterfly over those in every warp; then every thread combines
    the block's result into the row's value (see the module docstring)."""
    from mlir.dialects import arith, gpu, memref

    partials, row = reduce.operands[0], reduce.operands[1]
    shape = ir.MemRefType(partials.type).shape
    combiner = _combiner(reduce)
    threads = shape[-1] if shape else 0
    if (
        combiner is None
        or any(d != 1 for d in shape[:-1])
        or block[1:] != [1, 1]
        or block[0] % WARP
        or threads > block[0]
    ):
        raise TilewrightError(
            "a row kernel's combining reduction is not a single add/max/min/... over one row of per-thread partials",
            location_of(reduce.location, filename),
        )
    kind = REDUCE_KINDS[combiner.name]
    element = ir.MemRefType(partials.type).element_type
    # Shuffles move 32-bit values: 16-bit floats are reduced in f32 (exact for max/min).
    wide = ir.F32Type.get() if isinstance(element, ir.F16Type | ir.BF16Type) else element
    with reduce.location, ir.InsertionPoint(reduce):
        index = ir.IndexType.get()
        zero = arith.ConstantOp(index, 0).result
        tid = gpu.ThreadIdOp(gpu.Dimension.x).result
        lead = [zero] * (len(shape) - 1)

        def neutral() -> ir.Value:
            return arith.ConstantOp(wide, _neutral(kind, wide)).result

        slot = tid

        def own() -> ir.Value:
            value = memref.LoadOp(partials, [*lead, slot]).result
            return arith.ExtFOp(wide, value).result if wide != element else value

        if _private(partials, forall):
            _own_slot(partials)
            slot = zero
        if threads == block[0]:
            partial = own()
        else:
            inside = arith.CmpIOp(arith.CmpIPredicate.ult, tid, arith.ConstantOp(index, threads).result).result
            partial = _select(inside, own, neutral, wide)
        total = _warp_reduce(partial, combiner)
        warps = block[0] // WARP
        if warps > 1:
            workgroup = ir.Attribute.parse("#gpu.address_space<workgroup>")
            buffer = memref.AllocOp(ir.MemRefType.get([warps], wide, memory_space=workgroup), [], []).result
            size = arith.ConstantOp(index, WARP).result
            lane = arith.RemUIOp(tid, size).result
            first = arith.CmpIOp(arith.CmpIPredicate.eq, lane, zero).result
            from mlir.dialects import scf

            branch = scf.IfOp(first)
            with ir.InsertionPoint(branch.then_block):
                memref.StoreOp(total, buffer, [arith.DivUIOp(tid, size).result])
                scf.YieldOp([])
            gpu.BarrierOp()
            active = arith.CmpIOp(arith.CmpIPredicate.ult, lane, arith.ConstantOp(index, warps).result).result
            total = _warp_reduce(_select(active, lambda: memref.LoadOp(buffer, [lane]).result, neutral, wide), combiner)
        if wide != element:
            total = arith.TruncFOp(element, total).result

        def update() -> None:
            old = memref.LoadOp(row, lead).result
            memref.StoreOp(_combine(combiner, total, old), row, lead)

        if _private(row, forall):
            update()  # every thread its own copy
        else:  # one shared (global) value: one writer, after every thread's init of it
            from mlir.dialects import scf

            gpu.BarrierOp()
            branch = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.eq, tid, zero).result)
            with ir.InsertionPoint(branch.then_block):
                update()
                scf.YieldOp([])
    reduce.erase()


def _own_slot(partials: ir.Value) -> None:
    """Every thread's slot of a private buffer of partials is the first one: each thread's copy
    holds only its own partial, and a constant index lets LLVM keep it in a register (a buffer
    of T slots at the thread's index would be T words of local memory per thread)."""
    from mlir.dialects import arith

    for use in list(partials.uses):
        view = use.owner
        if view.name != "memref.subview" or use.operand_number != 0:
            continue
        dynamic = len(view.operands) - 1
        if dynamic and ir.ShapedType.get_dynamic_size() in ir.DenseI64ArrayAttr(view.attributes["static_sizes"]):
            continue  # only offsets may be dynamic here
        if not dynamic:
            continue
        with view.location, ir.InsertionPoint(view):
            zero = arith.ConstantOp(ir.IndexType.get(), 0).result
        for number in range(1, len(view.operands)):
            view.operands[number] = zero


def _private(buffer: ir.Value, forall: ir.Operation) -> bool:
    """Whether ``buffer`` views an allocation inside ``forall`` (private to each thread once
    ``tw-private-memory`` has made it an alloca, :mod:`.private`)."""
    found = _address(buffer)
    if found is None or isinstance(found[0].owner, ir.Block):
        return False
    alloc = found[0].owner.operation
    return alloc.name == "memref.alloc" and _inside(alloc, forall)


def _inside(op: ir.Operation, forall: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None and parent != forall:
        parent = parent.parent
    return parent is not None


def localize_allocations(forall: ir.Operation) -> int:
    """A function-level ``memref.alloc`` used only inside ``forall`` (besides its dealloc) moves
    into it: a row's value the bufferization placed outside a block forall of one iteration
    (a single row) is as much the block's own as any other. Returns how many."""
    count = 0
    func = forall.parent
    body = forall.regions[0].blocks[0]
    for alloc in [o.operation for o in func.regions[0].blocks[0].operations if o.operation.name == "memref.alloc"]:
        uses = [use.owner for use in alloc.results[0].uses]
        inside = [u for u in uses if u.name != "memref.dealloc"]
        if alloc.operands or not inside or not all(_inside(u, forall) for u in inside):
            continue
        for use in uses:
            if use.name == "memref.dealloc":
                use.erase()
        alloc.move_before(body.operations[0])
        count += 1
    return count


def _address(value: ir.Value) -> tuple[ir.Value, int, list[tuple[ir.Value, int]]] | None:
    """(root buffer, constant element offset, [(index value, stride)]) of a chain of
    ``memref.subview`` views (None: a stride that is not static)."""
    owner = value.owner
    if isinstance(owner, ir.Block) or owner.operation.name != "memref.subview":
        return value, 0, []
    view = owner.operation
    source = view.operands[0]
    found = _address(source)
    if found is None:
        return None
    root, constant, terms = found
    strides, _ = ir.MemRefType(source.type).get_strides_and_offset()
    dynamic = iter(view.operands[1:])
    dynamic_size = ir.ShapedType.get_dynamic_size()
    for offset, stride in zip(ir.DenseI64ArrayAttr(view.attributes["static_offsets"]), strides, strict=True):
        if stride == dynamic_size:
            return None
        if offset == dynamic_size:
            terms = [*terms, (next(dynamic), stride)]
        else:
            constant += offset * stride
    return root, constant, terms


def drop_self_copies(forall: ir.Operation) -> int:
    """Erase each ``memref.copy`` of one element onto itself (two views of the same element:
    what bufferization leaves of a thread's partial result inserted into the slice it was
    computed in). LLVM cannot see through the copy's ``memcpy`` at a thread-dependent offset,
    which keeps the partials in local memory. Returns how many."""
    count = 0
    for copy in find_ops(forall, "memref.copy"):
        source, target = copy.operands[0], copy.operands[1]
        shape = ir.MemRefType(source.type).shape
        if any(d != 1 for d in shape) or any(d != 1 for d in ir.MemRefType(target.type).shape):
            continue
        a, b = _address(source), _address(target)
        if a is None or b is None or a[0] != b[0] or a[1] != b[1]:
            continue
        if len(a[2]) != len(b[2]) or any(not any(v == w and k == j for w, j in b[2]) for v, k in a[2]):
            continue
        copy.erase()
        count += 1
    return count


VECTOR_BYTES = 16  # the widest global access (ld.global.v4.b32)


def _multiple_of(value: ir.Value, factor: int) -> bool:
    """Whether ``value`` (an index) is provably a multiple of ``factor``: a constant, or an
    ``affine.apply`` whose sums and products are (``d0 * 8 + d1 * 2048`` for 8)."""
    if factor == 1:
        return True
    owner = value.owner
    if isinstance(owner, ir.Block):
        return False
    op = owner.operation
    if op.name == "arith.constant":
        return ir.IntegerAttr(op.attributes["value"]).value % factor == 0
    if op.name != "affine.apply":
        return False
    amap = ir.AffineMapAttr(op.attributes["map"]).value
    operands = list(op.operands)

    def expr_multiple(expr: ir.AffineExpr) -> bool:
        if isinstance(expr, ir.AffineConstantExpr):
            return expr.value % factor == 0
        if isinstance(expr, ir.AffineDimExpr):
            return _multiple_of(operands[expr.position], factor)
        if isinstance(expr, ir.AffineSymbolExpr):
            return _multiple_of(operands[amap.n_dims + expr.position], factor)
        if isinstance(expr, ir.AffineAddExpr):
            return expr_multiple(expr.lhs) and expr_multiple(expr.rhs)
        if isinstance(expr, ir.AffineMulExpr):
            return (
                any(
                    isinstance(side, ir.AffineConstantExpr) and side.value % factor == 0
                    for side in (expr.lhs, expr.rhs)
                )
                or expr_multiple(expr.lhs)
                or expr_multiple(expr.rhs)
            )
        return False

    return len(amap.results) == 1 and expr_multiple(amap.results[0])


def _aligned_elements(source: ir.Value, indices: list[ir.Value], lanes: int) -> bool:
    """Whether the ``lanes``-element access at ``indices`` of ``source`` starts at a multiple of
    ``lanes`` elements of a whole buffer (a function argument or an allocation: aligned by the
    runtime), following subviews."""
    found = _address(source)
    if found is None:
        return False
    root, constant, terms = found
    if not isinstance(root.owner, ir.Block) and root.owner.operation.name not in ("memref.alloc", "memref.alloca"):
        return False
    strides, _ = ir.MemRefType(source.type).get_strides_and_offset()
    if ir.ShapedType.get_dynamic_size() in strides:
        return False
    terms = [*terms, *zip(indices, strides, strict=True)]
    return constant % lanes == 0 and all(
        stride % lanes == 0 or (_multiple_of(v, lanes) and stride == 1) for v, stride in terms
    )


def align_vector_accesses(forall: ir.Operation) -> int:
    """Each 1-D in-bounds ``vector.transfer_read``/``transfer_write`` of a contiguous row slice in
    ``forall`` whose start is provably a multiple of its length (see :func:`_aligned_elements`)
    becomes a ``vector.load``/``vector.store`` with that alignment (up to 16 bytes): NVPTX emits
    ``ld.global.v4``/``st.global.v4`` only for aligned accesses, and the lowering's default is the
    element's alignment. Returns how many."""
    from mlir.dialects import vector

    count = 0
    for op in find_ops(forall, lambda o: o.name in ("vector.transfer_read", "vector.transfer_write")):
        reading = op.name == "vector.transfer_read"
        value = op.results[0] if reading else op.operands[0]
        source = op.operands[0] if reading else op.operands[1]
        vtype = ir.VectorType(value.type)
        if vtype.rank != 1 or vtype.shape[0] < 2 or not isinstance(source.type, ir.MemRefType):
            continue
        if "mask" in op.attributes or any(not ir.BoolAttr(b).value for b in ir.ArrayAttr(op.attributes["in_bounds"])):
            continue
        rank = ir.MemRefType(source.type).rank
        amap = ir.AffineMapAttr(op.attributes["permutation_map"]).value
        if amap != ir.AffineMap.get_minor_identity(rank, 1):
            continue
        first = 1 if reading else 2
        indices = list(op.operands[first : first + rank])
        lanes = vtype.shape[0]
        strides, _ = ir.MemRefType(source.type).get_strides_and_offset()
        if strides[-1] != 1 or not _aligned_elements(source, indices, lanes):
            continue
        width = ir.FloatType(vtype.element_type).width if isinstance(vtype.element_type, ir.FloatType) else 32
        alignment = min(lanes * width // 8, VECTOR_BYTES)
        if alignment & (alignment - 1):
            continue
        with op.location, ir.InsertionPoint(op):
            if reading:
                load = vector.LoadOp(vtype, source, indices, alignment=alignment)
                op.results[0].replace_all_uses_with(load.result)
            else:
                vector.StoreOp(value, source, indices, alignment=alignment)
        op.erase()
        count += 1
    return count


def block_reduce_pass(op: ir.Operation, pass_: object) -> None:
    """``tw-gpu-block-reduce`` as a Python pass (module level)."""
    filename = payload_filename(op)

    def is_row_kernel(inner: ir.Operation) -> bool:
        return inner.name == "scf.forall" and ROW_KERNEL_ATTR in inner.attributes

    with op.context:
        for forall in find_ops(op, is_row_kernel):
            drop_self_copies(forall)
            localize_allocations(forall)
            block = block_dims(forall, filename)
            block[0] = row_block_size(block[0])  # as the mapping makes it
            body = forall.regions[0].blocks[0]
            for inner in [o.operation for o in body.operations if o.operation.name == "linalg.reduce"]:
                all_reduce_partials(inner, forall, block, filename)
        # Every kernel's vector accesses (row kernels, vectorized elementwise ops): the alignment
        # is proved per access, so any block forall may take it.
        for forall in block_foralls(op):
            align_vector_accesses(forall)
