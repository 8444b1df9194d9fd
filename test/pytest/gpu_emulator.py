"""A GPU emulator for tests: the NVVM target's kernels run on the host CPU with the threads of a
block running CONCURRENTLY, so that ``gpu.barrier``, workgroup (shared) memory and warp
shuffles behave as on a GPU. CI has no GPU; this is how the numerics of real GPU kernels are
checked there (``emulate(source, inputs)`` against JAX).

How: the program is compiled for ``--target nvvm`` through the ``nvvm`` stage's steps except the
lowering to NVVM (:func:`kernel_steps`: outlining into ``gpu.module @kernels``, shared memory,
tensor cores), then rewritten into a host program (:mod:`gpu_emulator_ir`):

- each kernel becomes a ``func.func`` taking its arguments plus the block id, thread id, grid
  and block sizes and the linear thread id (``llvm.emit_c_interface``);
- each launch becomes a call to an external function, a Python callback
  (``ExecutionEngine.register_runtime``) that runs the blocks one after another and, within a
  block, one Python thread per GPU thread, each calling the JIT-compiled kernel through ctypes
  (which releases the GIL: the threads really run together);
- ``gpu.barrier`` calls back into a barrier of the block; a barrier that some threads of the
  block never reach (they returned) is an :class:`EmulationError` ("divergent barrier?"), a
  barrier that no thread can leave one after ``timeout`` seconds;
- ``gpu.shuffle`` and ``gpu.subgroup_reduce`` call back into an exchange among the lanes of a
  warp (lane = linear thread id % 32), with the PTX semantics of upstream's NVVM lowering;
- ``nvgpu.mma.sync`` (m16n8k16 and m16n8k8 f16/bf16, m16n8k8 and m16n8k4 tf32; f32 or
  f16 accumulators) and ``nvgpu.ldmatrix`` (b16, x1/x2/x4, transposed or not) exchange the 32 lanes'
  fragments, laid out as the PTX ISA says, and compute the warp's product or loads in numpy;
- ``nvgpu.device_async_copy`` (cp.async) copies at once, zeros past ``srcElements``; its groups
  and waits go, its tokens (loop-carried too) become i32 zeros;
- workgroup memory (``#gpu.address_space<workgroup>`` / address space 3 globals, allocations and
  ``gpu.func`` workgroup attributions) becomes one host buffer per kernel, which consecutive
  blocks reuse, as a GPU reuses a multiprocessor's shared memory.

A kernel with no barrier, shuffle or reduction needs no concurrency: its threads run one after
another in one Python thread (much faster). ``sequential=True`` runs every kernel that way with
barriers ignored: the mutation that the tests use to show the concurrency is real. A barrier
that is the last op of a kernel (upstream's mapping ends every launch with one) is dropped: no
thread does anything after it.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import ml_dtypes
import numpy as np
from gpu_emulator_ir import (
    DTYPES,
    MMA_TYPES,
    REDUCE_KINDS,
    SHUFFLE_MODES,
    WARP,
    EmulationError,
    address_functions,
    host_module,
)
from mlir import ir

from tilewright import pipeline
from tilewright.compiler import Compilation, CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.mlir_env import find_ops, new_context, parse_module
from tilewright.runtime import CpuFunction
from tilewright.runtime.memref import descriptor_for
from tilewright.target.cpu import llvm as cpu_llvm
from tilewright.target.nvvm import lowering

# Seconds a thread may wait at a barrier or shuffle before it is an error: generous, since a loaded
# 2-core machine runs a block's 256 Python threads slowly (three emulated matmuls failed in one full
# run there with 20 s, cause not seen, and passed alone); a divergent barrier is found at once.
DEFAULT_TIMEOUT = 120.0


def emulate(
    source: Any,
    inputs: Sequence[np.ndarray],
    *,
    gpu_arch: str = "sm_80",
    schedule: Any = None,
    sequential: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[np.ndarray]:
    """Compile ``source`` (what :func:`tilewright.compile` takes) for ``--target nvvm`` and run
    it on ``inputs`` with every kernel emulated on the CPU; returns the outputs."""
    options = CompileOptions(target="nvvm", gpu_arch=gpu_arch, schedule=schedule)
    compilation = start(as_source(source), options)
    program = EmulatedProgram.of_compilation(compilation, sequential=sequential, timeout=timeout)
    out = program.function(*inputs)
    program.check()
    return list(out) if isinstance(out, tuple) else [out]


def kernel_steps(arch: str) -> list[Any]:
    """The ``nvvm`` stage's steps after ``tw-gpu-map`` but for the target attachment and the
    lowering to NVVM (outlining, shared memory, tensor cores...): the kernels the GPU gets."""
    skip = {str(lowering.attach_target(arch)), str(lowering.LOWER_KERNELS)}
    return [s for s in lowering.lower_to_nvvm(arch) if s is not lowering.GPU_MAP and str(s) not in skip]


def emulate_mlir(
    text: str,
    arrays: Sequence[np.ndarray],
    *,
    entry: str = "main",
    passes: Sequence[str] = (),
    sequential: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Run the function ``entry`` of an MLIR module (GPU-mapped: ``gpu.launch`` in host
    functions, or outlined: ``gpu.module`` + ``gpu.launch_func``) on ``arrays``, one per
    memref argument, in place; ``passes`` run first (e.g. ``func.func(convert-vector-to-gpu)``)."""
    context = new_context()
    module = parse_module(text, "<emulated>", context)
    if passes:
        pipeline.run_pipeline(module, list(passes), "<emulated>", "the test's passes")
    if find_ops(module.operation, "gpu.launch"):
        pipeline.run_pipeline(module, kernel_steps("sm_80"), "<emulated>", "outlining")
    with context:
        for fn in module.body.operations:
            if fn.operation.name == "func.func" and ir.StringAttr(fn.operation.attributes["sym_name"]).value == entry:
                fn.operation.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
    program = EmulatedProgram(module, context, sequential=sequential, timeout=timeout)
    arrays = [np.ascontiguousarray(a) for a in arrays]
    descriptors = [descriptor_for(a) for a in arrays]
    pointers = [ctypes.pointer(d) for d in descriptors]
    packed = (ctypes.c_void_p * len(pointers))(*[ctypes.addressof(p) for p in pointers])
    ctypes.CFUNCTYPE(None, ctypes.c_void_p)(program.engine.raw_lookup("_mlir_ciface_" + entry))(
        ctypes.addressof(packed)
    )
    program.check()


