"""The GPU emulator's compile time (:mod:`gpu_emulator` runs it): an outlined NVVM program
rewritten into a host program. Each ``gpu.func`` becomes ``func.func @tw_emu_kernel_<k>`` taking
its arguments, then the block id, thread id, grid and block sizes (x, y, z each) and the linear
thread id; each ``gpu.launch_func`` a call to ``tw_emu_launch_<k>`` (grid, block, arguments);
barriers, shuffles and subgroup reductions calls to ``tw_emu_barrier``, ``tw_emu_shuffle``
(the value's bits in an i64), ``tw_emu_shuffle_valid`` and ``tw_emu_reduce``; workgroup memory
one ``memref.global`` per buffer per kernel; every memref's memory space is dropped.
"""

from __future__ import annotations

import ctypes
import re
from typing import Any

import ml_dtypes
import numpy as np
from mlir import ir
from mlir.dialects import arith, func, memref, vector

from tilewright.mlir_env import find_ops, parse_module

WARP = 32

_ID_OPS = {"gpu.block_id": 0, "gpu.thread_id": 3, "gpu.grid_dim": 6, "gpu.block_dim": 9}
_DIM = {"x": 0, "y": 1, "z": 2}
_LINEAR = 12  # the kernel function's argument after the 12 ids and sizes: the linear thread id
SHUFFLE_MODES = ("xor", "up", "down", "idx")
# Element types of mma.sync operands, by code (tf32: f32 in memory, 10 mantissa bits used).
MMA_TYPES = ("f16", "bf16", "tf32", "f32")
# Element types a shuffle or reduction carries (as the bits of an i64), by code.
DTYPES: tuple[tuple[str, Any], ...] = (
    ("f16", np.float16),
    ("bf16", ml_dtypes.bfloat16),
    ("f32", np.float32),
    ("f64", np.float64),
    ("i8", np.int8),
    ("i16", np.int16),
    ("i32", np.int32),
    ("i64", np.int64),
)
CTYPES = {"index": ctypes.c_int64, "i64": ctypes.c_int64, "i32": ctypes.c_int32, "i16": ctypes.c_int16}
CTYPES |= {"i8": ctypes.c_int8, "i1": ctypes.c_bool, "f32": ctypes.c_float, "f64": ctypes.c_double}


REDUCE_KINDS = (
    "add",
    "mul",
    "minui",
    "minsi",
    "minnumf",
    "maxui",
    "maxsi",
    "maxnumf",
    "and",
    "or",
    "xor",
    "minimumf",
    "maximumf",
)


class EmulationError(RuntimeError):
    """A kernel did something a GPU would hang or be undefined on (a divergent barrier, a
    shuffle from a lane outside its mask), or an emulated operation failed."""


def _ctype(t: ir.Type) -> Any:
    if isinstance(t, ir.MemRefType):
        return ctypes.c_void_p  # a pointer to the memref's descriptor (C interface)
    name = str(t)
    if name not in CTYPES:
        raise EmulationError(f"a kernel parameter of type {name} cannot be passed by the emulator")
    return CTYPES[name]


def host_module(module: ir.Module, context: ir.Context) -> list[tuple[str, list[Any], bool]]:
    """Rewrite ``module`` in place (see the module's docstring); returns, per kernel index, its
    name, its parameters' ctypes and whether it synchronises (barrier, shuffle, reduction)."""
    with context, ir.Location.unknown():
        body = module.body
        gpu_modules = [op.operation for op in body.operations if op.operation.name == "gpu.module"]
        kernels: list[tuple[str, list[Any], bool]] = []
        index_of: dict[str, int] = {}
        top_ip = ir.InsertionPoint(body)
        symbols = {
            ir.StringAttr(op.operation.attributes["sym_name"]).value
            for op in body.operations
            if "sym_name" in op.operation.attributes
        }
        for gpu_module in gpu_modules:
            module_name = ir.StringAttr(gpu_module.attributes["sym_name"]).value
            for op in list(gpu_module.regions[0].blocks[0].operations):
                op = op.operation
                if op.name == "gpu.func":
                    name = ir.StringAttr(op.attributes["sym_name"]).value
                    index = len(kernels)
                    index_of[f"@{module_name}::@{name}"] = index
                    types, sync = _kernel_function(op, index, top_ip)
                    kernels.append((name, types, sync))
                elif "sym_name" in op.attributes:
                    if ir.StringAttr(op.attributes["sym_name"]).value not in symbols:
                        op.move_before(gpu_modules[0])
            gpu_module.erase()
        _replace_launches(module, index_of, kernels, top_ip)
        _declare_callbacks(top_ip)
        if "gpu.container_module" in module.operation.attributes:
            del module.operation.attributes["gpu.container_module"]
    text = _strip_memory_spaces(str(module))
    reparsed = parse_module(text, "<emulated>", context)
    body = module.body
    for op in list(body.operations):
        op.operation.erase()
    for op in list(reparsed.body.operations):
        body.append(op.operation)
    return kernels


