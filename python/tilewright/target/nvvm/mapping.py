"""``tw-gpu-map``: the schedule's block-mapped ``scf.forall`` loops (bufferized) become
``gpu.launch`` ops, their nested thread-mapped foralls thread ids.

The schedule (the NVVM library's or a user's) tiles before bufferization and marks each loop
``#gpu.block<..>`` or ``#gpu.thread<..>``; upstream maps them only on buffers. Each top-level
block forall gets its own launch, whose block size is the largest trip count of its thread
foralls in each dimension (a smaller one is predicated by upstream's mapping). The script is
built with the schedule API (:meth:`GpuOps.map_forall_to_blocks`,
:meth:`GpuOps.map_nested_forall_to_threads`), so ``--dump-dir`` shows the same ops a user's
schedule would apply.
"""

from __future__ import annotations

import re

from mlir import ir

from tilewright.diagnostics import SourceLocation, TilewrightError, location_of
from tilewright.mlir_env import find_ops
from tilewright.schedule.nvvm.reduction import ROW_KERNEL_ATTR, row_block_size

LAUNCH_TAG = "tw.gpu_launch"
WARP_SIZE = 32
# The mark of a vector.contract a whole warp runs (in a #gpu.warp forall): tw-tensor-cores turns
# those into mma.sync (:mod:`.tensorcore`).
WARP_LEVEL = "tw.warp_level"
# Ops whose result views their operand's buffer (the artifact and noalias follow them to the buffer).
VIEWS = ("memref.subview", "memref.expand_shape", "memref.collapse_shape", "memref.cast", "memref.reinterpret_cast")
_DIM = re.compile(r"#gpu\.(block|thread|warp|lane)<([xyz])>")


def _mapping(forall: ir.Operation) -> list[tuple[str, str]]:
    """[(kind, dim)] of a forall's mapping attribute: [("block", "y"), ("block", "x")]."""
    if "mapping" not in forall.attributes:
        return []
    return _DIM.findall(str(forall.attributes["mapping"]))


