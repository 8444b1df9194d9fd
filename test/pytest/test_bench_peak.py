"""``tilewright bench --peak``: the register-only FMA kernel and the fraction of it reported.

The kernel's assembly is checked for both vector ISAs on any host (the FMA count per
iteration and no memory operand), and its rate is measured once, never compared with a
number: performance is for benchmarks, not tests.
"""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np

import pytest
from conftest import stablehlo_of
from tilewright.bench import BenchConfig, run_bench
from tilewright.bench.peak import accumulator_count, kernel_mlir, measure_peak
from tilewright.target.cpu.host import cpu_model, host_cpu


def kernel_assembly(cpu_name: str) -> str:
    from tilewright import pipeline
    from tilewright.mlir_env import new_context, parse_module
    from tilewright.target.cpu import llvm

    cpu = cpu_model(cpu_name)
    module = parse_module(kernel_mlir(cpu.vector_bits // 32, accumulator_count(cpu)), "<peak>", new_context())
    steps = pipeline.steps("tw-lower-to-llvm-cpu", threads=1, cpu=cpu.name)
    pipeline.run_pipeline(module, steps, "<peak>", "peak")
    return llvm.compile_llvm_ir(llvm.translate_to_llvm_ir(str(module)), "asm", cpu=cpu.name).decode()


def loop_body(asm: str) -> list[str]:
    """The instructions of the kernel's loop (comments dropped): its label to the branch back."""
    for block in re.split(r"\n(?=\.LBB\d+_\d+:)", asm):
        label = re.match(r"(\.LBB\d+_\d+):", block)
        if label is None:
            continue
        lines = [line.split("#")[0].strip() for line in block.splitlines()[1:]]
        body = [line for line in lines if line and not line.startswith(".")]
        back = [i for i, line in enumerate(body) if re.fullmatch(rf"j\w+\s+{re.escape(label.group(1))}", line)]
        if back:
            return body[: back[0] + 1]
    raise AssertionError("no loop in the peak kernel")


@pytest.mark.parametrize(("cpu", "register", "chains"), [("haswell", "ymm", 12), ("skylake-avx512", "zmm", 24)])
def test_the_kernel_is_register_only_fmas(cpu, register, chains):
    assert accumulator_count(cpu_model(cpu)) == chains
    body = loop_body(kernel_assembly(cpu))
    fmas = [i for i in body if i.startswith("vfmadd")]
    # One FMA per chain and iteration (LLVM may unroll the loop: a multiple of the chains).
    assert len(fmas) >= chains and len(fmas) % chains == 0 and all(f"%{register}" in f for f in fmas)
    assert not any("(" in i for i in fmas)  # no memory operand: the operands live in registers
    assert len(body) <= len(fmas) + 4  # the FMAs, the counter and the branch: nothing else in the loop


def test_bench_reports_the_fraction_of_peak(tmp_path):
    x = np.ones((97, 131), np.float32)
    program = tmp_path / "mm.mlir"
    program.write_text(stablehlo_of(jnp.matmul, x, x.T))
    report = run_bench(
        BenchConfig(str(program), threads=1, compare=("numpy",), repetitions=1, min_time_s=0.01, peak=True)
    )
    peak = report["peak"]
    assert peak["gflops"] > 0 and peak["threads"] == 1
    ours = report["tilewright"]["time"]
    assert ours["of_peak"] == pytest.approx(ours["gflops"] / peak["gflops"])
    assert "of_peak" in report["peers"]["numpy"]["time"]


def test_peak_plot_is_a_roofline(tmp_path, monkeypatch):
    """``--peak --plot``: a roofline PNG, one point per implementation timed, each at the program's
    arithmetic intensity (flops per byte of arguments and results) and its GFLOP/s, under a roof at
    the measured peak and a memory slope at the measured bandwidth; the report lists the points."""
    import json
    import subprocess
    import sys

    figure = pytest.importorskip("matplotlib.figure")
    from tilewright.bench.report import plot

    a, b = np.ones((97, 77), np.float32), np.ones((77, 131), np.float32)
    program = tmp_path / "mm.mlir"
    program.write_text(stablehlo_of(jnp.matmul, a, b))
    png, out = tmp_path / "roof.png", tmp_path / "report.json"
    cli = [sys.executable, "-m", "tilewright.cli.main", "bench", str(program), "-r", "1", "--min-time", "0.01"]
    cli += ["--threads", "1", "--compare", "numpy,jax", "--peak", "--plot", str(png), "--json", str(out)]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    report = json.loads(out.read_text())
    drawn = report["plot"]
    assert report["bytes"] == 4 * (97 * 77 + 77 * 131 + 97 * 131)
    assert drawn["kind"] == "roofline" and drawn["bandwidth_gbs"] > 0
    assert [p["name"] for p in drawn["points"]] == ["tilewright", "numpy", "jax"]
    for p in drawn["points"]:
        assert p["intensity"] == pytest.approx(2 * 97 * 77 * 131 / report["bytes"])
    assert drawn["points"][0]["gflops"] == report["tilewright"]["time"]["gflops"]
    # Redrawn in-process from the report: as many markers as points, at their coordinates.
    seen = {}

    def capture(fig, path, **kwargs):
        ax = fig.axes[0]
        seen["xy"] = [tuple(c.get_offsets()[0]) for c in ax.collections]
        seen["scale"] = (ax.get_xscale(), ax.get_yscale())

    monkeypatch.setattr(figure.Figure, "savefig", capture)
    again = plot(report, str(tmp_path / "again.png"))
    assert seen["scale"] == ("log", "log")
    assert seen["xy"] == [pytest.approx((p["intensity"], p["gflops"])) for p in again["points"]]
    assert len(seen["xy"]) == len(drawn["points"]) == 3


def test_measure_peak_on_this_host():
    peak = measure_peak(host_cpu(), min_time_s=0.01, repetitions=1)
    assert peak.lanes == host_cpu().vector_bits // 32 and peak.gflops > 0 and peak.iterations > 0
