"""Accuracy and speed of each f32 vector math implementation tilewright can use.

For every function, each source of a polynomial (``own``: ``tilewright.lower.math_approx``;
``upstream``: MLIR's ``populateMathPolynomialApproximationPatterns`` through the C++ extension's
``tw-math-approximation``) and ``libm`` (no polynomial: LLVM scalarizes the vector op into one
libm call per element) is compiled by tilewright with the default schedule (vectorized) and:

* accuracy: run on every ``2**k``-th float32 bit pattern (both signs, the subnormals, inf, NaN)
  plus -0, +-inf, NaN and the smallest subnormals; the error in ulps of the float32 result against a
  float64 reference (numpy/scipy), over all finite inputs and over the function's main range;
  a result that is NaN or infinite where the rounded reference is not (or the reverse) is counted
  as a special-value mismatch;
* speed: a vectorized loop over 1M floats of the function's main range, ns per element, the
  sources of one function timed in interleaved rounds (the fastest of ``--rounds``, one thread:
  on a shared machine the minimum is what the code costs, the median what the neighbours cost).

The lowering's choice (``tilewright.target.cpu.lowering.VECTOR_MATH``) is read when the pipeline
is built, so each source compiles its own copy of the program (a comment names the source: the
compile cache keys on the text).

    python benchmarks/math_accuracy.py [--functions exp,sin] [--stride-log2 9] [--rounds 15]

Not a test (timings): the lead's README table ("Vector math") comes from its output.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# name -> (float64 reference, main range for the speed loop and the "main range" column)
FUNCTIONS: dict[str, tuple[str, tuple[float, float]]] = {
    "exp": ("np.exp", (-87.0, 88.0)),
    "tanh": ("np.tanh", (-10.0, 10.0)),
    "sin": ("np.sin", (-1.0e4, 1.0e4)),
    "cos": ("np.cos", (-1.0e4, 1.0e4)),
    "erf": ("scipy.special.erf", (-4.0, 4.0)),
    "erfc": ("scipy.special.erfc", (-4.0, 10.0)),
    "log": ("np.log", (0.0, 1.0e6)),
    "log2": ("np.log2", (0.0, 1.0e6)),
    "log1p": ("np.log1p", (-0.99, 1.0e6)),
    "expm1": ("np.expm1", (-20.0, 20.0)),
    "atan": ("np.arctan", (-1.0e3, 1.0e3)),
}
UPSTREAM = {"exp", "tanh", "sin", "cos", "erf", "erfc", "log", "log2", "log1p", "expm1", "atan"}
SPEED_SIZE = 1 << 20


def reference(name: str) -> Callable[[np.ndarray], np.ndarray]:
    module, _, attr = FUNCTIONS[name][0].rpartition(".")
    if module == "np":
        return getattr(np, attr)
    import scipy.special

    return getattr(scipy.special, attr)


def samples(stride_log2: int) -> np.ndarray:
    """Every ``2**stride_log2``-th bit pattern, then the special values; length a multiple of 1024."""
    bits = np.arange(0, 1 << 32, 1 << stride_log2, dtype=np.uint64).astype(np.uint32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, -1e-40], dtype=np.float32)
    x = np.concatenate([bits.view(np.float32), special])
    pad = -x.size % 1024
    return np.concatenate([x, np.zeros(pad, np.float32)])


def program(name: str, rows: int, cols: int = 1024) -> str:
    """``math.<name>`` over a ``rows x cols`` tensor, as a linalg elementwise op (vectorized by the
    default schedule)."""
    t = f"tensor<{rows}x{cols}xf32>"
    return f"""
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: {t}) -> {t} {{
  %e = tensor.empty() : {t}
  %r = linalg.generic {{indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}}
      ins(%x : {t}) outs(%e : {t}) {{
  ^bb0(%a: f32, %b: f32):
    %y = math.{name} %a : f32
    linalg.yield %y : f32
  }} -> {t}
  return %r : {t}
}}
"""


def compile_with(name: str, source: str, text: str):  # -> tilewright.Executable
    """``text`` compiled with ``math.<name>`` from ``source`` (own, upstream, libm)."""
    import tilewright
    from tilewright.target.cpu import lowering

    saved = dict(lowering.VECTOR_MATH)
    lowering.VECTOR_MATH.pop(name, None)
    if source != "libm":
        lowering.VECTOR_MATH[name] = source
    try:
        return tilewright.compile(f"// {name} from {source}\n{text}", threads=1)
    finally:
        lowering.VECTOR_MATH.clear()
        lowering.VECTOR_MATH.update(saved)


def speeds(name: str, sources: list[str], rounds: int) -> dict[str, float]:
    """ns/element of each source on 1M floats of the main range, interleaved rounds, fastest."""
    low, high = FUNCTIONS[name][1]
    # Rows of 64: the schedule's vectors are 4 registers wide, as in a softmax or attention tile
    # (rows of 1024 give vector<512xf32>, whose spills measure the register allocator).
    xs = np.linspace(low, high, SPEED_SIZE, dtype=np.float32).reshape(-1, 64)
    exes = {source: compile_with(name, source, program(name, *xs.shape)) for source in sources}
    times: dict[str, list[float]] = {source: [] for source in sources}
    for exe in exes.values():
        exe(xs)
    for _ in range(rounds):
        for source, exe in exes.items():
            start = time.perf_counter()
            exe(xs)
            times[source].append(time.perf_counter() - start)
    return {source: min(t) / SPEED_SIZE * 1e9 for source, t in times.items()}


def ulp_errors(name: str, x: np.ndarray, got: np.ndarray) -> dict[str, float]:
    with np.errstate(all="ignore"):
        want = reference(name)(x.astype(np.float64))
        want32 = want.astype(np.float32)
    nan_mismatch = np.isnan(got) != np.isnan(want32)
    inf_mismatch = (np.isinf(got) | np.isinf(want32)) & ~(np.isnan(got) | np.isnan(want32)) & (got != want32)
    finite = np.isfinite(got) & np.isfinite(want32)
    spacing = np.spacing(np.abs(want32[finite])).astype(np.float64)
    err = np.abs(got[finite].astype(np.float64) - want[finite]) / spacing
    low, high = FUNCTIONS[name][1]
    main = (x[finite] >= low) & (x[finite] <= high)
    worst = int(np.argmax(err)) if err.size else 0
    return {
        "max_ulp": float(err.max()) if err.size else 0.0,
        "max_ulp_main": float(err[main].max()) if main.any() else 0.0,
        "worst_x": float(x[finite][worst]) if err.size else 0.0,
        "special_mismatches": int(nan_mismatch.sum() + inf_mismatch.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--stride-log2", type=int, default=9, help="sample every 2**k-th bit pattern")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from tilewright.lower.math_approx import FUNCTIONS as OWN
    from tilewright.target.cpu.lowering import VECTOR_MATH

    x = samples(args.stride_log2)
    rows = []
    print(f"{'function':8} {'source':9} {'max ulp':>12} {'main range':>11} {'specials':>8} {'ns/elem':>8}  worst x")
    for name in args.functions.split(","):
        sources = [s for s, ok in (("own", name in OWN), ("upstream", name in UPSTREAM), ("libm", True)) if ok]
        ns = speeds(name, sources, args.rounds)
        for source in sources:
            got = compile_with(name, source, program(name, x.size // 1024))(x.reshape(-1, 1024)).reshape(-1)
            row = {"function": name, "source": source, "used": VECTOR_MATH.get(name, "libm") == source}
            row |= ulp_errors(name, x, got) | {"ns_per_element": ns[source]}
            rows.append(row)
            mark = "*" if row["used"] else " "
            print(
                f"{name:8} {source + mark:9} {row['max_ulp']:12.3g} {row['max_ulp_main']:11.3g} "
                f"{row['special_mismatches']:8d} {row['ns_per_element']:8.2f}  {row['worst_x']:.6g}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
