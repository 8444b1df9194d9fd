"""transform.tw.rewrite_matmul_as_wgmma against the PTX ISA, without a GPU.

The rewritten kernel is interpreted here for each of the warpgroup's 128 threads (integer
arithmetic, ``scf.for``, loads and stores as symbols; the wgmma itself is not run). From that:

- where the staging copy puts each element of A and B in shared memory (the copy's addressing);
- each ``wgmma.mma_async``'s 64-bit descriptors, decoded by the ISA's "Matrix Descriptor Format"
  (start address, leading and stride dimension byte offsets, base offset, swizzle mode);
- each accumulator register's element of C.

Then every element the ISA says an instruction reads (no-swizzle K-major: core matrices of 8 rows
of 16 bytes, rows 16 bytes apart, the next core matrix along K at the leading byte offset, the
next 8 rows of M/N at the stride byte offset) must be where the copy wrote that element, and
every register must hold the element of C the ISA's fragment layout of D gives it. A wrong
offset, a wrong swizzle field or a wrong fragment formula in the C++ fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlir import ir
from mlir.passmanager import PassManager

import pytest
from conftest import ptxas_report
from tilewright import extension
from tilewright.mlir_env import new_context, parse_module
from tilewright.pipeline import run_pipeline
from tilewright.target.nvvm.binary import ptx_of
from tilewright.target.nvvm.lowering import lower_to_nvvm

pytestmark = pytest.mark.skipif(not extension.available(), reason="the C++ extension is not built")

WARPGROUP = 128
SHARED_BASES = (0x400, 0x8000)  # where the interpreter puts the two staging buffers (16-byte aligned)
ELEMENT_BYTES = 2

SCRIPT = """
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}
"""


def payload(m: int, n: int, k: int, element: str) -> str:
    return (
        f"""
