"""``tilewright bench --peak``: the core's achievable f32 FMA throughput, measured.

A register-only kernel that tilewright compiles itself (vector dialect -> the CPU
target's own lowering -> the JIT): one loop whose body is ``accumulators`` independent
``vector.fma`` chains on full-width vectors of the CPU compiled for, enough chains to
cover the FMA latency on every FMA pipe. No load or store in the loop, so its rate is
the arithmetic roof a matmul or attention kernel can at best approach; ``bench``
reports every program's GFLOP/s as a fraction of it, measured on the same pinned core.
:func:`measure_bandwidth` gives the roofline's memory slope (``--peak --plot``).
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tilewright.target.cpu.host import HostCpu

# FMA latency (cycles) the chains must hide on every pipe: 4 on Intel since Skylake and on Zen.
FMA_LATENCY = 4


@dataclass(frozen=True)
class Peak:
    """A measured FMA roof: GFLOP/s of one core, and the kernel that reached it."""

    gflops: float
    lanes: int
    accumulators: int
    iterations: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "gflops": self.gflops,
            "kernel": f"{self.accumulators} x vector<{self.lanes}xf32> vector.fma chains, no memory access",
            "iterations": self.iterations,
            "seconds": self.seconds,
        }


def accumulator_count(cpu: HostCpu) -> int:
    """Independent FMA chains: at least latency x pipes, leaving registers for the two operands."""
    return max(FMA_LATENCY * cpu.fma_units, min(cpu.vector_registers - 4, 3 * FMA_LATENCY * cpu.fma_units))


def kernel_mlir(lanes: int, accumulators: int) -> str:
    """``@peak(%n: i64) -> f32``: ``n`` iterations of ``accumulators`` FMAs of ``vector<lanes x f32>``.

    The operands come from ``n`` so that nothing folds; the chains are summed at the end so
    that none is dead.
    """
    v = f"vector<{lanes}xf32>"
    accs = [f"%acc{i}" for i in range(accumulators)]
    iter_args = ", ".join(f"{a} = %init" for a in accs)
    body = "\n".join(f"      %next{i} = vector.fma %a, %b, {a} : {v}" for i, a in enumerate(accs))
    yields = ", ".join(f"%next{i}" for i in range(accumulators))
    types = ", ".join([v] * accumulators)
    sums = [f"%r#{0}"]
    lines = []
    for i in range(1, accumulators):
        lines.append(f"    %s{i} = arith.addf {sums[-1]}, %r#{i} : {v}")
        sums.append(f"%s{i}")
    total = "\n".join(lines)
    return f"""func.func @peak(%n: i64) -> f32 attributes {{llvm.emit_c_interface}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = arith.index_cast %n : i64 to index
  %x = arith.sitofp %n : i64 to f32
  %one = arith.constant 1.0 : f32
  %y = arith.divf %one, %x : f32
  %a = vector.broadcast %y : f32 to {v}
  %b = vector.broadcast %x : f32 to {v}
  %init = arith.constant dense<0.0> : {v}
  %r:{accumulators} = scf.for %i = %c0 to %count step %c1 iter_args({iter_args}) -> ({types}) {{
{body}
      scf.yield {yields} : {types}
  }}
{total}
  %sum = vector.reduction <add>, {sums[-1]} : {v} into f32
  return %sum : f32
}}
"""


def measure_peak(cpu: HostCpu, min_time_s: float = 0.2, repetitions: int = 5) -> Peak:
    """Compile the kernel for ``cpu`` (the host or a CPU it can run), calibrate ``n`` so one call
    lasts about ``min_time_s``, and keep the best of ``repetitions`` calls (a roof, not a median)."""
    from mlir import ir
    from mlir.execution_engine import ExecutionEngine

    from tilewright import pipeline
    from tilewright.mlir_env import new_context, parse_module
    from tilewright.target.cpu import llvm

    lanes = cpu.vector_bits // 32
    accumulators = accumulator_count(cpu)
    context = new_context()
    module = parse_module(kernel_mlir(lanes, accumulators), "<peak kernel>", context)
    named = not cpu.host or cpu.llvm_features
    target = {"cpu": cpu.name, "features": cpu.llvm_feature_string} if named else {}
    pipeline.run_pipeline(module, pipeline.steps("tw-lower-to-llvm-cpu", threads=1, **target), "<peak>", "peak")
    with context:
        engine = ExecutionEngine(module, opt_level=3, shared_libs=llvm.jit_shared_libraries())
    result = ctypes.c_float()

    def call(n: int) -> float:
        count = ctypes.c_int64(n)
        began = time.perf_counter()
        engine.invoke("peak", ctypes.pointer(count), ctypes.pointer(result))
        return time.perf_counter() - began

    n = 1 << 16
    call(n)  # warm-up
    while (elapsed := call(n)) < min_time_s / 4 and n < 1 << 40:
        n *= 4
    n = max(1, int(n * min_time_s / max(elapsed, 1e-9)))
    best = min(call(n) for _ in range(repetitions))
    flops = 2.0 * lanes * accumulators * n
    del ir  # the context keeps the module alive until here
    return Peak(flops / best / 1e9, lanes, accumulators, n, best)


# Bytes of each array the bandwidth copy streams: several times any L3, so the copy runs from
# and to memory, and at least this much.
BANDWIDTH_MIN_BYTES = 64 << 20
BANDWIDTH_MAX_BYTES = 256 << 20


def measure_bandwidth(cpu: HostCpu, repetitions: int = 5) -> float:
    """Memory bandwidth (GB/s) one thread reaches: the best of ``repetitions`` numpy copies of an
    array 4x the L3 (64 to 256 MiB), counted as read + write. A cheap STREAM "copy", enough for
    the roofline's slope, not a tuned figure."""
    size = min(BANDWIDTH_MAX_BYTES, max(BANDWIDTH_MIN_BYTES, 4 * cpu.l3))
    src = np.ones(size // 4, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in
    best = float("inf")
    for _ in range(repetitions):
        began = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - began)
    return 2 * size / best / 1e9
