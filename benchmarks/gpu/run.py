"""The one GPU check of the NVVM target: prepare artifacts here, run them where a GPU is lent.

    python benchmarks/gpu/run.py prepare            # here (jax + the compiler): benchmarks/gpu/out/*.twa
    python benchmarks/gpu/run.py run                # on the GPU machine: numpy + libcuda (torch optional)

``prepare`` compiles every case below for ``--arch`` (sm_90: H100/H200) into artifacts and
writes ``cases.json`` (inputs' shapes, dtypes, seeds). ``run`` needs no compiler, jax or MLIR:
the pure-Python runtime (``python/tilewright/runtime``) loads each artifact through the CUDA
driver (cuda-bindings, or ctypes on ``libcuda.so.1``), checks the ``check`` cases against numpy
at odd sizes, times the ``bench`` cases (inputs uploaded once, results left on the device, wall
time of a call and its synchronize; device memory comes from the artifact's pool) against torch on the
same GPU when torch is installed (``torch.matmul`` without TF32, SDPA, softmax, layer_norm) and
a device-to-device copy of the same bytes, and prints one table. Exit 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
import traceback
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "out"
sys.path.insert(0, str(ROOT / "python"))

# name -> (kind, input shapes and dtypes, what it computes (numpy reference for checks), peer)
CASES: dict[str, dict] = {
    "matmul_f32_97x131x77": {"kind": "check", "inputs": [[97, 131], [131, 77]], "dtype": "float32"},
    "matmul_f16_97x64x33": {"kind": "check", "inputs": [[97, 64], [64, 33]], "dtype": "float16"},  # SIMT row
    "matmul_f16_256x96x128": {"kind": "check", "inputs": [[256, 96], [96, 128]], "dtype": "float16"},  # mma.sync
    # mma.sync on sm_90, warpgroup MMA on sm_90a (M, N multiples of 128, K of 64).
    "matmul_f16_256x128x256": {"kind": "check", "inputs": [[256, 128], [128, 256]], "dtype": "float16"},
    "softmax_7x1000": {"kind": "check", "inputs": [[7, 1000]], "dtype": "float32"},
    "layernorm_97x256": {"kind": "check", "inputs": [[97, 256], [256], [256]], "dtype": "float32"},
    "elementwise_7x97": {"kind": "check", "inputs": [[7, 97], [7, 97]], "dtype": "float32"},
    "attention_1x2x97x64": {"kind": "check", "inputs": [[1, 2, 97, 64]] * 3, "dtype": "float32"},
    # A whole program (benchmarks/programs/), checked against its CPU build's result saved by prepare.
    "gpt_block": {"kind": "check", "program": "gpt_block.mlir"},
    "matmul_f32_4096": {"kind": "bench", "inputs": [[4096, 4096]] * 2, "dtype": "float32", "goal": 0.5},
    "matmul_f16_4096": {"kind": "bench", "inputs": [[4096, 4096]] * 2, "dtype": "float16", "goal": 0.7},
    "softmax_8192_f16": {"kind": "bench", "inputs": [[8192, 8192]], "dtype": "float16", "goal": 0.8},
    "layernorm_8192_f16": {"kind": "bench", "inputs": [[8192, 8192], [8192], [8192]], "dtype": "float16", "goal": 0.8},
    "attention_4x16x4096x64_f16": {"kind": "bench", "inputs": [[4, 16, 4096, 64]] * 3, "dtype": "float16", "goal": 0.5},
}


def _function(name: str):
    """The JAX function of a case (prepare) or its numpy reference (run): the same formulas."""
    if name.startswith("matmul"):
        return lambda a, b: a @ b
    if name.startswith("softmax"):
        return lambda x: _softmax(x)
    if name.startswith("layernorm"):
        return _layernorm
    if name.startswith("elementwise"):
        return None
    if name.startswith("attention"):
        return _attention
    raise KeyError(name)


def _softmax(x, xp=np):
    e = xp.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _layernorm(x, g, b, xp=np):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / xp.sqrt(var + 1e-5) * g + b


def _attention(q, k, v, xp=np):
    s = q @ xp.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    return _softmax(s, xp) @ v


def _attention_jax(q, k, v):
    """Attention as JAX models write it in f16: both products accumulate in f32
    (``preferred_element_type``), the softmax in f32, P cast back to V's type: what SDPA's flash
    backend computes, and a chain the NVVM target raises into its fused attention kernel."""
    import jax.numpy as jnp

    f32 = jnp.float32
    s = jnp.einsum("bhqd,bhkd->bhqk", q, k, preferred_element_type=f32) / math.sqrt(q.shape[-1])
    p = _softmax(s, jnp).astype(v.dtype)
    return jnp.einsum("bhqk,bhkd->bhqd", p, v, preferred_element_type=f32).astype(q.dtype)


def _elementwise(x, y, xp=np):
    return xp.tanh(x * y + 1.0) - xp.exp(-x)


def _selected(only: str | None) -> dict[str, dict]:
    return {n: c for n, c in CASES.items() if only is None or re.search(only, n)}


def prepare(out: Path, archs: list[str], only: str | None = None) -> None:
    import jax
    import jax.numpy as jnp

    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import as_source

    out.mkdir(parents=True, exist_ok=True)
    jax_fns = {
        "matmul": lambda a, b: a @ b,
        "softmax": lambda x: jax.nn.softmax(x, axis=-1),
        "layernorm": lambda x, g, b: _layernorm(x, g, b, jnp),
        "elementwise": lambda x, y: _elementwise(x, y, jnp),
        "attention": _attention_jax,
    }
    cases = _selected(only)
    for name, case in cases.items():
        if "program" in case:
            text = (ROOT / "benchmarks" / "programs" / case["program"]).read_text()
            _save_cpu_result(out / f"{name}.expected.npz", text)
        else:
            fn = jax_fns[name.split("_")[0]]
            args = [jax.ShapeDtypeStruct(tuple(s), case["dtype"]) for s in case["inputs"]]
            text = jax.jit(fn).lower(*args).as_text()
        for arch in archs:
            started = time.perf_counter()
            try:
                options = CompileOptions(target="nvvm", gpu_arch=arch)
                data = start(as_source(text), options).run_until("artifact")
            except Exception as exc:  # noqa: BLE001 - a case that does not compile is reported, the others go on
                print(f"{name} {arch}: compile failed: {exc}")
                continue
            (out / f"{name}.{arch}.twa").write_bytes(data)
            print(f"{name} {arch}: {len(data)} bytes, compiled in {time.perf_counter() - started:.1f} s")
    (out / "cases.json").write_text(json.dumps({"archs": archs, "cases": cases}, indent=1))


def _save_cpu_result(path: Path, text: str) -> None:
    """Seeded inputs of a whole program and what its CPU build computes from them (the reference
    for the GPU: the CPU build is itself checked against JAX by the test suite)."""
    import tilewright
    from tilewright.runtime.inputs import random_inputs

    cpu = tilewright.compile(text, threads=1)
    args = random_inputs(cpu.signature, seed=0)
    want = cpu(*args)
    outs = want if isinstance(want, tuple) else (want,)
    np.savez(path, **{f"in{i}": a for i, a in enumerate(args)}, **{f"out{i}": o for i, o in enumerate(outs)})


def _saved(path: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    with np.load(path) as data:
        count = sum(k.startswith("in") for k in data.files)
        return [data[f"in{i}"] for i in range(count)], [data[f"out{i}"] for i in range(len(data.files) - count)]


def _inputs(case: dict, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in case["inputs"]:
        a = rng.standard_normal(shape).astype(np.float32)
        arrays.append((a / math.sqrt(shape[-1]) if len(shape) > 1 else 1 + 0.1 * a).astype(case["dtype"]))
    return arrays


def _reference(name: str, args: list[np.ndarray]) -> np.ndarray:
    wide = [a.astype(np.float64) for a in args]
    fn = _elementwise if name.startswith("elementwise") else _function(name)
    return fn(*wide)


class _OnDevice:
    """An input already on the GPU (the CUDA array interface), so timed calls copy nothing in."""

    def __init__(self, pointer: int, array: np.ndarray) -> None:
        self.__cuda_array_interface__ = {
            "shape": array.shape,
            "typestr": array.dtype.str,
            "data": (pointer, False),
            "version": 3,
        }


def _time(fn, sync, rounds: int = 5, budget: float = 0.05) -> float:
    """Seconds per call: calls queued back to back (so the host's launch overhead overlaps the
    GPU's work, as in a model), ``rounds`` rounds of about ``budget`` seconds, median."""
    fn()
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    calls = max(1, min(1000, int(budget / max(time.perf_counter() - t0, 1e-6))))
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def _peer(name: str, args: list[np.ndarray]):
    """torch's version of a bench case on the same GPU, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    t = [torch.from_numpy(a).cuda() for a in args]
    if name.startswith("matmul"):
        return lambda: torch.matmul(t[0], t[1])
    if name.startswith("softmax"):
        return lambda: torch.softmax(t[0], dim=-1)
    if name.startswith("layernorm"):
        return lambda: torch.nn.functional.layer_norm(t[0], t[0].shape[-1:], t[1], t[2], 1e-5)
    if name.startswith("attention"):
        return lambda: torch.nn.functional.scaled_dot_product_attention(t[0], t[1], t[2])
    return None


def _bench(name: str, case: dict, program, driver, args: list[np.ndarray]) -> tuple:
    """One bench case: inputs uploaded once, results left on the device (:func:`_time`)."""
    pointers = []
    for a in args:
        pointers.append(driver.alloc(a.nbytes))
        driver.copy_to_device(pointers[-1], np.ascontiguousarray(a))
    device_args = [_OnDevice(p, a) for p, a in zip(pointers, args, strict=True)]
    ours = _time(lambda: program(*device_args, device_outputs=True), driver.synchronize)
    scratch = driver.alloc(args[0].nbytes)
    copy = _time(lambda: driver.copy_on_device(scratch, pointers[0], args[0].nbytes), driver.synchronize)
    peer = _peer(name, args)
    if peer is not None:
        import torch

        theirs = _time(peer, torch.cuda.synchronize)
        ratio = f"{theirs / ours:.2f}x torch (goal {case['goal']})"
    else:
        ratio = "torch not installed"
    moved = args[0].nbytes * 2  # read the first input once, write a result of its size
    bandwidth = f"{moved / ours / 1e9:.0f} GB/s (copy {moved / copy / 1e9:.0f})"
    for p in (*pointers, scratch):
        driver.free(p)
    return (name, "bench", f"{ours * 1e3:.3f} ms", ratio, bandwidth, "")


def run(out: Path, only: str | None = None) -> int:
    try:
        import ml_dtypes  # noqa: F401 - tilewright.types names bfloat16
    except ImportError:
        sys.modules["ml_dtypes"] = types.SimpleNamespace(bfloat16=np.dtype("V2"))
    from tilewright.runtime.artifact_cuda import default_driver, runs_on

    meta = json.loads((out / "cases.json").read_text())
    driver = default_driver()
    capability = driver.compute_capability()
    archs = [a for a in meta["archs"] if runs_on(a, capability)]
    rows, failed = [], 0
    for name, case in meta["cases"].items():
        if only is not None and not re.search(only, name):
            continue
        for arch in archs:
            failed += _run_case(out, f"{name}.{arch}", name, case, driver, rows)
    major, minor = capability
    print(f"\nNVVM target on the GPU (compute capability {major}.{minor}, artifacts for {', '.join(archs)})")
    print(f"| {'case':36s} | kind  | result | vs peer | bandwidth |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row[0]:36s} | {row[1]:5s} | {row[2]} | {row[3]} | {row[4]} |")
    return 1 if failed else 0


def _run_case(out: Path, label: str, name: str, case: dict, driver, rows: list) -> int:
    """Check or time one artifact, appending its table row; 1 if it failed."""
    from tilewright.runtime.artifact import load

    path = out / f"{label}.twa"
    if not path.exists():
        rows.append((label, case["kind"], "not compiled", "", "", ""))
        return 0
    try:
        program = load(path, driver=driver)
        if "program" in case:
            args, wants = _saved(out / f"{name}.expected.npz")
        else:
            args = _inputs(case)
        if case["kind"] == "check":
            want = wants[0].astype(np.float64) if "program" in case else _reference(name, args)
            got = program(*args)
            got = got[0] if isinstance(got, tuple) else got
            tol = 2e-2 if case.get("dtype") == "float16" else 1e-4
            err = float(np.max(np.abs(got.astype(np.float64) - want)) / max(np.max(np.abs(want)), 1e-30))
            ok = err <= tol
            rows.append((label, "check", f"rel err {err:.1e}", "PASS" if ok else "FAIL", "", ""))
            return int(not ok)
        rows.append((label, *_bench(name, case, program, driver, args)[1:]))
    except Exception as exc:  # noqa: BLE001 - one case's failure must not hide the others
        rows.append((label, case["kind"], "ERROR", f"{type(exc).__name__}: {exc}"[:160], "", ""))
        traceback.print_exc()
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["prepare", "run"])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--arch",
        action="append",
        help="prepare: a GPU architecture to compile for, repeatable (default: sm_90 and sm_90a, H100/H200)",
    )
    parser.add_argument("--only", help="only the cases whose name this regular expression finds")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.out, args.arch or ["sm_90", "sm_90a"], args.only)
        return 0
    return run(args.out, args.only)


if __name__ == "__main__":
    sys.exit(main())