def address_functions(module: ir.Module, context: ir.Context, kernels: int) -> None:
    """``tw_emu_address_<k>() -> i64``: the address of kernel k's C interface (the engine's
    lookups give the packed wrappers only; the kernels are called directly, with no packing)."""
    if not kernels:
        return
    text = "\n".join(
        f"llvm.func @tw_emu_address_{k}() -> i64 attributes {{llvm.emit_c_interface}} {{\n"
        f"  %p = llvm.mlir.addressof @_mlir_ciface_tw_emu_kernel_{k} : !llvm.ptr\n"
        "  %i = llvm.ptrtoint %p : !llvm.ptr to i64\n"
        "  llvm.return %i : i64\n}"
        f"\nllvm.func @_mlir_ciface_tw_emu_kernel_{k}()"  # a stand-in, for the parser's verifier
        for k in range(kernels)
    )
    parsed = parse_module(text, "<emulated>", context)  # alive while its ops move
    for op in list(parsed.body.operations):
        if len(op.operation.regions[0].blocks):
            module.body.append(op.operation)


def _declare(name: str, inputs: list[ir.Type], results: list[ir.Type], ip: ir.InsertionPoint) -> None:
    with ip:
        decl = func.FuncOp(name, (inputs, results), visibility="private")
    decl.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()


def _declare_callbacks(ip: ir.InsertionPoint) -> None:
    i32, i64 = ir.IntegerType.get_signless(32), ir.IntegerType.get_signless(64)
    _declare("tw_emu_barrier", [], [], ip)
    _declare("tw_emu_shuffle", [i64, i32, i32, i32], [i64], ip)
    _declare("tw_emu_shuffle_valid", [i32, i32, i32], [i32], ip)
    _declare("tw_emu_reduce", [i64, i32, i32, i32, i32], [i64], ip)
    _declare("tw_emu_mma", [i64] * 4 + [i32] * 5, [], ip)
    _declare("tw_emu_ldmatrix", [i64, i64, i32, i32, i32], [], ip)


def _replace_launches(
    module: ir.Module, index_of: dict[str, int], kernels: list[tuple[str, list[Any], bool]], ip: ir.InsertionPoint
) -> None:
    index_type = ir.IndexType.get()
    declared: set[int] = set()
    for launch in find_ops(module.operation, "gpu.launch_func"):
        view = launch.opview
        index = index_of[str(launch.attributes["kernel"])]
        operands = list(view.kernelOperands)
        if index not in declared:
            _declare(f"tw_emu_launch_{index}", [index_type] * 6 + [v.type for v in operands], [], ip)
            declared.add(index)
        sizes = [view.gridSizeX, view.gridSizeY, view.gridSizeZ, view.blockSizeX, view.blockSizeY, view.blockSizeZ]
        with ir.InsertionPoint(launch), launch.location:
            func.CallOp([], f"tw_emu_launch_{index}", [*sizes, *operands])
        launch.erase()


def _constant_i32(value: int) -> ir.Value:
    return arith.ConstantOp(ir.IntegerType.get_signless(32), value).result