# ---------------------------------------------------------------------------------------------
# Run time: blocks, barriers and warp exchanges.


class _Failure:
    """The first error of a run (callbacks cannot raise through compiled code: they record it
    and return, and every later wait returns at once)."""

    def __init__(self) -> None:
        self.error: BaseException | None = None

    def set(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error


class _Block:
    """One block's synchronisation: its barrier, its warps' exchanges, the threads that have
    returned from the kernel: one lock, a condition for the block and one per warp (an exchange
    wakes its warp's lanes only)."""

    def __init__(self, threads: int, failure: _Failure, timeout: float, kernel: str) -> None:
        self.threads = threads
        self.failure = failure
        self.timeout = timeout
        self.kernel = kernel
        lock = threading.Lock()
        self.cond = threading.Condition(lock)
        self.arrived = 0
        self.generation = 0
        self.exited = 0
        warps = -(-threads // WARP)
        self.warp_lanes = [min(WARP, threads - w * WARP) for w in range(warps)]
        self.warp_exited = [0] * warps
        self.warp_values: list[dict[int, Any]] = [{} for _ in range(warps)]
        self.warp_expected = [0] * warps
        self.warp_generation = [0] * warps
        self.warp_results: list[dict[int, Any]] = [{} for _ in range(warps)]
        self.warp_conds = [threading.Condition(lock) for _ in range(warps)]

    def _fail(self, message: str) -> None:
        self.failure.set(EmulationError(f"kernel {self.kernel}: {message}"))
        for cond in (self.cond, *self.warp_conds):
            cond.notify_all()

    def _wait(self, done: Callable[[], bool], what: str, cond: threading.Condition | None = None) -> None:
        cond = cond or self.cond
        while not done() and self.failure.error is None:
            if not cond.wait(self.timeout) and not done():
                self._fail(f"{what} waited {self.timeout} s: not reached by all threads (deadlock?)")

    def _check_barrier(self) -> None:
        if self.arrived == self.threads:
            self.arrived = 0
            self.generation += 1
            self.cond.notify_all()
        elif self.arrived and self.arrived + self.exited == self.threads:
            self._fail(
                f"barrier not reached by all threads (divergent barrier?): {self.arrived} of {self.threads} "
                f"threads wait at a gpu.barrier, {self.exited} returned"
            )

    def barrier(self) -> None:
        with self.cond:
            if self.failure.error is not None:
                return
            generation = self.generation
            self.arrived += 1
            self._check_barrier()
            self._wait(lambda: self.generation != generation, "gpu.barrier")

    def _check_warp(self, warp: int) -> None:
        pending = len(self.warp_values[warp])
        if pending and pending == self.warp_expected[warp]:
            self.warp_results[warp] = self.warp_values[warp]
            self.warp_values[warp] = {}
            self.warp_generation[warp] += 1
            self.warp_conds[warp].notify_all()
        elif pending and pending + self.warp_exited[warp] >= self.warp_lanes[warp]:
            self._fail(f"warp {warp}: a shuffle or reduction not reached by every lane of its mask")

    def exchange(self, lane: int, value: Any, members: int) -> dict[int, Any]:
        """Every member lane of this thread's warp gives a value; each gets all of them."""
        warp, lane_in_warp = divmod(lane, WARP)
        with self.cond:
            if self.failure.error is not None:
                return {}
            generation = self.warp_generation[warp]
            self.warp_values[warp][lane_in_warp] = value
            self.warp_expected[warp] = members
            self._check_warp(warp)
            self._wait(lambda: self.warp_generation[warp] != generation, "warp exchange", self.warp_conds[warp])
            return self.warp_results[warp]

    def exit(self, linear: int) -> None:
        """This thread returned from the kernel; wait until every thread of the block has."""
        with self.cond:
            self.exited += 1
            self.warp_exited[linear // WARP] += 1
            if self.exited == self.threads:
                self.cond.notify_all()
            self._check_barrier()
            self._check_warp(linear // WARP)
            self._wait(lambda: self.exited == self.threads, "the end of the block")


class _Thread(threading.local):
    block: _Block | None = None
    linear: int = 0


def _shuffle_source(lane: int, offset: int, width: int, mode: str) -> tuple[int, bool]:
    """The lane a ``gpu.shuffle`` reads and its ``valid``, as upstream's NVVM lowering issues
    ``shfl.sync``: member mask = lanes below ``width``, clamp ``32 - width`` for ``up``
    (PTX: valid if the source lane is at least the clamp) and ``width - 1`` otherwise (valid if
    at most the clamp); an invalid lane reads its own value."""
    if mode == "up":
        j = lane - offset
        ok = j >= WARP - width
    else:
        j = {"xor": lane ^ offset, "down": lane + offset, "idx": offset % WARP}[mode]
        ok = j <= width - 1
    return (j if ok else lane), ok


def _reduce(kind: str, values: list[Any], dtype: Any, cluster: int, stride: int, lane: int) -> Any:
    """``gpu.subgroup_reduce`` of ``kind`` over this lane's cluster, in the butterfly order of
    upstream's lowering to shuffles (xor by stride, 2 stride, ... inside the cluster)."""
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "add": lambda a, b: a + b,
        "mul": lambda a, b: a * b,
        "minsi": np.minimum,
        "maxsi": np.maximum,
        "minui": np.minimum,
        "maxui": np.maximum,
        "minnumf": np.fmin,
        "maxnumf": np.fmax,
        "minimumf": np.minimum,
        "maximumf": np.maximum,
        "and": lambda a, b: a & b,
        "or": lambda a, b: a | b,
        "xor": lambda a, b: a ^ b,
    }
    op = ops[kind]
    current = [dtype(v) for v in values]
    step = 1
    while step < cluster:
        current = [op(current[i], current[i ^ (step * stride)]) for i in range(len(current))]
        step *= 2
    return current[lane]


def _to_bits(value: Any, dtype: Any) -> int:
    return int(np.array(value, dtype=dtype).view(f"u{np.dtype(dtype).itemsize}"))


def _from_bits(bits: int, dtype: Any) -> Any:
    size = np.dtype(dtype).itemsize
    return np.array(bits & ((1 << (8 * size)) - 1), dtype=f"u{size}").view(dtype)[()]


class _Launcher:
    """Runs a kernel's launch: blocks one after another, a block's threads together."""

    def __init__(self, program: EmulatedProgram, name: str, kernel: Callable[..., None] | None, sync: bool) -> None:
        self.program = program
        self.name = name
        self.kernel = kernel
        self.sync = sync

    def __call__(self, gx: int, gy: int, gz: int, bx: int, by: int, bz: int, *args: Any) -> None:
        program = self.program
        try:
            if program.failure.error is not None or self.kernel is None:
                return
            grid, block = (gx, gy, gz), (bx, by, bz)
            threads = bx * by * bz
            blocks = [(x, y, z) for z in range(gz) for y in range(gy) for x in range(gx)]
            ids = [(t % bx, t // bx % by, t // (bx * by)) for t in range(threads)]
            if not self.sync or program.sequential:
                for b in blocks:
                    for linear, t in enumerate(ids):
                        self.kernel(*args, *b, *t, *grid, *block, linear)
                return
            states = [_Block(threads, program.failure, program.timeout, self.name) for _ in blocks]

            def work(linear: int) -> None:
                local = program.local
                local.linear = linear
                for b, state in zip(blocks, states, strict=True):
                    local.block = state
                    if program.failure.error is None:
                        self.kernel(*args, *b, *ids[linear], *grid, *block, linear)
                    state.exit(linear)

            workers = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        except BaseException as exc:  # noqa: BLE001 - recorded, raised after the program returns
            program.failure.set(exc)


class EmulatedProgram:
    """A module with GPU kernels, rewritten for the host and JIT-compiled (see the module's
    docstring); ``function`` is the entry on numpy arrays when built from a compilation."""

    def __init__(self, module: ir.Module, context: ir.Context, *, sequential: bool, timeout: float) -> None:
        self.sequential = sequential
        self.timeout = timeout
        self.failure = _Failure()
        self.local = _Thread()
        self.context = context
        self._callbacks: list[Any] = []  # ctypes callbacks: alive as long as the engine
        kernels = host_module(module, context)
        self.module = module
        pipeline.run_pipeline(module, pipeline.steps("tw-lower-to-llvm-cpu", threads=1), "<emulated>", "emulation")
        address_functions(module, context, len(kernels))
        from mlir.execution_engine import ExecutionEngine

        with context:
            self.engine = ExecutionEngine(module, opt_level=2, shared_libs=cpu_llvm.jit_shared_libraries())
        self._register("tw_emu_barrier", ctypes.CFUNCTYPE(None), self._barrier)
        i32, i64 = ctypes.c_int32, ctypes.c_int64
        self._register("tw_emu_shuffle", ctypes.CFUNCTYPE(i64, i64, i32, i32, i32), self._shuffle)
        self._register("tw_emu_shuffle_valid", ctypes.CFUNCTYPE(i32, i32, i32, i32), self._shuffle_valid)
        self._register("tw_emu_reduce", ctypes.CFUNCTYPE(i64, i64, i32, i32, i32, i32), self._subgroup_reduce)
        self._register("tw_emu_mma", ctypes.CFUNCTYPE(None, *[i64] * 4, *[i32] * 5), self._mma)
        self._register("tw_emu_ldmatrix", ctypes.CFUNCTYPE(None, i64, i64, i32, i32, i32), self._ldmatrix)
        launchers = []
        for index, (name, arg_types, sync) in enumerate(kernels):
            launchers.append(_Launcher(self, name, None, sync))
            self._register(f"tw_emu_launch_{index}", ctypes.CFUNCTYPE(None, *[i64] * 6, *arg_types), launchers[-1])
        # Looked up after every callback is registered: the first lookup links the module.
        for index, (launcher, (_, arg_types, _)) in enumerate(zip(launchers, kernels, strict=True)):
            address = ctypes.c_int64()
            packed = (ctypes.c_void_p * 1)(ctypes.addressof(address))
            getter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(self.engine.raw_lookup(f"tw_emu_address_{index}"))
            getter(ctypes.addressof(packed))
            launcher.kernel = ctypes.CFUNCTYPE(None, *arg_types, *[ctypes.c_int64] * 13)(address.value)
        self.function: Any = None

    @classmethod
    def of_compilation(cls, compilation: Compilation, *, sequential: bool, timeout: float) -> EmulatedProgram:
        compilation.run_until("gpu-mapped")
        module = compilation.module
        steps = kernel_steps(compilation.options.arch)
        pipeline.run_pipeline(module, steps, compilation.filename, "outlining")
        program = cls(module, compilation.context, sequential=sequential, timeout=timeout)
        program.function = CpuFunction(program.engine, compilation.options.entry, compilation.signature, program)
        return program

    def _register(self, name: str, prototype: Any, target: Callable[..., Any]) -> None:
        callback = prototype(target)
        self._callbacks.append(callback)
        self.engine.register_runtime(name, callback)

    def check(self) -> None:
        """Raise the first error the run recorded."""
        error, self.failure.error = self.failure.error, None
        if error is not None:
            raise error

    # Callbacks from the kernels (they must not raise: compiled code cannot unwind).
    def _barrier(self) -> None:
        block = self.local.block
        if block is not None:
            block.barrier()

    def _exchange(self, value: int, members: int) -> dict[int, int] | None:
        block = self.local.block
        if block is None:
            self.failure.set(EmulationError("a shuffle or reduction in a kernel run sequentially"))
            return None
        values = block.exchange(self.local.linear, value, members)
        return values if self.failure.error is None else None

    def _shuffle(self, bits: int, offset: int, width: int, mode: int) -> int:
        try:
            lane = self.local.linear % WARP
            if lane >= width:
                raise EmulationError(
                    f"lane {lane} executes a gpu.shuffle of width {width}: it is not in the member mask "
                    "(undefined on the GPU)"
                )
            values = self._exchange(bits, min(width, self._warp_lanes()))
            if values is None:
                return 0
            source, _ = _shuffle_source(lane, offset, width, SHUFFLE_MODES[mode])
            if source not in values:
                raise EmulationError(f"lane {lane} shuffles from lane {source}, which did not take part")
            return values[source]
        except BaseException as exc:  # noqa: BLE001
            self.failure.set(exc)
            return 0

    def _warp_lanes(self) -> int:
        block = self.local.block
        assert block is not None
        return block.warp_lanes[self.local.linear // WARP]

    def _shuffle_valid(self, offset: int, width: int, mode: int) -> int:
        return int(_shuffle_source(self.local.linear % WARP, offset, width, SHUFFLE_MODES[mode])[1])

    def _warp_round(self, value: Any) -> dict[Any, Any] | None:
        """A whole-warp exchange (``.sync.aligned`` ops: all 32 lanes take part)."""
        block = self.local.block
        if block is not None and self._warp_lanes() != WARP:
            raise EmulationError(f"a warp-level op in a warp of {self._warp_lanes()} lanes (32 needed)")
        return self._exchange(value, WARP)

    def _mma(self, a: int, b: int, c: int, d: int, m: int, n: int, k: int, element: int, accumulator: int) -> None:
        try:
            lane = self.local.linear % WARP
            layout = mma_layout(m, n, k, MMA_TYPES[element])
            dtypes = (_MMA_DTYPES[MMA_TYPES[element]], _MMA_DTYPES[MMA_TYPES[accumulator]])
            sizes = [np.dtype(dtypes[0]).itemsize] * 2 + [np.dtype(dtypes[1]).itemsize]
            fragments = tuple(
                ctypes.string_at(address, rc.shape[1] * size)
                for address, rc, size in zip((a, b, c), layout, sizes, strict=True)
            )
            values = self._warp_round(fragments)
            if values is None:
                return
            if "d" not in values:  # the first lane back computes the warp's product
                values["d"] = _warp_mma(values, layout, (m, n, k), MMA_TYPES[element], dtypes)
            ctypes.memmove(d, values["d"][lane], len(values["d"][lane]))
        except BaseException as exc:  # noqa: BLE001
            self.failure.set(exc)

    def _ldmatrix(self, row: int, out: int, tiles: int, transpose: int, element_bytes: int) -> None:
        try:
            if element_bytes != 2:
                raise EmulationError(f"ldmatrix of {8 * element_bytes}-bit elements (b16 only)")
            lane = self.local.linear % WARP
            values = self._warp_round(row)
            if values is None:
                return
            fragment = []
            for tile in range(tiles):
                key = ("tile", tile)
                if key not in values:
                    values[key] = np.stack([_read(values[8 * tile + r], 8, np.uint16) for r in range(8)])
                matrix = values[key].T if transpose else values[key]
                fragment += list(matrix[lane // 4, 2 * (lane % 4) : 2 * (lane % 4) + 2])
            _write(out, np.array(fragment, np.uint16))
        except BaseException as exc:  # noqa: BLE001
            self.failure.set(exc)

    def _subgroup_reduce(self, bits: int, kind: int, dtype: int, cluster: int, stride: int) -> int:
        try:
            values = self._exchange(bits, self._warp_lanes() if self.local.block else WARP)
            if values is None:
                return 0
            lanes = len(values)
            if lanes != WARP:
                raise EmulationError(f"gpu.subgroup_reduce in a warp of {lanes} lanes (all 32 must be active)")
            np_type = DTYPES[dtype][1]
            ordered = [_from_bits(values[i], np_type) for i in range(WARP)]
            result = _reduce(REDUCE_KINDS[kind], ordered, np_type, cluster, stride, self.local.linear % WARP)
            return _to_bits(result, np_type)
        except BaseException as exc:  # noqa: BLE001
            self.failure.set(exc)
            return 0


_MMA_DTYPES = {"f16": np.float16, "bf16": ml_dtypes.bfloat16, "tf32": np.float32, "f32": np.float32}


def _read(address: int, count: int, dtype: Any) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    return np.frombuffer(ctypes.string_at(address, count * size), dtype=dtype).copy()


def _write(address: int, values: np.ndarray) -> None:
    data = np.ascontiguousarray(values).tobytes()
    ctypes.memmove(address, data, len(data))


@functools.cache
def mma_layout(m: int, n: int, k: int, element: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column) of every element of the A (m x k), B (k x n) and C/D (m x n) fragments of each
    lane of an ``mma.sync`` (arrays of shape (32, fragment length, 2)), as the PTX ISA lays them
    out (element e of a fragment is ``vector<R x C>`` element (e // C, e % C)): group g = lane / 4,
    t = lane % 4."""
    a, b, c = [], [], []
    for lane in range(WARP):
        g, t = divmod(lane, 4)
        c.append([(g + 8 * r, 2 * t + h) for r in range(2) for h in range(2)])
        if element in ("f16", "bf16") and (m, n, k) == (16, 8, 16):
            a.append([(g + 8 * (r % 2), 2 * t + h + 8 * (r // 2)) for r in range(4) for h in range(2)])
            b.append([(2 * t + h + 8 * r, g) for r in range(2) for h in range(2)])
        elif element in ("f16", "bf16") and (m, n, k) == (16, 8, 8):
            a.append([(g + 8 * r, 2 * t + h) for r in range(2) for h in range(2)])
            b.append([(2 * t + h, g) for h in range(2)])
        elif element == "tf32" and (m, n, k) == (16, 8, 8):
            a.append([(g + 8 * (r % 2), t + 4 * (r // 2)) for r in range(4)])
            b.append([(t + 4 * r, g) for r in range(2)])
        elif element == "tf32" and (m, n, k) == (16, 8, 4):
            a.append([(g + 8 * r, t) for r in range(2)])
            b.append([(t, g)])
        else:
            raise EmulationError(f"mma.sync m{m}n{n}k{k} with {element} operands is not emulated")
    return np.array(a), np.array(b), np.array(c)


def _warp_mma(
    values: dict[Any, Any], layout: tuple[np.ndarray, ...], shape: tuple[int, int, int], element: str, dtypes: Any
) -> list[bytes]:
    """D = A @ B + C of the warp, gathered from its lanes' fragments (products exact, sums in f64,
    rounded once to the accumulator type; tf32 operands keep 10 mantissa bits); returns each
    lane's D fragment."""
    m, n, k = shape
    matrices = [np.zeros((m, k)), np.zeros((k, n)), np.zeros((m, n))]
    for operand, (matrix, rc) in enumerate(zip(matrices, layout, strict=True)):
        data = b"".join(values[lane][operand] for lane in range(WARP))
        fragments = np.frombuffer(data, dtypes[0] if operand < 2 else dtypes[1]).reshape(WARP, -1)
        if element == "tf32" and operand < 2:
            fragments = (fragments.view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)
        matrix[rc[:, :, 0], rc[:, :, 1]] = fragments.astype(np.float64)
    d = (matrices[0] @ matrices[1] + matrices[2]).astype(dtypes[1])
    rc = layout[2]
    return [row.tobytes() for row in d[rc[:, :, 0], rc[:, :, 1]]]
