"""What a schedule may depend on: the payload's linalg ops, their shapes, types and loops.

``schedule(module_info)`` functions in ``.py`` schedules and the built-in
library receive a :class:`ModuleInfo`, so tile sizes can follow the problem
(e.g. a matmul's M, N, K). Named linalg ops carry no ``iterator_types`` or
``indexing_maps``; they are read from a generalized copy of the module
(``linalg-generalize-named-ops``), which maps ops one to one and in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from mlir import ir
from mlir import passmanager as mpm
from mlir.dialects import func

from tilewright.diagnostics import SourceLocation, location_of
from tilewright.mlir_env import find_ops


@dataclass(frozen=True)
class TensorInfo:
    """An operand or result of a payload op: static ``shape`` (``None`` = dynamic) and element type."""

    shape: tuple[int | None, ...]
    dtype: str  # MLIR element type: "f32", "bf16", "i8", ...

    @property
    def rank(self) -> int:
        return len(self.shape)

    @staticmethod
    def of(t: ir.Type) -> TensorInfo | None:
        try:
            st = ir.ShapedType(t)
        except ValueError:  # a scalar operand (e.g. linalg.fill's value)
            return TensorInfo((), str(t))
        if not st.has_rank:
            return None
        shape = tuple(None if st.is_dynamic_dim(i) else st.get_dim_size(i) for i in range(st.rank))
        return TensorInfo(shape, str(st.element_type))


@dataclass(frozen=True)
class LinalgOpInfo:
    """One payload linalg op, in module order (``index``)."""

    name: str  # "linalg.matmul", "linalg.generic", ...
    index: int
    function: str
    inputs: tuple[TensorInfo | None, ...]
    outputs: tuple[TensorInfo | None, ...]
    iterator_types: tuple[str, ...] = ()  # "parallel" | "reduction", one per loop
    indexing_maps: tuple[str, ...] = ()
    loop_ranges: tuple[int | None, ...] = ()  # static trip count of each loop, None if unknown
    contraction_dims: dict[str, tuple[int, ...]] | None = None  # {"batch", "m", "n", "k"} loop indices
    location: SourceLocation | None = None
    body_ops: tuple[str, ...] = field(default=())  # op names in the region (for generics)

    @property
    def num_loops(self) -> int:
        return len(self.iterator_types)

    @property
    def is_contraction(self) -> bool:
        return self.contraction_dims is not None

    @property
    def is_elementwise(self) -> bool:
        return bool(self.iterator_types) and all(t == "parallel" for t in self.iterator_types)

    @property
    def reduction_dims(self) -> tuple[int, ...]:
        return tuple(i for i, t in enumerate(self.iterator_types) if t == "reduction")

    def size(self, dim: str) -> int | None:
        """Static extent of contraction dim ``"m"``/``"n"``/``"k"``/``"batch"`` (product if several)."""
        if self.contraction_dims is None:
            return None
        total = 1
        for d in self.contraction_dims.get(dim, ()):
            r = self.loop_ranges[d] if d < len(self.loop_ranges) else None
            if r is None:
                return None
            total *= r
        return total


@dataclass(frozen=True)
class ModuleInfo:
    """The linalg ops of a payload module (top level of each function body, in order)."""

    ops: tuple[LinalgOpInfo, ...]
    functions: tuple[str, ...]

    def find(self, name: str) -> list[LinalgOpInfo]:
        """Ops named ``name`` (``"linalg.matmul"`` or ``"matmul"``)."""
        full = name if "." in name else f"linalg.{name}"
        return [op for op in self.ops if op.name == full]

    @property
    def contractions(self) -> list[LinalgOpInfo]:
        return [op for op in self.ops if op.is_contraction]

    def __iter__(self) -> Iterator[LinalgOpInfo]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    @staticmethod
    def from_module(module: ir.Module) -> ModuleInfo:
        """Describe ``module`` (not modified)."""
        import mlir.dialects.linalg as linalg

        with module.context:
            ops = linalg_ops(module)
            pm = mpm.PassManager.parse("builtin.module(func.func(linalg-generalize-named-ops))")
            infos = []
            functions = []
            for func_op in module.body.operations:
                if func_op.operation.name == "func.func":
                    functions.append(ir.StringAttr(func_op.operation.attributes["sym_name"]).value)
            for i, (op, func_name) in enumerate(ops):
                maps_iters = _maps_and_iterators(op) or _generalized_maps(op, pm)
                maps, iters = maps_iters if maps_iters else ((), ())
                n_in = _num_inputs(op)
                in_types = [TensorInfo.of(v.type) for v in list(op.operands)[:n_in]]
                out_types = [TensorInfo.of(v.type) for v in list(op.operands)[n_in:]]
                contraction = None
                try:
                    if linalg.isa_contraction_op(op):
                        d = linalg.infer_contraction_dimensions(op)
                        contraction = {
                            "batch": tuple(d.batch),
                            "m": tuple(d.m),
                            "n": tuple(d.n),
                            "k": tuple(d.k),
                        }
                except Exception:  # noqa: BLE001 - ops without the interface are simply not contractions
                    contraction = None
                body = ()
                if op.regions and op.regions[0].blocks:
                    body = tuple(o.operation.name for o in op.regions[0].blocks[0].operations)
                infos.append(
                    LinalgOpInfo(
                        name=op.name,
                        index=i,
                        function=func_name,
                        inputs=tuple(in_types),
                        outputs=tuple(out_types),
                        iterator_types=iters,
                        indexing_maps=maps,
                        loop_ranges=_loop_ranges(maps, [v.type for v in op.operands], len(iters)),
                        contraction_dims=contraction,
                        location=location_of(op.location),
                        body_ops=body,
                    )
                )
        return ModuleInfo(tuple(infos), tuple(functions))


def linalg_ops(module: ir.Module) -> list[tuple[ir.Operation, str]]:
    """Linalg ops not nested in other linalg ops, in pre-order, with their function's name."""
    ops = find_ops(module, _is_linalg, pre_order=True, prune=_is_linalg)
    return [(op, _function_name(op)) for op in ops]


