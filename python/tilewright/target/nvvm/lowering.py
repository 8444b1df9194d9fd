"""The NVVM target's lowering: GPU-mapped buffers -> kernels in NVVM/LLVM dialect.

``tw-gpu-map``             block/thread foralls -> ``gpu.launch`` (:mod:`.mapping`)
``tw-gpu-outline``         launches -> ``gpu.launch_func`` of kernels in one ``gpu.module @kernels``;
                           workgroup buffers -> shared memory (:mod:`.memory`); the host side
                           checked to hold only buffers, views, copies, launches
``tw-lower-to-nvvm{arch}`` kernels -> NVVM + LLVM dialect, ``#nvvm.target`` attached (the
                           driver's ``nvvm`` stage: the three above)

The host function stays in upstream dialects (``memref``/``gpu.launch_func``): the artifact's
host sequence is read from it (:mod:`.host`), not compiled.

PTX version: every arch gets PTX ISA ``PTX_FEATURE`` (8.0, CUDA 12.0): ``sm_90a`` needs at least
8.0, and CUDA 12.x and 13.x ``ptxas`` accept it (upstream's default for ``sm_80`` is 7.0 and for
``sm_90`` 7.8; a newer one than the installed ``ptxas`` knows fails in ``ptxas``).
"""

from __future__ import annotations

import math

from mlir import ir

from tilewright.lower.i1_storage import widen_i1_storage_pass
from tilewright.mlir_env import find_ops
from tilewright.pipeline import NamedPipeline, PipelineOption, PythonPass, Step
from tilewright.target.nvvm import DEFAULT_ARCH, GPU_ARCHS
from tilewright.target.nvvm.mapping import VIEWS, check_host_side, gpu_map_pass, payload_filename
from tilewright.target.nvvm.memory import hoist_accumulators, lower_kernel_transfers, workgroup_memory
from tilewright.target.nvvm.private import private_memory_pass
from tilewright.target.nvvm.rows import block_reduce_pass
from tilewright.target.nvvm.tensorcore import hoist_pass, tensor_core_pass
from tilewright.target.nvvm.wgmma import wgmma_pass

PTX_FEATURE = "+ptx80"
KERNEL_MODULE = "kernels"

ARCH = PipelineOption("arch", str, DEFAULT_ARCH, f"GPU architecture ({', '.join(GPU_ARCHS)})")


def check_arch(arch: str) -> str:
    if arch not in GPU_ARCHS:
        from tilewright.diagnostics import TilewrightError

        raise TilewrightError(f"unknown GPU arch '{arch}' (known: {', '.join(GPU_ARCHS)})")
    return arch


def container_pass(op: ir.Operation, pass_: object) -> None:
    """Mark the module ``gpu.container_module`` (what outlining and ``gpu.launch_func`` need)."""
    op.attributes["gpu.container_module"] = ir.UnitAttr.get(op.context)


def merge_kernel_modules(op: ir.Operation, pass_: object) -> None:
    """Move every outlined kernel into one ``gpu.module @kernels`` (one PTX, one cubin, one
    module load at run time), each kernel named after the module outlining made for it
    (``main_kernel_3``), and point the launches at it; symbols cloned into several modules
    (``memref.global`` constants) are kept once."""
    context = op.context
    body = op.regions[0].blocks[0]
    modules = [o.operation for o in body.operations if o.operation.name == "gpu.module"]
    if not modules:
        return
    renamed: dict[str, str] = {}
    with context, ir.Location.unknown():
        merged = ir.Operation.create("gpu.module", regions=1, attributes={"sym_name": ir.StringAttr.get(KERNEL_MODULE)})
        merged.regions[0].blocks.append()
        inner = merged.regions[0].blocks[0]
        names: set[str] = set()
        for module in modules:
            module_name = ir.StringAttr(module.attributes["sym_name"]).value
            for child in list(module.regions[0].blocks[0].operations):
                child = child.operation
                if child.name == "gpu.func":
                    old = ir.StringAttr(child.attributes["sym_name"]).value
                    renamed[f"@{module_name}::@{old}"] = module_name
                    child.attributes["sym_name"] = ir.StringAttr.get(module_name)
                elif "sym_name" in child.attributes:
                    name = ir.StringAttr(child.attributes["sym_name"]).value
                    if name in names:
                        continue
                    names.add(name)
                inner.append(child)
        ip = ir.InsertionPoint(modules[0])
        ip.insert(merged)
        for module in modules:
            module.erase()

    def retarget(launch: ir.Operation) -> ir.WalkResult:
        if launch.name == "gpu.launch_func":
            kernel = renamed[str(launch.attributes["kernel"])]
            launch.attributes["kernel"] = ir.SymbolRefAttr.get([KERNEL_MODULE, kernel], context)
        return ir.WalkResult.ADVANCE

    op.walk(retarget)