func.func @mm(%a: memref<{m}x{k}x{element}>, %b: memref<{k}x{n}x{element}>, %c: memref<{m}x{n}xf32>) {{
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {{
    linalg.matmul ins(%a, %b : memref<{m}x{k}x{element}>, memref<{k}x{n}x{element}>)
                  outs(%c : memref<{m}x{n}xf32>)
    gpu.terminator
  }}
  return
}}
"""
        + SCRIPT
    )


def rewritten(m: int, n: int, k: int, element: str) -> ir.Module:
    ctx = new_context()
    with ctx, ir.Location.unknown():
        module = ir.Module.parse(payload(m, n, k, element))
        PassManager.parse("builtin.module(transform-interpreter)").run(module.operation)
    return module


# -- a small interpreter of the rewritten launch body --------------------------------------------


@dataclass
class Op:
    """One payload op, flattened once so that 128 threads interpret plain Python."""

    name: str
    operands: list[int]
    results: list[int]
    attrs: dict[str, Any]
    body: list[Op] = field(default_factory=list)
    induction: int = -1


@dataclass
class Trace:
    """What one thread did: stores into each buffer, its wgmma ops, its loads of C."""

    stores: list[tuple[Any, tuple[int, ...], Any]] = field(default_factory=list)
    wgmmas: list[tuple[int, int, int]] = field(default_factory=list)  # (desc A, desc B, accumulator)
    accumulators: int = 0


class Flattener:
    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}

    def id(self, value: ir.Value) -> int:
        return self.ids.setdefault(value, len(self.ids))

    def block(self, block: ir.Block) -> list[Op]:
        return [self.op(o.operation) for o in block.operations]

    def op(self, op: ir.Operation) -> Op:
        attrs: dict[str, Any] = {}
        if op.name == "arith.constant" and isinstance(op.attributes["value"], ir.IntegerAttr):
            attrs["value"] = ir.IntegerAttr(op.attributes["value"]).value
        if op.name in ("gpu.thread_id", "gpu.block_dim"):
            attrs["dim"] = str(op.attributes["dimension"]).rstrip(">")
        if op.name in ("llvm.insertvalue", "llvm.extractvalue"):
            attrs["position"] = ir.DenseI64ArrayAttr(op.attributes["position"])[0]
        if op.name == "llvm.mlir.poison":
            attrs["size"] = str(op.results[0].type).count("f32")
        if op.name in ("memref.alloc", "memref.load", "memref.store"):
            memref = op.results[0] if op.name == "memref.alloc" else op.operands[0 if op.name == "memref.load" else 1]
            attrs["shape"] = list(ir.MemRefType(memref.type).shape)
        flat = Op(op.name, [self.id(v) for v in op.operands], [self.id(r) for r in op.results], attrs)
        if op.name == "scf.for":
            body = op.regions[0].blocks[0]
            flat.induction = self.id(body.arguments[0])
            flat.body = self.block(body)
        return flat


_BINARY = {
    "arith.addi": lambda x, y: x + y,
    "arith.muli": lambda x, y: x * y,
    "arith.divui": lambda x, y: x // y,
    "arith.remui": lambda x, y: x % y,
    "arith.andi": lambda x, y: x & y,
    "arith.ori": lambda x, y: x | y,
    "arith.shrui": lambda x, y: x >> y,
}


def run_thread(ops: list[Op], env: dict[int, Any], tid: int, trace: Trace, allocs: list[int]) -> None:
    for op in ops:
        name, ins = op.name, [env.get(i) for i in op.operands]
        if name == "arith.constant":
            env[op.results[0]] = op.attrs.get("value")
        elif name in _BINARY:
            env[op.results[0]] = _BINARY[name](*ins) & (2**64 - 1)
        elif name in ("arith.index_castui", "arith.index_cast"):
            env[op.results[0]] = ins[0]
        elif name == "gpu.thread_id":
            env[op.results[0]] = tid if op.attrs["dim"].endswith("x") else 0
        elif name == "gpu.block_dim":
            env[op.results[0]] = WARPGROUP if op.attrs["dim"].endswith("x") else 1
        elif name == "memref.alloc":
            env[op.results[0]] = ("shared", len(allocs), tuple(op.attrs["shape"]))
            allocs.append(op.results[0])
        elif name == "memref.extract_aligned_pointer_as_index":
            env[op.results[0]] = SHARED_BASES[ins[0][1]]
        elif name == "memref.load":
            env[op.results[0]] = ("load", op.operands[0], tuple(ins[1:]))
        elif name == "memref.store":
            trace.stores.append((ins[1] if isinstance(ins[1], tuple) else op.operands[1], tuple(ins[2:]), ins[0]))
        elif name == "llvm.mlir.poison":
            env[op.results[0]] = ("acc", trace.accumulators, [None] * op.attrs["size"])
            trace.accumulators += 1
        elif name == "llvm.insertvalue":
            tag, acc_id, regs = ins[0]
            regs = list(regs)
            regs[op.attrs["position"]] = ins[1]
            env[op.results[0]] = (tag, acc_id, regs)
        elif name == "llvm.extractvalue":
            env[op.results[0]] = ins[0][2][op.attrs["position"]]
        elif name == "nvvm.wgmma.mma_async":
            trace.wgmmas.append((ins[1], ins[2], ins[0][1]))
            env[op.results[0]] = ins[0]
        elif name == "scf.for":
            lb, ub, step = ins[:3]
            for iv in range(lb, ub, step):
                env[op.induction] = iv
                run_thread(op.body, env, tid, trace, allocs)


def interpret(module: ir.Module) -> tuple[list[Trace], dict[int, int]]:
    """Each thread's trace and the function's memref arguments (value id -> argument number)."""
    func = module.body.operations[0]
    flat = Flattener()
    args = {flat.id(a): i for i, a in enumerate(func.regions[0].blocks[0].arguments)}
    launch = next(o.operation for o in func.regions[0].blocks[0].operations if o.operation.name == "gpu.launch")
    constants = [flat.op(o.operation) for o in func.regions[0].blocks[0].operations if o.operation.name != "gpu.launch"]
    body = flat.block(launch.regions[0].blocks[0])
    traces = []
    for tid in range(WARPGROUP):
        env: dict[int, Any] = {}
        trace = Trace()
        run_thread(constants + body, env, tid, trace, [])
        traces.append(trace)
    return traces, args


# -- the PTX ISA's definitions ---------------------------------------------------------------------


def decode(desc: int) -> dict[str, int]:
    """The fields of a wgmma matrix descriptor (PTX ISA, Matrix Descriptor Format)."""
    return {
        "start": (desc & 0x3FFF) << 4,
        "leading": ((desc >> 16) & 0x3FFF) << 4,
        "stride": ((desc >> 32) & 0x3FFF) << 4,
        "base_offset": (desc >> 49) & 0x7,
        "swizzle": (desc >> 62) & 0x3,
        "reserved": desc & ~((0x3FFF) | (0x3FFF << 16) | (0x3FFF << 32) | (0x7 << 49) | (0x3 << 62)),
    }


def k_major_address(fields: dict[str, int], row: int, k: int) -> int:
    """Byte address of element (row, k) of a no-swizzle K-major operand (row: M of A or N of B):
    core matrices of 8 rows x 16 bytes, each row's 16 bytes contiguous and the rows 16 bytes apart,
    the next core matrix along K at the leading byte offset, the next 8 rows at the stride one."""
    per_row = 16 // ELEMENT_BYTES
    return (
        fields["start"]
        + (row // 8) * fields["stride"]
        + (k // per_row) * fields["leading"]
        + (row % 8) * 16
        + (k % per_row) * ELEMENT_BYTES
    )


def fragment(thread: int, j: int) -> tuple[int, int]:
    """(row, column) of D held by register j of thread t for wgmma m64nNk16 with f32 accumulators:
    warp w of the warpgroup owns rows 16w..16w+15; within it, each 8 columns take 4 registers laid
    out as mma.sync's m16n8 C fragment (lane/4 the row, 2 * lane%4 the column, +8 rows for j%4 >= 2)."""
    warp, lane = divmod(thread, 32)
    return 16 * warp + lane // 4 + 8 * ((j % 4) // 2), 8 * (j // 4) + 2 * (lane % 4) + j % 2