def _is_linalg(op: ir.Operation) -> bool:
    return op.name.startswith("linalg.") and op.name != "linalg.yield"


def _function_name(op: ir.Operation) -> str:
    """The name of the innermost ``func.func`` holding ``op`` ("" outside functions)."""
    parent = op.parent
    while parent is not None:
        if parent.name == "func.func":
            return ir.StringAttr(parent.attributes["sym_name"]).value
        parent = parent.parent
    return ""


def _num_inputs(op: ir.Operation) -> int:
    """Inputs are the ``ins(...)`` operands (operandSegmentSizes[0] on structured ops)."""
    try:
        seg = op.attributes["operandSegmentSizes"]
        return int(ir.DenseI32ArrayAttr(seg)[0])
    except (KeyError, ValueError, TypeError):
        return max(len(op.operands) - len(op.results), 0)


def _generalized_maps(op: ir.Operation, pm: mpm.PassManager) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Maps and iterators of a named op: generalize a copy of it alone in a function returning its results."""
    types = [v.type for v in op.operands]
    with ir.Location.unknown():
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            fn = func.FuncOp("probe", (types, [r.type for r in op.results]))
            block = fn.add_entry_block()
        with ir.InsertionPoint(block):
            clone = op.clone()
            for i, arg in enumerate(block.arguments):
                clone.operands[i] = arg
            func.ReturnOp(list(clone.results))
    try:
        pm.run(module.operation)
    except ir.MLIRError:
        return None
    found = linalg_ops(module)
    return _maps_and_iterators(found[0][0]) if len(found) == 1 else None


def _maps_and_iterators(op: ir.Operation) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    try:
        maps = ir.ArrayAttr(op.attributes["indexing_maps"])
        iters = ir.ArrayAttr(op.attributes["iterator_types"])
    except (KeyError, ValueError):
        return None
    iterator_names = tuple(str(a).split("<")[-1].rstrip(">") for a in iters)
    return tuple(str(ir.AffineMapAttr(m).value) for m in maps), iterator_names


def _loop_ranges(maps: tuple[str, ...], types: list[ir.Type], num_loops: int) -> tuple[int | None, ...]:
    """Static trip count of each loop: the extent of an operand dim indexed by exactly that loop."""
    ranges: list[int | None] = [None] * num_loops
    for map_text, t in zip(maps, types, strict=False):
        info = TensorInfo.of(t)
        if info is None:
            continue
        try:
            results = map_text.split("->", 1)[1].strip().strip("()").split(",")
        except IndexError:
            continue
        for pos, expr in enumerate(r.strip() for r in results):
            if expr.startswith("d") and expr[1:].isdigit() and pos < len(info.shape):
                d = int(expr[1:])
                if d < num_loops and ranges[d] is None and info.shape[pos] is not None:
                    ranges[d] = info.shape[pos]
    return tuple(ranges)
