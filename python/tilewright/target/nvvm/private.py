"""``tw-private-memory``: a kernel's own small temporaries become stack (thread-private) buffers.

A schedule that computes in each thread on tensors (the flash attention's per-row state and
score block, :mod:`tilewright.schedule.nvvm.attention`) bufferizes to ``memref.alloc`` +
``memref.dealloc`` pairs inside the kernel. On a GPU, ``memref.alloc`` would lower to a call of
the device heap's ``malloc`` per thread and iteration; a static buffer of the thread is a
``memref.alloca`` instead (``.local`` memory, registers where LLVM's SROA promotes it). Each
alloca is hoisted to the kernel's entry block (an alloca inside a loop would be a dynamic stack
allocation per iteration) when its buffer lives within one iteration: deallocated in the block
that allocates it and never yielded.

Buffers in another memory space (workgroup: :mod:`.memory`) and dynamic shapes are left alone.
"""

from __future__ import annotations

from mlir import ir

from tilewright.target.nvvm.mapping import VIEWS

# Larger buffers stay on the heap (a thread's stack is small; a schedule should not make them).
MAX_PRIVATE_BYTES = 16 * 1024


def _static_bytes(t: ir.MemRefType) -> int | None:
    if not t.has_static_shape:
        return None
    count = 1
    for d in t.shape:
        count *= d
    width = ir.FloatType(t.element_type).width if isinstance(t.element_type, ir.FloatType) else 64
    if isinstance(t.element_type, ir.IntegerType):
        width = ir.IntegerType(t.element_type).width
    return count * max(width // 8, 1)


def private_buffers(module: ir.Operation) -> int:
    """Rewrite the default-space static ``memref.alloc`` of every ``gpu.launch`` (see the module
    docstring); returns how many."""
    count = 0
    helpers: set[str] = set()
    launches: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "gpu.launch":
            launches.append(op)
            return ir.WalkResult.SKIP
        return ir.WalkResult.ADVANCE

    module.walk(visit, ir.WalkOrder.PRE_ORDER)
    for launch in launches:
        dropped = _drop_deallocations(launch)
        helpers |= dropped
        count += _privatize(launch)
        _sink_flags(launch)
    _erase_unused(module, helpers)
    return count


def _sink_flags(launch: ir.Operation) -> None:
    """Boolean constants from outside used in the launch (the ownership flags a loop still carries
    once its deallocations are gone) are cloned into it: a kernel takes no ``i1`` parameter."""
    entry = launch.regions[0].blocks[0]
    for operand_owner in _outside_i1_constants(launch):
        clone = operand_owner.clone(ir.InsertionPoint.at_block_begin(entry))
        for use in list(operand_owner.results[0].uses):
            if _inside(use.owner.operation, launch):
                use.owner.operation.operands[use.operand_number] = clone.results[0]


def _outside_i1_constants(launch: ir.Operation) -> list[ir.Operation]:
    found: dict[str, ir.Operation] = {}

    def visit(op: ir.Operation) -> ir.WalkResult:
        for value in op.operands:
            owner = value.owner
            if (
                isinstance(owner, ir.Operation | ir.OpView)
                and owner.operation.name == "arith.constant"
                and isinstance(value.type, ir.IntegerType)
                and ir.IntegerType(value.type).width == 1
                and not _inside(owner.operation, launch)
            ):
                found[value.get_name()] = owner.operation
        return ir.WalkResult.ADVANCE

    launch.walk(visit)
    return list(found.values())


def _inside(op: ir.Operation, launch: ir.Operation) -> bool:
    current: ir.Operation | None = op.operation
    while current is not None:
        if current == launch.operation:
            return True
        parent = current.parent
        current = parent.operation if parent is not None else None
    return False


def _drop_deallocations(launch: ir.Operation) -> set[str]:
    """Erase the ownership-based deallocation inside a launch (``memref.dealloc`` and the calls of
    its ``dealloc_helper``): a stack buffer is freed with its thread. Returns the helpers' names."""
    doomed: list[ir.Operation] = []
    helpers: set[str] = set()

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "memref.dealloc":
            doomed.append(op)
        elif op.name == "func.call":
            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            if callee.startswith("dealloc_helper"):
                doomed.append(op)
                helpers.add(callee)
        return ir.WalkResult.ADVANCE

    launch.walk(visit)
    for op in doomed:
        op.erase()
    return helpers


def _erase_unused(module: ir.Operation, names: set[str]) -> None:
    """Erase the functions ``names`` when nothing calls them any more."""
    called: set[str] = set()

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "func.call":
            called.add(ir.FlatSymbolRefAttr(op.attributes["callee"]).value)
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    for func in list(module.regions[0].blocks[0].operations):
        func = func.operation
        if func.name == "func.func" and ir.StringAttr(func.attributes["sym_name"]).value in names - called:
            func.erase()


def _privatize(launch: ir.Operation) -> int:
    allocs: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "memref.alloc":
            t = ir.MemRefType(op.results[0].type)
            size = _static_bytes(t)
            if t.memory_space is None and size is not None and size <= MAX_PRIVATE_BYTES:
                allocs.append(op)
        return ir.WalkResult.ADVANCE

    launch.walk(visit)
    entry = launch.regions[0].blocks[0]
    for alloc in allocs:
        value = alloc.results[0]
        local = not _escapes(value)
        where = ir.InsertionPoint.at_block_begin(entry) if local else ir.InsertionPoint(alloc)
        with alloc.location:
            alloca = ir.Operation.create(
                "memref.alloca",
                results=[value.type],
                operands=[],
                attributes={a.name: a.attr for a in (alloc.attributes[i] for i in range(len(alloc.attributes)))},
                ip=where,
            )
        value.replace_all_uses_with(alloca.results[0])
        alloc.erase()
    return len(allocs)


def _escapes(value: ir.Value) -> bool:
    """Whether the buffer (or a view of it) is yielded out of its block or returned."""
    for use in value.uses:
        owner = use.owner.operation
        if owner.name in ("scf.yield", "func.return", "gpu.return", "bufferization.dealloc"):
            return True
        if owner.name in VIEWS and _escapes(owner.results[0]):
            return True
    return False


def private_memory_pass(op: ir.Operation, pass_: object) -> None:
    with op.context:
        private_buffers(op)
