"""``tw-workgroup-memory``: each workgroup buffer of a kernel becomes NVVM shared memory.

A schedule stages operand tiles in workgroup memory by allocating them in
``#gpu.address_space<workgroup>`` (``bufferization.alloc_tensor {memory_space = ..}``, a
``promote_tensor`` or ``bufferize_to_allocation`` to that space) inside a block-mapped forall:
bufferized, that is a ``memref.alloc`` inside the ``gpu.launch``, outlined into the kernel. A
heap allocation means nothing in a kernel, so after outlining each such ``memref.alloc`` (or
``alloca``) becomes a ``memref.get_global`` of a ``memref.global`` of the same type in the
kernel module (one per buffer, named after the kernel), its deallocations are dropped, and
``convert-gpu-to-nvvm`` lowers the global to a ``.shared`` array in address space 3.

The barriers that order a cooperative copy into the buffer and the reads of it (and those
reads and the next iteration's overwrite) come from the thread mapping
(``map_nested_forall_to_threads`` with ``sync_after_distribute``: a ``gpu.barrier`` after each
thread forall), not from here.

Registers: a schedule marks a loop ``ACCUMULATE`` (``transform.annotate``; the library's matmul
marks its k loop) whose body reads a thread's tile of the result, updates it and writes it back:
:func:`hoist_accumulators` (``tw-register-accumulators``, on the mapped launches) moves that read
before the loop and the write after it, so the tile lives in registers for the whole loop.
In such a loop, :func:`drop_copy_barriers` removes a barrier between two cooperative copies into
different shared buffers (it orders nothing; upstream's barrier elimination cannot tell two
shared globals apart). Only functions with a marked loop: a read/write pair of global memory inside a loop with
barriers may be other threads' communication, which the hoisting would break (the hoisting
moves only pairs no other access in the loop touches).

Vector accesses: :func:`lower_kernel_transfers` (``tw-kernel-transfers``) unrolls the kernels'
``vector.transfer_read``/``write`` to one dimension and lowers them to ``vector.load``/``store``
(masked where not in bounds), which ``convert-gpu-to-nvvm`` turns into LLVM vector loads and
stores: 128-bit ``ld.global.v4``/``ld.shared.v4`` where aligned (``convert-vector-to-scf``
alone leaves 1-D transfers that no kernel lowering takes).

Shared memory is per block and limited: a kernel whose static buffers exceed
``STATIC_SHARED_LIMIT`` (48 KiB, what a launch gets without opting in to more) is an error at
the buffer's location naming the kernel; a workgroup buffer outside any kernel (the host has
no shared memory) or of dynamic shape is an error too.
"""

from __future__ import annotations

from mlir import ir

from tilewright.diagnostics import SourceLocation, TilewrightError, location_of

STATIC_SHARED_LIMIT = 48 * 1024
ACCUMULATE = "tw.accumulate"
_ACCUMULATE_TAG = "tw.accumulate_loop"
SHARED_ALIGNMENT = 16  # bytes: 128-bit vector loads and stores of the buffer (ld.shared.v4.f32)
_ALLOCS = ("memref.alloc", "memref.alloca")


def is_workgroup(t: ir.Type) -> bool:
    """Whether ``t`` is a memref in workgroup memory (``#gpu.address_space<workgroup>`` or 3)."""
    if not isinstance(t, ir.MemRefType):
        return False
    space = t.memory_space
    if space is None:
        return False
    text = str(space)
    return text == "#gpu.address_space<workgroup>" or text.split(":")[0].strip() == "3"


