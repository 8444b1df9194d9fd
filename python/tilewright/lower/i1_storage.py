"""Store booleans as bytes: rewrite ``memref<...xi1>`` to ``memref<...xi8>``.

MLIR 22's MemRef-to-LLVM lowering asserts on ``i1`` element loads and stores
(``integralElementType.getWidth() >= 8``), so every boolean buffer must be
byte-sized before ``finalize-memref-to-llvm``. One byte per bool is also what
numpy uses, so boolean arguments and results keep their layout.

The rewrite changes memref types in place (function signatures, op results,
block arguments, globals) and puts an ``arith.extui`` before every store and an
``arith.trunci`` after every load of an ``i1`` value (scalar or vector).
"""

from __future__ import annotations

from mlir import ir

from tilewright.mlir_env import find_ops

_LOADS = {"memref.load", "vector.load", "vector.transfer_read"}
_STORES = {"memref.store", "vector.store", "vector.transfer_write"}


def _is_i1(t: ir.Type) -> bool:
    return isinstance(t, ir.IntegerType) and t.width == 1


def _widen(t: ir.Type) -> ir.Type:
    """``i1`` (possibly inside a memref or vector) becomes ``i8``; other types unchanged."""
    i8 = ir.IntegerType.get_signless(8)
    if _is_i1(t):
        return i8
    if isinstance(t, ir.MemRefType) and _is_i1(t.element_type):
        return ir.MemRefType.get(t.shape, i8, t.layout, t.memory_space)
    if isinstance(t, ir.VectorType) and _is_i1(t.element_type):
        return ir.VectorType.get(t.shape, i8, scalable=list(t.scalable_dims))  # per-dim flags
    return t


def _has_i1_memref(t: ir.Type) -> bool:
    return isinstance(t, ir.MemRefType) and _is_i1(t.element_type)


def _widen_bool_global(op: ir.Operation) -> None:
    attrs = op.attributes
    t = attrs["type"].value
    if not _has_i1_memref(t):
        return
    attrs["type"] = ir.TypeAttr.get(_widen(t))
    if "initial_value" in attrs and isinstance(attrs["initial_value"], ir.DenseElementsAttr):
        init = attrs["initial_value"]
        tensor_i8 = ir.RankedTensorType.get(t.shape, ir.IntegerType.get_signless(8))
        if init.is_splat:
            value = init.get_splat_value()
            attrs["initial_value"] = ir.DenseElementsAttr.get_splat(
                tensor_i8, ir.IntegerAttr.get(ir.IntegerType.get_signless(8), int(bool(value.value)))
            )
        else:
            import numpy as np

            values = np.array([bool(v) for v in ir.DenseIntElementsAttr(init)], dtype=np.int8)
            attrs["initial_value"] = ir.DenseElementsAttr.get(values.reshape(t.shape), type=tensor_i8)


def _fix_function_type(op: ir.Operation) -> None:
    ftype = op.attributes["function_type"].value
    if not isinstance(ftype, ir.FunctionType):  # llvm.func: LLVM types, no memrefs left to widen
        return
    inputs = [_widen(t) if _has_i1_memref(t) else t for t in ftype.inputs]
    results = [_widen(t) if _has_i1_memref(t) else t for t in ftype.results]
    op.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))


def widen_i1_storage(root: ir.Operation) -> None:
    """Rewrite every ``i1`` buffer under ``root`` to ``i8`` (see module docstring)."""
    for op in find_ops(root, lambda _op: True):  # post-order: producers before their users
        name = op.name
        if name == "memref.global":
            _widen_bool_global(op)
            continue
        if name in ("func.func", "llvm.func") and "function_type" in op.attributes:
            _fix_function_type(op)
        for region in op.regions:
            for block in region.blocks:
                for arg in block.arguments:
                    if _has_i1_memref(arg.type):
                        arg.set_type(_widen(arg.type))
        if name in _STORES:
            _extend_stored_value(op)
        for result in op.results:
            if _has_i1_memref(result.type):
                result.set_type(_widen(result.type))
            elif name in _LOADS and _loads_from_bool_buffer(op) and _is_bool_value(result.type):
                _truncate_loaded_value(op, result)


def _is_bool_value(t: ir.Type) -> bool:
    return _is_i1(t) or (isinstance(t, ir.VectorType) and _is_i1(t.element_type))


def _loads_from_bool_buffer(op: ir.Operation) -> bool:
    # Operand types were already widened when their producers were visited, so
    # look at the element type the memref has *now* and at the loaded type.
    memref = next((v for v in op.operands if isinstance(v.type, ir.MemRefType)), None)
    if memref is None:
        return False
    return memref.type.element_type == ir.IntegerType.get_signless(8) or _is_i1(memref.type.element_type)


def _truncate_loaded_value(op: ir.Operation, result: ir.Value) -> None:
    from mlir.dialects import arith

    narrow = result.type
    result.set_type(_widen(narrow))
    if op.name == "vector.transfer_read":
        _widen_padding(op)
    with ir.InsertionPoint.after(op), op.location:
        trunc = arith.TruncIOp(narrow, result)
    result.replace_all_uses_except(trunc.result, trunc.operation)


def _widen_padding(op: ir.Operation) -> None:
    from mlir.dialects import arith

    # The padding is the only scalar i1 operand (a mask would be a vector).
    for index, padding in enumerate(op.operands):
        if _is_i1(padding.type):
            with ir.InsertionPoint(op), op.location:
                op.operands[index] = arith.ExtUIOp(ir.IntegerType.get_signless(8), padding).result
            return


def _extend_stored_value(op: ir.Operation) -> None:
    from mlir.dialects import arith

    # The stored value is operand 0 of memref.store, vector.store and transfer_write.
    index = 0
    value = op.operands[index]
    if not _is_bool_value(value.type):
        return
    memref = next(v for v in op.operands if isinstance(v.type, ir.MemRefType))
    if not (_has_i1_memref(memref.type) or memref.type.element_type == ir.IntegerType.get_signless(8)):
        return
    with ir.InsertionPoint(op), op.location:
        op.operands[index] = arith.ExtUIOp(_widen(value.type), value).result


def widen_i1_storage_pass(op: ir.Operation, pass_: object) -> None:
    """``PassManager.add`` entry point."""
    with op.context, op.location:
        widen_i1_storage(op)
