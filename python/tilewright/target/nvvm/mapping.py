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

LAUNCH_TAG = "tw.gpu_launch"
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
        if inner == forall or not mapping or mapping[0][0] not in ("thread",):
            continue
        counts = _trip_counts(inner)
        if counts is None:
            raise TilewrightError(
                "a thread-mapped scf.forall has dynamic bounds: the block size must be static",
                location_of(inner.location, filename),
            )
        for (_, dim), count in zip(mapping, counts, strict=True):
            dims[dim] = max(dims[dim], count)
    threads = dims["x"] * dims["y"] * dims["z"]
    if threads > 1024:
        raise TilewrightError(
            f"a GPU block of {dims['x']}x{dims['y']}x{dims['z']} = {threads} threads (at most 1024)",
            location_of(forall.location, filename),
        )
    return [dims["x"], dims["y"], dims["z"]]


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
            forall.attributes[LAUNCH_TAG] = ir.IntegerAttr.get(i64, index)
    with build_in(context):
        s = Schedule("<gpu mapping>", context=context)
        for index, block in enumerate(dims):
            forall = s.match("scf.forall", attrs={LAUNCH_TAG: f"{index} : i64"})
            launch = forall.map_forall_to_blocks(generate_gpu_launch=True)
            launch.map_nested_forall_to_threads(block)
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


def gpu_map_pass(op: ir.Operation, pass_: object) -> None:
    """``tw-gpu-map`` as a Python pass (module level): scalar loads into the loops using them,
    the schedule's foralls, then leftovers."""
    filename = payload_filename(op)
    sink_host_loads(op)
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