def noalias_kernel_arguments(op: ir.Operation) -> int:
    """Mark a kernel's memref parameters ``llvm.noalias`` when its launch passes views of
    pairwise distinct buffers (function arguments, allocations): LLVM then keeps a
    reduction's or a matmul's accumulator in a register across its loop instead of storing
    it to global memory at every step. Every kernel's memref parameters get
    ``llvm.align = KERNEL_POINTER_ALIGNMENT``. Returns how many kernels were marked noalias."""
    distinct: set[str] = set()
    for func in op.regions[0].blocks[0].operations:
        if func.operation.name != "func.func" or not func.operation.regions[0].blocks:
            continue
        root: dict[ir.Value, ir.Value] = {}
        for inner in func.operation.regions[0].blocks[0].operations:
            inner = inner.operation
            if inner.name in VIEWS:
                root[inner.results[0]] = root.get(inner.operands[0], inner.operands[0])
            elif inner.name == "gpu.launch_func":
                buffers = [root.get(v, v) for v in inner.operands if isinstance(v.type, ir.MemRefType)]
                if len(set(buffers)) == len(buffers):
                    distinct.add(str(inner.attributes["kernel"]).split("::")[-1].lstrip("@"))
    marked = 0
    for module in op.regions[0].blocks[0].operations:
        if module.operation.name != "gpu.module":
            continue
        for kernel in module.operation.regions[0].blocks[0].operations:
            kernel = kernel.operation
            if kernel.name != "gpu.func":
                continue
            noalias = ir.StringAttr(kernel.attributes["sym_name"]).value in distinct
            args = kernel.regions[0].blocks[0].arguments
            attrs = [
                ir.DictAttr.get(_pointer_attrs(noalias) if isinstance(a.type, ir.MemRefType) else {}) for a in args
            ]
            kernel.attributes["arg_attrs"] = ir.ArrayAttr.get(attrs)
            marked += noalias
    return marked


# Bytes every buffer a kernel gets is aligned to: the runtime passes allocations (cuMemAlloc: 256),
# never offset pointers (a view's offset is in the kernel's memref type). Known to LLVM, 128-bit
# vector accesses (ld.global.v4.f32) are legal where the offsets are multiples of 16 bytes.
KERNEL_POINTER_ALIGNMENT = 16


def _pointer_attrs(noalias: bool) -> dict[str, ir.Attribute]:
    """A kernel's memref parameter: aligned always, ``noalias`` when its launch's buffers are distinct."""
    attrs: dict[str, ir.Attribute] = {
        "llvm.align": ir.IntegerAttr.get(ir.IntegerType.get_signless(64), KERNEL_POINTER_ALIGNMENT)
    }
    if noalias:
        attrs["llvm.noalias"] = ir.UnitAttr.get()
    return attrs


def noalias_pass(op: ir.Operation, pass_: object) -> None:
    with op.context:
        noalias_kernel_arguments(op)


_CONTRACTIBLE = ("arith.mulf", "arith.addf", "arith.subf")


def contract_kernel_math(op: ir.Operation, pass_: object) -> None:
    """``tw-contract-kernel-math``: the kernels' float multiplies and adds may contract into FMAs
    (``fastmath<contract>``), as XLA allows on GPUs: NVPTX emits ``fma.rn`` (one rounding, twice
    the throughput) instead of ``mul.rn`` + ``add.rn``. Host code is untouched."""
    contract = ir.Attribute.parse("#arith.fastmath<contract>", op.context)

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner.name in _CONTRACTIBLE:
            inner.attributes["fastmath"] = contract
        return ir.WalkResult.ADVANCE

    for module in op.regions[0].blocks[0].operations:
        if module.operation.name == "gpu.module":
            module.operation.walk(visit)


CONTRACT_KERNEL_MATH = PythonPass("tw-contract-kernel-math", contract_kernel_math)
# Warp-level vector.contract ops (the tensor-core schedule's) -> nvgpu.mma.sync, accumulators in
# registers (:mod:`.tensorcore`); kernels without them are untouched.
TENSOR_CORES = PythonPass("tw-tensor-cores", tensor_core_pass)


def host_check_pass(op: ir.Operation, pass_: object) -> None:
    check_host_side(op, payload_filename(op))


def workgroup_memory_pass(op: ir.Operation, pass_: object) -> None:
    workgroup_memory(op, payload_filename(op))


_LLVM_CONSTANTS = ("llvm.mlir.poison", "llvm.mlir.undef", "llvm.mlir.zero")