def _trip_counts(forall: ir.Operation) -> list[int] | None:
    """Static iteration counts of each dimension of a forall (None if any bound is dynamic)."""
    try:
        lbs = list(ir.DenseI64ArrayAttr(forall.attributes["staticLowerBound"]))
        ubs = list(ir.DenseI64ArrayAttr(forall.attributes["staticUpperBound"]))
        steps = list(ir.DenseI64ArrayAttr(forall.attributes["staticStep"]))
    except (KeyError, ValueError):
        return None
    dynamic = ir.ShapedType.get_dynamic_size()
    if dynamic in (*lbs, *ubs, *steps):
        return None
    return [-(-(u - lb) // s) for lb, u, s in zip(lbs, ubs, steps, strict=True)]


def block_dims(forall: ir.Operation, filename: str) -> list[int]:
    """The block size (x, y, z) a block forall's nested thread foralls need."""
    dims = {"x": 1, "y": 1, "z": 1}
    for inner in find_ops(forall, "scf.forall"):
        mapping = _mapping(inner)
        if inner == forall or not mapping or mapping[0][0] not in ("thread", "warp"):
            continue
        counts = _trip_counts(inner)
        if counts is None:
            raise TilewrightError(
                "a thread-mapped scf.forall has dynamic bounds: the block size must be static",
                location_of(inner.location, filename),
            )
        for (kind, dim), count in zip(mapping, counts, strict=True):
            # A warp forall's x dimension counts warps: WARP_SIZE threads each (upstream's
            # warp ids are the thread ids of x divided by it).
            dims[dim] = max(dims[dim], count * WARP_SIZE if kind == "warp" and dim == "x" else count)
    threads = dims["x"] * dims["y"] * dims["z"]
    if threads > 1024:
        raise TilewrightError(
            f"a GPU block of {dims['x']}x{dims['y']}x{dims['z']} = {threads} threads (at most 1024)",
            location_of(forall.location, filename),
        )
    return [dims["x"], dims["y"], dims["z"]]


def mark_warp_level(forall: ir.Operation) -> int:
    """Mark the ``vector.contract`` ops of a warp-mapped forall :data:`WARP_LEVEL` (before mapping:
    the mark survives it and outlining). Returns how many."""
    contracts: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "vector.contract":
            contracts.append(op)
        return ir.WalkResult.ADVANCE

    forall.walk(visit)
    for op in contracts:
        op.attributes[WARP_LEVEL] = ir.UnitAttr.get(op.context)
    return len(contracts)


def block_foralls(module: ir.Operation) -> list[ir.Operation]:
    """The outermost ``#gpu.block`` foralls of every function, in order."""

    def is_block_forall(op: ir.Operation) -> bool:
        mapping = _mapping(op) if op.name == "scf.forall" else []
        return bool(mapping) and mapping[0][0] == "block"

    return find_ops(module, is_block_forall, pre_order=True, prune=is_block_forall)


def map_to_gpu(module: ir.Operation, filename: str) -> int:
    """Map every block forall of ``module`` to a ``gpu.launch``; returns how many."""
    from tilewright.schedule import Schedule
    from tilewright.schedule.apply import apply_script
    from tilewright.schedule.context import build_in

    foralls = block_foralls(module)
    if not foralls:
        return 0
    context = module.context
    with context:
        i64 = ir.IntegerType.get_signless(64)
        dims = []
        for index, forall in enumerate(foralls):
            dims.append(block_dims(forall, filename))
            for inner in find_ops(forall, "scf.forall"):
                if _mapping(inner)[:1] and _mapping(inner)[0][0] == "warp":
                    mark_warp_level(inner)
            if ROW_KERNEL_ATTR in forall.attributes:  # whole warps
                dims[-1][0] = row_block_size(dims[-1][0])
            forall.attributes[LAUNCH_TAG] = ir.IntegerAttr.get(i64, index)
    with build_in(context):
        s = Schedule("<gpu mapping>", context=context)
        # A row kernel's buffers are private to each thread and its threads meet only in its
        # reductions' shuffles (target/nvvm/rows.py): no barrier after its thread foralls.
        syncs = [ROW_KERNEL_ATTR not in forall.attributes for forall in foralls]
        for index, block in enumerate(dims):
            forall = s.match("scf.forall", attrs={LAUNCH_TAG: f"{index} : i64"})
            launch = forall.map_forall_to_blocks(generate_gpu_launch=True)
            launch.map_nested_forall_to_threads(block, sync_after_distribute=syncs[index])
    apply_script(module, s.module, context, "<gpu mapping>")
    return len(foralls)


def launch_leftovers(module: ir.Operation, filename: str) -> int:
    """Each linalg op the schedule left on the host runs alone in a one-thread ``gpu.launch``
    (a scalar computation: ``1024 - n`` of a layernorm); one of more than one element gets a
    RuntimeWarning naming it, since one thread is all it gets. Returns how many."""
    import warnings

    from mlir.dialects import arith, gpu

    leftovers = []
    for func in module.regions[0].blocks[0].operations:
        if func.operation.name == "func.func" and func.operation.regions[0].blocks:
            block = func.operation.regions[0].blocks[0]
            leftovers += [op.operation for op in block.operations if op.operation.name.startswith("linalg.")]
    for op in leftovers:
        elements = max((_elements(v.type) for v in op.operands), default=1)
        if elements > 1:
            where = location_of(op.location, filename) or SourceLocation(filename)
            warnings.warn(
                f"{where}: '{op.name}' ({elements} elements) is not mapped to GPU blocks/threads by the schedule: "
                "it runs in one GPU thread",
                RuntimeWarning,
                stacklevel=2,
            )
        with module.context, op.location, ir.InsertionPoint(op):
            one = arith.ConstantOp(ir.IndexType.get(), 1).result
            launch = gpu.LaunchOp((one, one, one), (one, one, one))
            with ir.InsertionPoint(launch.body.blocks[0]):
                terminator = gpu.TerminatorOp()
            op.move_before(terminator)
    return len(leftovers)


def _elements(t: ir.Type) -> int:
    try:
        shaped = ir.ShapedType(t)
    except ValueError:
        return 1
    count = 1
    for i in range(shaped.rank):
        count *= max(shaped.get_dim_size(i), 1)
    return count


def sink_host_loads(module: ir.Operation) -> int:
    """A ``memref.load`` at a function's top level (a scalar read out of a rank-0 buffer, which
    bufferization hoists before the loops using it: a ``select``'s predicate) is cloned into
    each top-level forall that uses it, so it runs on the device. Returns how many moved."""
    moved = 0
    for func in module.regions[0].blocks[0].operations:
        if func.operation.name != "func.func" or not func.operation.regions[0].blocks:
            continue
        block = func.operation.regions[0].blocks[0]
        for load in [o.operation for o in block.operations if o.operation.name == "memref.load"]:
            value = load.results[0]
            owners = {}
            for use in list(value.uses):
                top = use.owner
                while top.parent is not None and top.parent != func.operation:
                    top = top.parent
                if top.name != "scf.forall":
                    break
                owners.setdefault(str(top.location) + str(id(top)), (top, []))[1].append(use)
            else:
                for top, uses in owners.values():
                    body = top.regions[0].blocks[0]
                    clone = load.clone(ir.InsertionPoint.at_block_begin(body))
                    for use in uses:
                        use.owner.operands[use.operand_number] = clone.results[0]
                load.erase()
                moved += 1
    return moved


LEFTOVER_TAG = "tw.gpu_leftover"


def _host_ops(module: ir.Operation) -> list[ir.Operation]:
    """The ops at the top level of every function body."""
    ops = []
    for func in module.regions[0].blocks[0].operations:
        if func.operation.name == "func.func" and func.operation.regions[0].blocks:
            ops += [op.operation for op in func.operation.regions[0].blocks[0].operations]
    return ops


def whole_buffer(value: ir.Value) -> bool:
    """Whether ``value`` is a row-major buffer of identity layout (not a strided view)."""
    t = ir.MemRefType(value.type)
    return isinstance(t.layout, ir.AffineMapAttr) and t.layout.value == ir.AffineMap.get_identity(t.rank)


def strided_copies_to_linalg(module: ir.Operation) -> int:
    """A host ``memref.copy`` into or out of a strided view (a pad's interior) becomes a
    ``linalg.copy``, which the leftover tiling maps to threads; copies of whole buffers stay (the
    artifact's device-to-device copies)."""
    from mlir.dialects import linalg

    count = 0
    for op in _host_ops(module):
        if op.name == "memref.copy" and not (whole_buffer(op.operands[0]) and whole_buffer(op.operands[1])):
            with op.location, ir.InsertionPoint(op):
                linalg.copy(op.operands[0], outs=[op.operands[1]])
            op.erase()
            count += 1
    return count


def _parallel_ranges(op: ir.Operation) -> tuple[int, ...] | None:
    """The static loop ranges of an all-parallel linalg op whose iteration space is its init's
    shape (``map``, ``copy``, ``fill``, ``transpose``, ``broadcast``, elementwise generics); None
    for anything else."""
    if "iterator_types" in op.attributes:
        kinds = {str(a).split("<")[-1].rstrip(">") for a in ir.ArrayAttr(op.attributes["iterator_types"])}
        maps = ir.ArrayAttr(op.attributes["indexing_maps"])
        init_map = ir.AffineMapAttr(maps[len(maps) - 1]).value
        if kinds != {"parallel"} or init_map != ir.AffineMap.get_identity(init_map.n_dims):
            return None
    elif op.name not in ("linalg.map", "linalg.copy", "linalg.fill", "linalg.transpose", "linalg.broadcast"):
        return None
    init = ir.MemRefType(op.operands[len(op.operands) - 1].type)
    return tuple(init.shape) if init.has_static_shape and init.rank else None


def tile_leftovers(module: ir.Operation, filename: str) -> int:
    """Each all-parallel linalg op left on the host (a pad's fill and copy, an op the schedule
    did not map) is tiled into block and thread foralls as the library tiles elementwise ops
    (:func:`tilewright.schedule.nvvm.elementwise_tilings`), on buffers. Returns how many."""
    from tilewright.schedule import Schedule
    from tilewright.schedule.apply import apply_script
    from tilewright.schedule.context import build_in
    from tilewright.schedule.info import LinalgOpInfo
    from tilewright.schedule.nvvm import elementwise_tilings

    context = module.context
    plans = []
    with context:
        i64 = ir.IntegerType.get_signless(64)
        for op in _host_ops(module):
            ranges = _parallel_ranges(op) if op.name.startswith("linalg.") else None
            if ranges is None:
                continue
            info = LinalgOpInfo(op.name, len(plans), "", (), (), ("parallel",) * len(ranges), (), ranges)
            tilings = elementwise_tilings(info)
            if tilings is not None:
                op.attributes[LEFTOVER_TAG] = ir.IntegerAttr.get(i64, len(plans))
                plans.append(tilings)
    if not plans:
        return 0
    with build_in(context):
        s = Schedule("<gpu leftovers>", context=context)
        for index, (block, thread) in enumerate(plans):
            handle = s.match(interface="LinalgOp", attrs={LEFTOVER_TAG: f"{index} : i64"})
            tiled, _ = handle.tile_forall(tile_sizes=list(block.sizes), mapping=block.attr())
            tiled.tile_forall(num_threads=list(thread.sizes), mapping=thread.attr())
    apply_script(module, s.module, context, "<gpu leftovers>")
    return len(plans)


def gpu_map_pass(op: ir.Operation, pass_: object) -> None:
    """``tw-gpu-map`` as a Python pass (module level): scalar loads into the loops using them,
    host copies of views and all-parallel ops left on the host tiled into foralls (and the loads
    they use sunk into them), the foralls mapped, then what is left in one-thread launches."""
    filename = payload_filename(op)
    sink_host_loads(op)
    strided_copies_to_linalg(op)
    if tile_leftovers(op, filename):
        sink_host_loads(op)  # a load used by a leftover (a pad's fill value) is inside its forall now
    map_to_gpu(op, filename)
    launch_leftovers(op, filename)


def payload_filename(op: ir.Operation) -> str:
    where = location_of(op.location)
    return where.filename if where is not None else "<input>"


# Ops the host side of an NVVM program may hold: buffers, views of them, copies and launches
# (what the artifact's host sequence expresses, :mod:`tilewright.target.nvvm.host`).
HOST_OPS = frozenset(
    {
        "arith.constant",
        "ub.poison",
        "memref.alloc",
        "memref.dealloc",
        "memref.subview",
        "memref.expand_shape",
        "memref.collapse_shape",
        "memref.cast",
        "memref.reinterpret_cast",
        "memref.get_global",
        "memref.copy",
        "gpu.launch",
        "gpu.launch_func",
        "func.return",
    }
)


def check_host_side(module: ir.Operation, filename: str) -> None:
    """Every op left outside a kernel in a function must be one the host sequence expresses;
    the first other one (a linalg op the schedule did not map, a host loop) is an error at its
    location: a kernel-less op would not run on the GPU."""
    for func in module.regions[0].blocks[0].operations:
        if func.operation.name != "func.func" or not func.operation.regions[0].blocks:
            continue
        for op in func.operation.regions[0].blocks[0].operations:
            op = op.operation
            if op.name not in HOST_OPS:
                where = location_of(op.location, filename) or SourceLocation(filename)
                raise TilewrightError(
                    f"'{op.name}' is not mapped to the GPU (no block/thread scf.forall around it): the NVVM "
                    "target runs only kernels; schedule it with tile_forall(mapping=[#gpu.block<..>])",
                    where,
                )