def _kernel_function(kernel: ir.Operation, index: int, ip: ir.InsertionPoint) -> tuple[list[Any], bool]:
    """``gpu.func`` -> ``func.func @tw_emu_kernel_<index>(args..., ids and sizes, linear id)``."""
    ftype = ir.FunctionType(ir.TypeAttr(kernel.attributes["function_type"]).value)
    inputs = list(ftype.inputs)
    index_type = ir.IndexType.get()
    with ip:
        fn = func.FuncOp(f"tw_emu_kernel_{index}", (inputs + [index_type] * 13, []))
    fn.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
    if "arg_attrs" in kernel.attributes:
        attrs = list(ir.ArrayAttr(kernel.attributes["arg_attrs"]))
        fn.attributes["arg_attrs"] = ir.ArrayAttr.get(attrs + [ir.DictAttr.get({})] * 13)
    entry = fn.add_entry_block()
    blocks = list(kernel.regions[0].blocks)
    if len(blocks) != 1:
        raise EmulationError(f"kernel {kernel.attributes['sym_name']} has {len(blocks)} blocks (one expected)")
    old = blocks[0]
    workgroup = (
        int(ir.IntegerAttr(kernel.attributes["workgroup_attributions"]).value)
        if ("workgroup_attributions" in kernel.attributes)
        else 0
    )
    for op in list(old.operations):
        entry.append(op.operation)
    args = list(entry.arguments)
    with ir.InsertionPoint.at_block_begin(entry):
        for i, old_arg in enumerate(old.arguments):
            if i < len(inputs):
                old_arg.replace_all_uses_with(args[i])
            elif i < len(inputs) + workgroup:
                old_arg.replace_all_uses_with(_shared_buffer(old_arg.type, f"tw_emu_shared_{index}_{i}", ip))
            else:
                old_arg.replace_all_uses_with(memref.AllocaOp(old_arg.type, [], []).result)
    ids = args[len(inputs) :]
    sync = False
    shared = 0
    kernel_ops = ("memref.alloc", "memref.alloca", "nvgpu.mma.sync", "nvgpu.ldmatrix", *_ASYNC_OPS)
    async_ops: list[ir.Operation] = []
    for op in find_ops(fn.operation, lambda o: o.name.startswith(("gpu.", "nvgpu.", "nvvm.")) or o.name in kernel_ops):
        name = op.name
        if name in _ID_OPS:
            dim = _DIM[str(op.attributes["dimension"]).split()[-1].rstrip(">")]
            op.results[0].replace_all_uses_with(ids[_ID_OPS[name] + dim])
            op.erase()
        elif name in ("gpu.lane_id", "gpu.subgroup_id", "gpu.subgroup_size"):
            with ir.InsertionPoint(op), op.location:
                value = arith.ConstantOp(index_type, WARP).result
                if name == "gpu.lane_id":
                    value = arith.RemUIOp(ids[_LINEAR], value).result
                elif name == "gpu.subgroup_id":
                    value = arith.DivUIOp(ids[_LINEAR], value).result
            op.results[0].replace_all_uses_with(value)
            op.erase()
        elif name == "gpu.barrier":
            if _is_trailing(op, fn.operation):
                op.erase()
                continue
            sync = True
            with ir.InsertionPoint(op), op.location:
                func.CallOp([], "tw_emu_barrier", [])
            op.erase()
        elif name == "gpu.shuffle":
            sync = True
            _shuffle_call(op)
        elif name == "gpu.subgroup_reduce":
            sync = True
            _reduce_call(op)
        elif name == "nvgpu.mma.sync":
            sync = True
            _mma_call(op, entry)
        elif name == "nvgpu.ldmatrix":
            sync = True
            _ldmatrix_call(op, entry)
        elif name in _ASYNC_OPS:
            if name == "nvgpu.device_async_copy":
                _copy_now(op)
            async_ops.append(op)
        elif name == "gpu.return":
            with ir.InsertionPoint(op), op.location:
                func.ReturnOp([])
            op.erase()
        elif name in ("memref.alloc", "memref.alloca"):
            if _is_workgroup(op.results[0].type):
                with ir.InsertionPoint(op), op.location:
                    buffer = _shared_buffer(op.results[0].type, f"tw_emu_shared_{index}_a{shared}", ip)
                shared += 1
                for use in list(op.results[0].uses):
                    if use.owner.name == "memref.dealloc":
                        use.owner.erase()
                op.results[0].replace_all_uses_with(buffer)
                op.erase()
        else:
            raise EmulationError(f"the emulator does not know '{name}' (in a kernel)")
    for op in async_ops:  # a token becomes an i32 (the type too, in the printed module: TOKEN)
        if len(op.results):
            with ir.InsertionPoint(op), op.location:
                token = arith.ConstantOp(ir.IntegerType.get_signless(32), 0).result
            op.results[0].replace_all_uses_with(token)
    for op in reversed(async_ops):
        op.erase()
    return [_ctype(t) for t in inputs], sync