def _no_parameter(value: ir.Value) -> bool:
    """A poison value, a vector constant (vectorized kernels: no host representation) or a
    16-bit float constant (which the tests' GPU emulator cannot pass). Other scalar constants
    stay parameters: sinking them all made the flash attention kernel spill."""
    if value.owner.name == "ub.poison":
        return True
    t = value.type
    return value.owner.name == "arith.constant" and isinstance(t, ir.VectorType | ir.F16Type | ir.BF16Type)


# Thread-private arrays larger than this (flash attention's row state, in local memory) mark a
# launch whose scalar constants stay kernel parameters: sinking them made ptxas spill (bf16 causal
# 4x16x4096x64: 32 bytes of spills at 96 registers sunk, none at 56 as parameters).
PRIVATE_ARRAY_ELEMENTS = 32
# Pure host ops that index math folds to (sunk with their operands, as upstream's
# gpu-launch-sink-index-computations would).
_INDEX_MATH = ("affine.apply", "affine.min", "affine.max")


def _sinkable(op: ir.Operation, constants: tuple[str, ...]) -> bool:
    """Whether ``op`` (at the function's top level) may be cloned into a launch using it."""
    if op.name in constants or op.name == "ub.poison":
        return True
    if op.name in _INDEX_MATH or (op.name.startswith("arith.") and op.name != "arith.constant"):
        return not op.regions and all(
            not isinstance(v.owner, ir.Block) and v.owner.parent.name == "func.func" and _sinkable(v.owner, constants)
            for v in op.operands
        )
    return False


def _large_private_arrays(launch: ir.Operation) -> bool:
    def large(op: ir.Operation) -> bool:
        if op.name != "memref.alloca":
            return False
        t = ir.MemRefType(op.results[0].type)
        return t.has_static_shape and math.prod(t.shape) > PRIVATE_ARRAY_ELEMENTS

    return bool(find_ops(launch, large))


def sink_kernel_constants(module: ir.Operation) -> int:
    """Clone into each ``gpu.launch`` the constants and index math it uses from the host function,
    which the outliner would otherwise make kernel parameters (a loop bound that is a parameter is
    not static: no unrolling, no folding of the indices).

    Folding (``convert-linalg-to-loops``) hoists a launch's constants to the function's entry.
    LLVM-dialect constants have no host form (the ``llvm.mlir.poison`` a wgmma accumulator struct
    starts from) and ``_no_parameter``'s neither (vector constants, 16-bit floats): those are
    always sunk; scalar constants and the index math over them too, except in a launch holding
    thread-private arrays (:data:`PRIVATE_ARRAY_ELEMENTS`). Returns how many uses were rewritten."""
    rewritten = 0
    for launch in find_ops(module, "gpu.launch"):
        body = launch.regions[0].blocks[0]
        constants = _LLVM_CONSTANTS if _large_private_arrays(launch) else (*_LLVM_CONSTANTS, "arith.constant")
        clones: dict[ir.Value, ir.Value] = {}
        # Clones go before the body's first op, in the order made: operands before their users.
        before = ir.InsertionPoint(body.operations[0])

        def clone(
            value: ir.Value, constants: tuple[str, ...] = constants, clones: dict = clones, before=before
        ) -> ir.Value:
            """``value``'s defining op cloned at the launch body's start, its operands first."""
            if value not in clones:
                op = value.owner
                operands = [clone(v) for v in op.operands]
                copy = op.clone(before)
                for i, v in enumerate(operands):
                    copy.operands[i] = v
                clones[value] = copy.results[list(op.results).index(value)]
            return clones[value]

        ops = find_ops(launch, lambda o: o.name != "gpu.launch")
        for inner in ops:
            for i, value in enumerate(inner.operands):
                if isinstance(value.owner, ir.Block) or value.owner.parent.name != "func.func":
                    continue
                if _sinkable(value.owner, constants) or _no_parameter(value):
                    inner.operands[i] = clone(value)
                    rewritten += 1
    return rewritten


def sink_constants_pass(op: ir.Operation, pass_: object) -> None:
    with op.context:
        sink_kernel_constants(op)


def hoist_accumulators_pass(op: ir.Operation, pass_: object) -> None:
    hoist_accumulators(op)


def kernel_transfers_pass(op: ir.Operation, pass_: object) -> None:
    lower_kernel_transfers(op)