# -- the checks ------------------------------------------------------------------------------------


def shared_address(buffer: tuple[str, int, tuple[int, ...]], indices: tuple[int, ...]) -> int:
    """Byte address of an element of a staging buffer (identity layout: its type is the layout)."""
    _, which, shape = buffer
    linear = 0
    for index, size in zip(indices, shape, strict=True):
        assert 0 <= index < size
        linear = linear * size + index
    return SHARED_BASES[which] + linear * ELEMENT_BYTES


SHAPES = [(128, 16, 32, "f16"), (64, 256, 16, "bf16"), (64, 24, 48, "f16")]


@pytest.mark.parametrize(("m", "n", "k", "element"), SHAPES)
def test_wgmma_reads_what_the_copy_wrote(m, n, k, element):
    traces, args = interpret(rewritten(m, n, k, element))
    # Where the copy put each element of A (argument 0) and B (argument 1).
    staged: dict[tuple[int, int, int], int] = {}
    for trace in traces:
        for dest, indices, value in trace.stores:
            if isinstance(dest, tuple) and dest[0] == "shared":
                _, source, (r, c) = value
                key = (args[source], r, c)
                assert key not in staged, f"{key} staged twice"
                staged[key] = shared_address(dest, indices)
    assert len(staged) == m * k + k * n
    assert len(set(staged.values())) == len(staged), "two elements share an address"

    first = traces[0].wgmmas
    assert len(first) == (m // 64) * (k // 16)
    for trace in traces:
        assert trace.wgmmas == first, "a descriptor differs between threads of the warpgroup"
    steps: dict[int, int] = {}
    for desc_a, desc_b, acc in first:
        rep = acc  # the accumulators are made in the order of their 64-row blocks
        step = steps.get(acc, 0)
        steps[acc] = step + 1
        a, b = decode(desc_a), decode(desc_b)
        for fields in (a, b):
            assert fields["swizzle"] == 0 and fields["base_offset"] == 0 and fields["reserved"] == 0
            assert fields["start"] % 16 == 0
        for i in range(64):
            for kk in range(16):
                want = staged[(0, 64 * rep + i, 16 * step + kk)]
                assert k_major_address(a, i, kk) == want, f"A({64 * rep + i}, {16 * step + kk})"
        for col in range(n):
            for kk in range(16):
                want = staged[(1, 16 * step + kk, col)]
                assert k_major_address(b, col, kk) == want, f"B({16 * step + kk}, {col})"


@pytest.mark.parametrize(("m", "n", "k", "element"), SHAPES[:2])
def test_accumulator_registers_hold_the_fragment_of_d(m, n, k, element):
    traces, args = interpret(rewritten(m, n, k, element))
    seen: set[tuple[int, int]] = set()
    for tid, trace in enumerate(traces):
        stores = [(indices, value) for dest, indices, value in trace.stores if not isinstance(dest, tuple)]
        # Each register j of each 64-row accumulator was loaded from the ISA's element of C...
        for _, value in stores:
            assert value[0] == "load" and args[value[1]] == 2
        assert len(stores) == (m // 64) * (n // 2)
        per_rep = n // 2
        for s, (indices, value) in enumerate(stores):
            rep, j = divmod(s, per_rep)
            row, col = fragment(tid, j)
            # ...and stored back to the element it came from.
            assert value[2] == (64 * rep + row, col), f"thread {tid} register {j}"
            assert indices == (64 * rep + row, col)
            seen.add(indices)
    assert len(seen) == m * n, "the 128 threads' registers do not cover C once"


# -- PTX -------------------------------------------------------------------------------------------

KERNEL = Path(__file__).resolve().parents[1] / "extension" / "wgmma-ptx.mlir"
REWRITE = Path(__file__).resolve().parents[1] / "Inputs" / "extension" / "wgmma-script.mlir"


def test_ptxas_accepts_the_wgmma_kernel_for_sm_90a():
    """The hand-written kernel of test/extension/wgmma-ptx.mlir, rewritten and lowered by the NVVM
    target: ``ptxas -arch=sm_90a`` accepts its wgmma.mma_async, with no spills (64 accumulator
    registers per thread) and the two staging buffers' 12 KiB of shared memory."""
    ctx = new_context()
    module = parse_module(KERNEL.read_text() + REWRITE.read_text(), str(KERNEL), ctx)
    with ctx:
        PassManager.parse("builtin.module(transform-interpreter)").run(module.operation)
        for op in list(module.body.operations):
            if "transform.with_named_sequence" in op.operation.attributes:
                op.operation.erase()
    run_pipeline(module, lower_to_nvvm("sm_90a"), str(KERNEL), "nvvm")
    ptx = ptx_of(module, str(KERNEL))
    assert ptx.count("wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16") == 2
    report = ptxas_report(ptx, "sm_90a")
    assert "0 bytes spill stores, 0 bytes spill loads" in report
    assert re.search(r"Used \d+ registers, .*12288 bytes smem", report), report
