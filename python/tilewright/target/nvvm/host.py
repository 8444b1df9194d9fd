"""The host side of an NVVM program as an artifact manifest: buffers and the sequence of
allocations, launches, copies and frees, read from the ``nvvm`` stage's entry function.

After ``tw-gpu-outline`` that function holds only constants, buffers and views of them,
copies and ``gpu.launch_func`` (:data:`.mapping.HOST_OPS`). Views alias their root buffer:
kernels take bare pointers, and a view's static offset is in the kernel's own memref type,
so a launch passes the root's address. Kernel parameters are read from the lowered kernels'
LLVM signatures, so the manifest says what the cubin expects.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

import numpy as np
from mlir import ir

from tilewright.diagnostics import InternalError, SourceLocation, TilewrightError, location_of
from tilewright.target.nvvm.lowering import KERNEL_MODULE, VIEWS
from tilewright.target.nvvm.mapping import whole_buffer
from tilewright.types import Signature

_PARAM = re.compile(r"!llvm\.func<void \((.*)\)>")
PARAM_KINDS = {"ptr": "ptr", "f32": "f32", "f64": "f64", "f16": "f16", "bf16": "bf16", "i64": "i64", "i32": "i32"}


def _nbytes(memref: ir.Type) -> int:
    t = ir.MemRefType(memref)
    if not t.has_static_shape:
        raise TilewrightError(f"a GPU buffer of dynamic shape ({t}): the artifact needs static shapes")
    e = t.element_type
    if isinstance(e, ir.FloatType):
        bits = e.width
    elif isinstance(e, ir.IntegerType):
        bits = e.width
    else:  # index
        bits = 64
    return math.prod(t.shape) * max(bits // 8, 1)


def _contiguous(value: ir.Value) -> bool:
    """Whether a host buffer or view is its whole root buffer, row-major (a plain copy of bytes)."""
    owner = value.owner
    return whole_buffer(value) and (isinstance(owner, ir.Block) or owner.operation.name != "memref.subview")


def kernel_params(module: ir.Operation) -> dict[str, list[str]]:
    """name -> parameter kinds (``ptr``, ``f32``, ``i64``...) of every kernel of ``@kernels``."""
    params: dict[str, list[str]] = {}
    for op in module.regions[0].blocks[0].operations:
        op = op.operation
        if op.name != "gpu.module" or ir.StringAttr(op.attributes["sym_name"]).value != KERNEL_MODULE:
            continue
        for fn in op.regions[0].blocks[0].operations:
            fn = fn.operation
            if fn.name != "llvm.func" or "gpu.kernel" not in fn.attributes:
                continue
            m = _PARAM.fullmatch(str(ir.TypeAttr(fn.attributes["function_type"]).value))
            if m is None:
                raise InternalError("artifact", f"unexpected kernel signature {fn.attributes['function_type']}")
            kinds = [p.strip() for p in m.group(1).split(",") if p.strip()]
            unknown = [k for k in kinds if k not in PARAM_KINDS]
            if unknown:
                raise InternalError("artifact", f"kernel parameter of type {unknown[0]} has no host representation")
            params[ir.StringAttr(fn.attributes["sym_name"]).value] = kinds
    return params


def _constant(value: ir.Value) -> Any:
    owner = value.owner
    if isinstance(owner, ir.Block) or owner.operation.name != "arith.constant":
        return None
    attr = owner.operation.attributes["value"]
    if isinstance(attr, ir.FloatAttr):
        return float(attr.value)
    if isinstance(attr, ir.IntegerAttr):
        return int(attr.value)
    return None


def _global_data(module: ir.Operation, name: str) -> np.ndarray:
    for op in module.regions[0].blocks[0].operations:
        op = op.operation
        if op.name == "memref.global" and ir.StringAttr(op.attributes["sym_name"]).value == name:
            attr = ir.DenseElementsAttr(op.attributes["initial_value"])
            t = ir.MemRefType(ir.TypeAttr(op.attributes["type"]).value)
            if attr.is_splat:
                return np.full(t.shape, np.array(ir.DenseElementsAttr(attr)).reshape(-1)[0])
            return np.array(attr).reshape(t.shape)
    raise InternalError("artifact", f"memref.global @{name} not found")


def host_manifest(module: ir.Operation, entry: str, signature: Signature, filename: str) -> tuple[dict, dict]:
    """(``buffers``/``kernels``/``sequence`` of the manifest, extra files: constants as ``.npy``)."""
    func = next(
        (
            op.operation
            for op in module.regions[0].blocks[0].operations
            if op.operation.name == "func.func" and ir.StringAttr(op.operation.attributes["sym_name"]).value == entry
        ),
        None,
    )
    if func is None:
        raise TilewrightError(f"entry function '@{entry}' not found", SourceLocation(filename))
    params = kernel_params(module)
    block = func.regions[0].blocks[0]
    n_in, n_out = len(signature.inputs), len(signature.results)
    if len(block.arguments) != n_in + n_out:
        raise InternalError("artifact", f"@{entry} has {len(block.arguments)} buffers, expected {n_in} + {n_out}")
    buffers: list[dict[str, Any]] = []
    root: dict[ir.Value, int] = {}
    files: dict[str, bytes] = {}
    for i, arg in enumerate(block.arguments):
        kind, index = ("input", i) if i < n_in else ("result", i - n_in)
        buffers.append({"id": i, "kind": kind, "index": index, "bytes": _nbytes(arg.type)})
        root[arg] = i
    sequence: list[dict[str, Any]] = []
    used: set[str] = set()
    for op in block.operations:
        op = op.operation
        where = location_of(op.location, filename) or SourceLocation(filename)
        if op.name in ("arith.constant", "ub.poison", "func.return"):
            continue  # constants: a launch argument's value is read where it is used
        if op.name in ("memref.alloc", "memref.get_global"):
            bid = len(buffers)
            buffer = {"id": bid, "kind": "temp", "bytes": _nbytes(op.results[0].type)}
            if op.name == "memref.get_global":
                name = ir.FlatSymbolRefAttr(op.attributes["name"]).value
                data = _global_data(module, name)
                out = io.BytesIO()
                np.save(out, data, allow_pickle=False)
                buffer.update(kind="constant", file=f"constants/{bid}.npy")
                files[buffer["file"]] = out.getvalue()
            else:
                sequence.append({"op": "alloc", "buffer": bid})
            buffers.append(buffer)
            root[op.results[0]] = bid
        elif op.name in VIEWS:
            root[op.results[0]] = root[op.operands[0]]
        elif op.name == "memref.dealloc":
            sequence.append({"op": "free", "buffer": root[op.operands[0]]})
        elif op.name == "memref.copy":
            src, dst = op.operands[0], op.operands[1]
            if not (_contiguous(src) and _contiguous(dst)) or _nbytes(src.type) != _nbytes(dst.type):
                raise TilewrightError("a host memref.copy of strided views: the artifact copies whole buffers", where)
            sequence.append({"op": "copy", "src": root[src], "dst": root[dst], "bytes": _nbytes(src.type)})
        elif op.name == "gpu.launch_func":
            sequence.append(_launch(op, root, params, where))
            used.add(sequence[-1]["kernel"])
        else:
            raise TilewrightError(f"'{op.name}' on the host: the artifact's host sequence cannot express it", where)
    kernels = [{"name": name, "params": kinds} for name, kinds in params.items() if name in used]
    return {"buffers": buffers, "kernels": kernels, "sequence": sequence}, files


def _launch(op: ir.Operation, root: dict[ir.Value, int], params: dict[str, list[str]], where: SourceLocation) -> dict:

    launch = op.opview
    kernel = str(op.attributes["kernel"]).split("::")[-1].lstrip("@")
    if kernel not in params:
        raise InternalError("artifact", f"kernel '{kernel}' is launched but not in @{KERNEL_MODULE}")
    sizes = [
        _constant(v)
        for v in (
            launch.gridSizeX,
            launch.gridSizeY,
            launch.gridSizeZ,
            launch.blockSizeX,
            launch.blockSizeY,
            launch.blockSizeZ,
        )
    ]
    smem = _constant(launch.dynamicSharedMemorySize) if launch.dynamicSharedMemorySize is not None else 0
    if any(s is None for s in (*sizes, smem)):
        raise TilewrightError("a launch with a dynamic grid or block size: the artifact needs static sizes", where)
    args: list[dict[str, Any]] = []
    for value, kind in zip(launch.kernelOperands, params[kernel], strict=False):
        if kind == "ptr":
            if value not in root:
                raise InternalError("artifact", f"a launch argument of '{kernel}' is no known buffer")
            args.append({"buffer": root[value]})
        else:
            constant = _constant(value)
            if constant is None:
                raise TilewrightError(f"a launch of '{kernel}' passes a scalar computed on the host", where)
            args.append({"value": constant})
    if len(args) != len(params[kernel]) or len(list(launch.kernelOperands)) != len(params[kernel]):
        raise InternalError("artifact", f"the launch of '{kernel}' does not match its parameters")
    return {"op": "launch", "kernel": kernel, "grid": sizes[:3], "block": sizes[3:], "smem": smem, "args": args}