GPU_MAP = PythonPass("tw-gpu-map", gpu_map_pass)
# Row kernels: the threads' partials combined by warp shuffles and shared memory, the block's
# buffers private to each thread (target/nvvm/rows.py); before the mapping, which reads the mark.
BLOCK_REDUCE = PythonPass("tw-gpu-block-reduce", block_reduce_pass)
# Loops first (inside the launches, still in the host function) so that booleans can be stored
# as bytes (MemRef-to-LLVM asserts on i1 buffers) in kernels and launch arguments alike.
GPU_OUTLINE: tuple[Step, ...] = (
    # Matmuls the sm_90a schedule marked -> wgmma.mma_async (:mod:`.wgmma`): on the mapped launches
    # (one warpgroup each), before convert-linalg-to-loops.
    PythonPass("tw-wgmma", wgmma_pass),
    # A marked (SIMT) k loop's accumulator tile out of memory into registers (:mod:`.memory`).
    PythonPass("tw-register-accumulators", hoist_accumulators_pass),
    "func.func(convert-linalg-to-loops)",
    PythonPass("tw-widen-i1-storage", widen_i1_storage_pass),
    PythonPass("tw-gpu-container", container_pass),
    # Before outlining: the launches' loops still see their constant bounds and indices.
    PythonPass("tw-hoist-warp-accumulators", hoist_pass),
    # A thread's own temporaries (flash attention's row state) -> allocas, not device malloc.
    PythonPass("tw-private-memory", private_memory_pass),
    # Constants and index math into the launches (not upstream's gpu-launch-sink-index-computations:
    # its constants in flash attention's kernel made ptxas spill, see PRIVATE_ARRAY_ELEMENTS).
    PythonPass("tw-sink-kernel-constants", sink_constants_pass),
    "gpu-kernel-outlining,canonicalize,cse",
    PythonPass("tw-merge-kernel-modules", merge_kernel_modules),
    # Before the workgroup buffers become globals: their accesses are swizzled against bank conflicts.
    TENSOR_CORES,
    # Workgroup buffers (memref.alloc in #gpu.address_space<workgroup>) -> shared-memory globals.
    PythonPass("tw-workgroup-memory", workgroup_memory_pass),
    PythonPass("tw-check-host-side", host_check_pass),
    PythonPass("tw-kernel-noalias", noalias_pass),
    # Vector transfers left in kernels -> 1-D vector loads/stores (no pass of LOWER_KERNELS lowers
    # them); after the tensor-core conversion, which reads transfers.
    PythonPass("tw-kernel-transfers", kernel_transfers_pass),
)

# Inside the kernels: structured ops -> loops, f16/bf16 math through f32, then NVVM. Memrefs are
# passed as bare pointers (static shapes; a view's static offset is in the kernel's type).
LOWER_KERNELS = (
    "gpu.module("
    + ",".join(
        [
            "convert-linalg-to-loops",
            "convert-vector-to-scf{full-unroll=true}",
            "lower-affine",
            "canonicalize",
            "convert-nvgpu-to-nvvm",
            "convert-scf-to-cf",
            "expand-strided-metadata",
            "lower-affine",
            "math-extend-to-supported-types{extra-types=f16,bf16 target-type=f32}",
            "math-expand-ops{ops=rsqrt}",
            "convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=true}",
            # Vectorized kernels (the row schedules' per-thread tiles): transfers and vector
            # loads/stores (aligned where tw-gpu-block-reduce proved it: ld.global.v4) to LLVM,
            # reductions to LLVM intrinsics; then the index vectors and poison values that
            # lowering creates.
            "convert-vector-to-llvm",
            "convert-arith-to-llvm",
            "convert-ub-to-llvm",
            "convert-nvvm-to-llvm",
            "reconcile-unrealized-casts",
            "canonicalize",
            "cse",
        ]
    )
    + ")"
)


def attach_target(arch: str) -> str:
    return f"nvvm-attach-target{{chip={check_arch(arch)} features={PTX_FEATURE} O=3}}"


def lower_to_nvvm(arch: str) -> list[Step]:
    """Map, outline and lower the kernels for ``arch`` (the driver's ``nvvm`` stage)."""
    return [BLOCK_REDUCE, GPU_MAP, *GPU_OUTLINE, attach_target(arch), CONTRACT_KERNEL_MATH, LOWER_KERNELS]


def _pipeline_arch(arch: str) -> list[Step]:
    from tilewright.diagnostics import TilewrightError
    from tilewright.pipeline import PipelineSyntaxError

    try:
        return lower_to_nvvm(arch)
    except TilewrightError as exc:
        raise PipelineSyntaxError(exc.message) from None


PIPELINES: tuple[NamedPipeline, ...] = (
    NamedPipeline("tw-gpu-map", "block/thread-mapped scf.forall (bufferized) -> gpu.launch", (GPU_MAP,)),
    NamedPipeline("tw-gpu-outline", "gpu.launch -> kernels in one gpu.module @kernels; host side checked", GPU_OUTLINE),
    NamedPipeline(
        "tw-lower-to-nvvm",
        "bufferized IR with GPU-mapped foralls -> host launches + NVVM kernels (the driver's nvvm stage)",
        _pipeline_arch,
        options=(ARCH,),
    ),
)