def _is_trailing(op: ir.Operation, fn: ir.Operation) -> bool:
    """A barrier directly before the kernel's return at its top level."""
    block_ops = [o.operation for o in fn.regions[0].blocks[0].operations]
    return len(block_ops) >= 2 and block_ops[-2] == op and block_ops[-1].name in ("gpu.return", "func.return")


def _is_workgroup(t: ir.Type) -> bool:
    space = ir.MemRefType(t).memory_space
    return space is not None and str(space) in ("#gpu.address_space<workgroup>", "3", "3 : i64")


def _shared_buffer(t: ir.Type, name: str, ip: ir.InsertionPoint) -> ir.Value:
    """A ``memref.global`` for workgroup memory (memory space stripped later) and its address."""
    with ip:
        memref.GlobalOp(name, ir.TypeAttr.get(t), sym_visibility="private", alignment=64)
    return memref.GetGlobalOp(t, name).result


def _bits_type(t: ir.Type) -> tuple[int, ir.Type]:
    """The DTYPES code of a shuffled scalar and the integer type of its bits."""
    name = str(t)
    codes = {n: i for i, (n, _) in enumerate(DTYPES)}
    if name == "index":
        return codes["i64"], ir.IndexType.get()
    if name not in codes:
        raise EmulationError(f"the emulator shuffles and reduces scalars only, not {name}")
    return codes[name], ir.IntegerType.get_signless(int(re.sub(r"\D", "", name)))


def _to_i64(value: ir.Value) -> ir.Value:
    i64 = ir.IntegerType.get_signless(64)
    t = value.type
    if isinstance(t, ir.IndexType):
        return arith.IndexCastOp(i64, value).result
    _, bits = _bits_type(t)
    if isinstance(t, ir.FloatType):
        value = arith.BitcastOp(bits, value).result
    return value if ir.IntegerType(bits).width == 64 else arith.ExtUIOp(i64, value).result


def _from_i64(value: ir.Value, t: ir.Type) -> ir.Value:
    if isinstance(t, ir.IndexType):
        return arith.IndexCastOp(t, value).result
    _, bits = _bits_type(t)
    if ir.IntegerType(bits).width != 64:
        value = arith.TruncIOp(bits, value).result
    return arith.BitcastOp(t, value).result if isinstance(t, ir.FloatType) else value


def _shuffle_call(op: ir.Operation) -> None:
    value, offset, width = op.operands
    mode = SHUFFLE_MODES.index(str(op.attributes["mode"]).split()[-1].rstrip(">"))
    i32, i64 = ir.IntegerType.get_signless(32), ir.IntegerType.get_signless(64)
    with ir.InsertionPoint(op), op.location:
        mode_value = _constant_i32(mode)
        bits = func.CallOp([i64], "tw_emu_shuffle", [_to_i64(value), offset, width, mode_value]).result
        op.results[0].replace_all_uses_with(_from_i64(bits, value.type))
        if list(op.results[1].uses):
            valid = func.CallOp([i32], "tw_emu_shuffle_valid", [offset, width, mode_value]).result
            zero = _constant_i32(0)
            op.results[1].replace_all_uses_with(arith.CmpIOp(arith.CmpIPredicate.ne, valid, zero).result)
    op.erase()