def byte_size(t: ir.MemRefType) -> int:
    """Bytes of a statically shaped memref (sub-byte and i1 elements take a byte)."""
    element = t.element_type
    width = getattr(element, "width", None)
    if width is None:
        width = ir.FloatType(element).width if isinstance(element, ir.FloatType) else 64
    count = 1
    for d in t.shape:
        count *= d
    return count * max(width // 8, 1)


def _where(op: ir.Operation, filename: str) -> SourceLocation:
    return location_of(op.location, filename) or SourceLocation(filename)


def _workgroup_allocs(root: ir.Operation) -> list[ir.Operation]:
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name in _ALLOCS and is_workgroup(op.results[0].type):
            found.append(op)
        return ir.WalkResult.ADVANCE

    root.walk(visit)
    return found


def check_host_workgroup(module: ir.Operation, filename: str) -> None:
    """A workgroup buffer left in a host function (outside every kernel) is an error: the host
    sequence has no shared memory to allocate."""
    for func in module.regions[0].blocks[0].operations:
        if func.operation.name == "func.func":
            for alloc in _workgroup_allocs(func.operation):
                raise TilewrightError(
                    "a workgroup (shared) memory buffer outside any GPU kernel: allocate it inside a "
                    "block-mapped scf.forall",
                    _where(alloc, filename),
                )


def kernel_shared_memory(module: ir.Operation, kernel: ir.Operation, filename: str, limit: int) -> int:
    """Turn ``kernel``'s workgroup allocations into ``memref.global``s of ``module`` (a
    ``gpu.module``); returns the kernel's static shared memory in bytes."""
    name = ir.StringAttr(kernel.attributes["sym_name"]).value
    total = 0
    for index, alloc in enumerate(_workgroup_allocs(kernel)):
        t = ir.MemRefType(alloc.results[0].type)
        if not t.has_static_shape or len(alloc.operands):
            raise TilewrightError(
                f"a workgroup (shared) memory buffer of dynamic shape {t} in kernel '{name}': shared "
                "memory is allocated statically; tile or pad to a static size",
                _where(alloc, filename),
            )
        total += byte_size(t)
        if total > limit:
            raise TilewrightError(
                f"kernel '{name}' needs {total} bytes of static shared memory (at most {limit}): use "
                "smaller tiles for the buffers promoted to workgroup memory",
                _where(alloc, filename),
            )
        symbol = f"{name}_shared_{index}"
        with alloc.location, ir.InsertionPoint(kernel):
            ir.Operation.create(
                "memref.global",
                attributes={
                    "sym_name": ir.StringAttr.get(symbol),
                    "sym_visibility": ir.StringAttr.get("private"),
                    "type": ir.TypeAttr.get(t),
                    "alignment": ir.IntegerAttr.get(ir.IntegerType.get_signless(64), SHARED_ALIGNMENT),
                },
            )
        with alloc.location, ir.InsertionPoint(alloc):
            view = ir.Operation.create(
                "memref.get_global",
                results=[t],
                attributes={"name": ir.FlatSymbolRefAttr.get(symbol)},
            )
        for use in list(alloc.results[0].uses):
            if use.owner.name == "memref.dealloc":
                use.owner.erase()
        alloc.results[0].replace_all_uses_with(view.results[0])
        alloc.erase()
    return total


def workgroup_memory(module: ir.Operation, filename: str, limit: int = STATIC_SHARED_LIMIT) -> dict[str, int]:
    """Every kernel's workgroup buffers -> shared-memory globals (after outlining); returns
    kernel name -> static shared bytes, for the kernels that have any."""
    check_host_workgroup(module, filename)
    sizes: dict[str, int] = {}
    with module.context:
        for gpu_module in module.regions[0].blocks[0].operations:
            if gpu_module.operation.name != "gpu.module":
                continue
            for kernel in list(gpu_module.operation.regions[0].blocks[0].operations):
                kernel = kernel.operation
                if kernel.name == "gpu.func":
                    size = kernel_shared_memory(gpu_module.operation, kernel, filename, limit)
                    if size:
                        sizes[ir.StringAttr(kernel.attributes["sym_name"]).value] = size
    drop_copy_barriers(module)
    return sizes


def hoist_accumulators(module: ir.Operation) -> int:
    """In every loop marked ``ACCUMULATE``: loop-invariant index math and views hoisted, then each
    transfer read/write pair of the same tile moved out of the loop (its value carried in
    registers). Returns how many loops were marked."""
    from tilewright.schedule import Schedule
    from tilewright.schedule import patterns as P
    from tilewright.schedule.apply import apply_script
    from tilewright.schedule.context import build_in

    loops: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "scf.for" and ACCUMULATE in op.attributes:
            loops.append(op)
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    if not loops:
        return 0
    context = module.context
    with context:
        i64 = ir.IntegerType.get_signless(64)
        for index, loop in enumerate(loops):
            loop.attributes[_ACCUMULATE_TAG] = ir.IntegerAttr.get(i64, index)
    with build_in(context):
        s = Schedule("<kernel accumulators>", context=context)
        for index in range(len(loops)):
            loop = s.match("scf.for", attrs={_ACCUMULATE_TAG: f"{index} : i64"})
            loop.parent("func.func").apply_patterns(P.canonicalization(), apply_cse=True)
            loop.apply_licm()
    apply_script(module, s.module, context, "<kernel accumulators>")
    # Upstream's hoist_redundant_vector_transfers refuses buffers with views (the padded result
    # has one): the tensor-core lowering's hoisting takes a tile's view at constant indices.
    from tilewright.target.nvvm.tensorcore import hoist_accumulators as hoist_pairs

    marked: list[ir.Operation] = []

    def collect(op: ir.Operation) -> ir.WalkResult:
        if _ACCUMULATE_TAG in op.attributes:
            marked.append(op)
        return ir.WalkResult.ADVANCE

    module.walk(collect)
    for loop in marked:
        hoist_pairs(loop)

    # The hoisting rebuilt the loops (new iter_args): find them again to drop the tags.
    def untag(op: ir.Operation) -> ir.WalkResult:
        if _ACCUMULATE_TAG in op.attributes:
            del op.attributes[_ACCUMULATE_TAG]
        return ir.WalkResult.ADVANCE

    module.walk(untag)
    return len(loops)


def lower_kernel_transfers(module: ir.Operation) -> bool:
    """The kernels' vector transfers -> 1-D ``vector.load``/``store`` (see the module doc);
    False when no kernel has one."""
    from tilewright.schedule import Schedule
    from tilewright.schedule import patterns as P
    from tilewright.schedule.apply import apply_script
    from tilewright.schedule.context import build_in

    found = False

    def visit(op: ir.Operation) -> ir.WalkResult:
        nonlocal found
        if op.name in ("vector.transfer_read", "vector.transfer_write"):
            found = True
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    for gpu_module in module.regions[0].blocks[0].operations:
        if gpu_module.operation.name == "gpu.module":
            gpu_module.operation.walk(visit)
    if not found:
        return False
    context = module.context
    with build_in(context):
        s = Schedule("<kernel transfers>", context=context)
        kernels = s.match("gpu.module")
        kernels.apply_patterns(
            P.Pattern("vector.transfer_to_scf", "max_transfer_rank = 1 full_unroll = true"),
            P.Pattern("vector.transfer_permutation_patterns"),
            P.lower_transfer(1),
            # n-D vectors LLVM does not take directly (a batch's unit dimension).
            P.Pattern("vector.cast_away_vector_leading_one_dim"),
            P.Pattern("vector.lower_broadcast"),
            P.Pattern("vector.lower_shape_cast"),
            P.canonicalization(),
        )
    apply_script(module, s.module, context, "<kernel transfers>")
    return True


# Ops without memory effects that a copy segment may hold (index math, views, constants).
_PURE_PREFIXES = ("arith.", "affine.apply", "index.", "ub.poison", "gpu.thread_id", "gpu.block_id")
_PURE_OPS = frozenset(
    {"memref.subview", "memref.get_global", "memref.expand_shape", "memref.collapse_shape", "memref.cast"}
)
_READS = {"vector.transfer_read": 0, "vector.load": 0}
_WRITES = {"vector.transfer_write": 1, "vector.store": 1}


def _shared_root(value: ir.Value) -> str | None:
    """The shared global a workgroup view is of (None: not a view of one)."""
    while not isinstance(value.owner, ir.Block):
        owner = value.owner.operation
        if owner.name == "memref.get_global":
            return str(owner.attributes["name"])
        if owner.name not in _PURE_OPS:
            return None
        value = owner.operands[0]
    return None


def _copy_targets(segment: list[ir.Operation]) -> set[str] | None:
    """The shared globals a segment writes when all it does is read global memory and write
    shared memory (a cooperative copy); None otherwise."""
    written: set[str] = set()
    for op in segment:
        if op.name in _PURE_OPS or op.name.startswith(_PURE_PREFIXES):
            continue
        if op.name in _READS and not is_workgroup(op.operands[_READS[op.name]].type):
            continue
        if op.name in _WRITES and is_workgroup(op.operands[_WRITES[op.name]].type):
            root = _shared_root(op.operands[_WRITES[op.name]])
            if root is None:
                return None
            written.add(root)
            continue
        return None
    return written


def drop_copy_barriers(module: ir.Operation) -> int:
    """In the kernels' ``ACCUMULATE`` loops, each barrier whose both sides (up to the barriers
    around it; the loop body ends with one) are cooperative copies into different shared
    buffers goes: the copies read only global memory and write only their own buffer, so the
    barrier orders nothing. Returns how many were removed."""
    loops: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "scf.for" and ACCUMULATE in op.attributes:
            loops.append(op)
        return ir.WalkResult.ADVANCE

    for gpu_module in module.regions[0].blocks[0].operations:
        if gpu_module.operation.name == "gpu.module":
            gpu_module.operation.walk(visit)
    removed = 0
    for loop in loops:
        body = [op.operation for op in loop.regions[0].blocks[0].operations]
        barriers = [i for i, op in enumerate(body) if op.name == "gpu.barrier"]
        if not barriers or barriers[-1] != len(body) - 2:  # the body's last op before the yield
            continue
        bounds = [-1, *barriers]
        dropped: list[ir.Operation] = []
        for k in range(1, len(bounds) - 1):
            before = _copy_targets(body[bounds[k - 1] + 1 : bounds[k]])
            after = _copy_targets(body[bounds[k] + 1 : bounds[k + 1]])
            if before is not None and after is not None and not before & after:
                dropped.append(body[bounds[k]])
        for barrier in dropped:
            barrier.erase()
            removed += 1
    return removed