def _reduce_call(op: ir.Operation) -> None:
    value = op.operands[0]
    if isinstance(value.type, ir.VectorType):
        raise EmulationError("the emulator reduces scalars only (gpu.subgroup_reduce of a vector)")
    kind = REDUCE_KINDS.index(str(op.attributes["op"]).split()[-1].rstrip(">"))
    code, _ = _bits_type(value.type)
    cluster = int(ir.IntegerAttr(op.attributes["cluster_size"]).value) if "cluster_size" in op.attributes else WARP
    stride = int(ir.IntegerAttr(op.attributes["cluster_stride"]).value) if "cluster_stride" in op.attributes else 1
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint(op), op.location:
        consts = [_constant_i32(v) for v in (kind, code, cluster, stride)]
        bits = func.CallOp([i64], "tw_emu_reduce", [_to_i64(value), *consts]).result
        op.results[0].replace_all_uses_with(_from_i64(bits, value.type))
    op.erase()


def _strip_memory_spaces(text: str) -> str:
    """Every memref type's workgroup/private memory space removed: on the host it is memory (and
    a cp.async token an i32)."""
    text = text.replace(TOKEN, "i32")
    out, i = [], 0
    spaces = re.compile(r", (?:3|5|#gpu\.address_space<(?:workgroup|private)>)$")
    while True:
        start_at = text.find("memref<", i)
        if start_at < 0:
            out.append(text[i:])
            return "".join(out)
        depth, j = 0, start_at + len("memref")
        while True:
            if text[j] == "<":
                depth += 1
            elif text[j] == ">":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = text[start_at + len("memref<") : j]
        out.append(text[i:start_at] + "memref<" + spaces.sub("", inner) + ">")
        i = j + 1


# ---------------------------------------------------------------------------------------------
# Tensor cores: a warp's nvgpu.mma.sync / nvgpu.ldmatrix, its lanes' fragments through memory.


def _element_code(t: ir.Type, tf32: bool = False) -> int:
    name = "tf32" if tf32 and str(t) == "f32" else str(t)
    return MMA_TYPES.index(name)


def _address(buffer: ir.Value) -> ir.Value:
    pointer = memref.ExtractAlignedPointerAsIndexOp(buffer).result
    return arith.IndexCastOp(ir.IntegerType.get_signless(64), pointer).result


def _fragment_buffer(t: ir.Type, entry: ir.Block) -> tuple[ir.Value, ir.VectorType]:
    """A per-thread buffer (allocated once, at the kernel's entry) for a fragment of type ``t``."""
    vt = ir.VectorType(t)
    count = 1
    for size in vt.shape:
        count *= size
    with ir.InsertionPoint.at_block_begin(entry):
        buffer = memref.AllocaOp(ir.MemRefType.get([count], vt.element_type), [], []).result
    return buffer, ir.VectorType.get([count], vt.element_type)


def _spill(value: ir.Value, entry: ir.Block) -> ir.Value:
    """``value`` (a fragment vector) stored into its buffer; returns the buffer's address."""
    buffer, flat = _fragment_buffer(value.type, entry)
    zero = arith.ConstantOp(ir.IndexType.get(), 0).result
    vector.StoreOp(vector.ShapeCastOp(flat, value).result, buffer, [zero])
    return _address(buffer)


def _reload(buffer: ir.Value, flat: ir.VectorType, t: ir.Type) -> ir.Value:
    zero = arith.ConstantOp(ir.IndexType.get(), 0).result
    return vector.ShapeCastOp(t, vector.LoadOp(flat, buffer, [zero]).result).result


def _mma_call(op: ir.Operation, entry: ir.Block) -> None:
    """``nvgpu.mma.sync`` -> the lanes' A, B, C fragments to ``tw_emu_mma``, D back."""
    a, b, c = op.operands[:3]
    m, n, k = (int(v) for v in ir.ArrayAttr(op.attributes["mmaShape"]))
    tf32 = "tf32Enabled" in op.attributes
    element = ir.VectorType(a.type).element_type
    accumulator = ir.VectorType(c.type).element_type
    with ir.InsertionPoint(op), op.location:
        addresses = [_spill(v, entry) for v in (a, b, c)]
        d_buffer, flat = _fragment_buffer(op.results[0].type, entry)
        codes = [_constant_i32(v) for v in (m, n, k, _element_code(element, tf32), _element_code(accumulator))]
        func.CallOp([], "tw_emu_mma", [*addresses, _address(d_buffer), *codes])
        op.results[0].replace_all_uses_with(_reload(d_buffer, flat, op.results[0].type))
    op.erase()


def _ldmatrix_call(op: ir.Operation, entry: ir.Block) -> None:
    """``nvgpu.ldmatrix`` -> each lane's row address to ``tw_emu_ldmatrix``, its fragment back."""
    source, *indices = op.operands
    i64, index_type = ir.IntegerType.get_signless(64), ir.IndexType.get()
    source_type = ir.MemRefType(source.type)
    element_bytes = max(_width(source_type.element_type) // 8, 1)
    with ir.InsertionPoint(op), op.location:
        metadata = memref.ExtractStridedMetadataOp(source).results
        rank = source_type.rank
        offset, strides = metadata[1], list(metadata[2 + rank :])
        linear = offset
        for index, stride in zip(indices, strides, strict=True):
            linear = arith.AddIOp(linear, arith.MulIOp(index, stride).result).result
        size = arith.ConstantOp(index_type, element_bytes).result
        base = memref.ExtractAlignedPointerAsIndexOp(source).result
        row = arith.AddIOp(base, arith.MulIOp(linear, size).result).result
        buffer, flat = _fragment_buffer(op.results[0].type, entry)
        tiles = int(ir.IntegerAttr(op.attributes["numTiles"]).value)
        transpose = int(ir.BoolAttr(op.attributes["transpose"]).value)
        consts = [_constant_i32(v) for v in (tiles, transpose, element_bytes)]
        func.CallOp([], "tw_emu_ldmatrix", [arith.IndexCastOp(i64, row).result, _address(buffer), *consts])
        op.results[0].replace_all_uses_with(_reload(buffer, flat, op.results[0].type))
    op.erase()


def _width(t: ir.Type) -> int:
    return int(re.sub(r"\D", "", str(t)) or 64)


# cp.async: the copy done at once (reading its destination before the wait is a race on a GPU).
TOKEN = "!nvgpu.device.async.token"
_ASYNC_OPS = ("nvgpu.device_async_copy", "nvgpu.device_async_create_group", "nvgpu.device_async_wait")


def _copy_now(op: ir.Operation) -> None:
    """``nvgpu.device_async_copy`` -> ``dstElements`` loads and stores along the innermost index,
    zeros past ``srcElements``."""
    from mlir.dialects import scf

    view = op.opview
    count = int(ir.IntegerAttr(op.attributes["dstElements"]).value)
    index_type = ir.IndexType.get()
    element = ir.MemRefType(view.src.type).element_type
    with ir.InsertionPoint(op), op.location:
        src_indices, dst_indices = list(view.srcIndices), list(view.dstIndices)
        if isinstance(element, ir.FloatType):
            zero = arith.ConstantOp(element, 0.0).result
        else:
            zero = arith.ConstantOp(element, 0).result
        for e in range(count):
            offset = arith.ConstantOp(index_type, e).result
            source = [*src_indices[:-1], arith.AddIOp(src_indices[-1], offset).result]
            target = [*dst_indices[:-1], arith.AddIOp(dst_indices[-1], offset).result]
            if view.srcElements is None:
                value = memref.LoadOp(view.src, source).result
            else:
                inside = arith.CmpIOp(arith.CmpIPredicate.ult, offset, view.srcElements).result
                branch = scf.IfOp(inside, [element], has_else=True)
                with ir.InsertionPoint(branch.then_block):
                    scf.YieldOp([memref.LoadOp(view.src, source).result])
                with ir.InsertionPoint(branch.else_block):
                    scf.YieldOp([zero])
                value = branch.results[0]
            memref.StoreOp(value, view.dst, target)
