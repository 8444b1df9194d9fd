"""``tilewright bench``: flop counts, the numpy layout plan, result checks, the CLI report and its errors.

Timings are never asserted: only that they exist and are positive.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
from conftest import stablehlo_of
from tilewright.bench.flops import count_flops
from tilewright.bench.peers import iree_available, parse_compare, read_stablehlo
from tilewright.bench.runner import compare_results
from tilewright.bench.timing import Contender, quartiles, time_interleaved
from tilewright.compiler import CompileOptions, start
from tilewright.diagnostics import TilewrightError
from tilewright.ingress.formats import as_source

ROOT = Path(__file__).parents[2]
MLP = ROOT / "examples" / "mlp.mlir"


def f32(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def flops_of(text: str) -> int | None:
    return count_flops(start(as_source(text), CompileOptions()).module).total


def tilewright_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tilewright.cli.main", "bench", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


# --- flop counts -------------------------------------------------------------------------------


def test_flops_of_odd_matmul(rng):
    text = stablehlo_of(lambda a, b: a @ b, f32(rng, 97, 77), f32(rng, 77, 131))
    assert flops_of(text) == 2 * 97 * 131 * 77 == 1956878


def test_flops_of_batch_matmul_and_transposed_operand(rng):
    batched = stablehlo_of(lambda a, b: a @ b, f32(rng, 3, 7, 13), f32(rng, 3, 13, 5))
    assert flops_of(batched) == 2 * 3 * 7 * 5 * 13 == 2730
    transposed = stablehlo_of(lambda a, b: a @ b.T, f32(rng, 7, 13), f32(rng, 5, 13))
    assert flops_of(transposed) == 2 * 7 * 5 * 13


def test_flops_of_strided_padded_conv(rng):
    def conv(x, w):
        return lax.conv_general_dilated(x, w, (2, 3), ((1, 2), (0, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC"))

    x, w = f32(rng, 2, 17, 19, 3), f32(rng, 3, 5, 3, 4)
    out_shape = jax.eval_shape(conv, x, w).shape
    assert out_shape == (2, 9, 6, 4)  # H: (17 + 3 - 3) // 2 + 1, W: (19 + 1 - 5) // 3 + 1
    # 2 * N * OH * OW * F * KH * KW * C: the padded taps count too
    assert flops_of(stablehlo_of(conv, x, w)) == 2 * 2 * 9 * 6 * 4 * 3 * 5 * 3 == 38880


def test_flops_sum_over_contractions_and_unknown_without_them(rng):
    def two(a, b, c):
        return jnp.tanh(a @ b) @ c

    assert flops_of(stablehlo_of(two, f32(rng, 7, 13), f32(rng, 13, 17), f32(rng, 17, 3))) == 2 * (
        7 * 17 * 13 + 7 * 3 * 17
    )
    assert flops_of(stablehlo_of(lambda a: jax.nn.softmax(a, axis=-1), f32(rng, 7, 13))) is None


# --- what numpy computes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "shapes"),
    [
        (lambda a, b: a @ b, [(97, 77), (77, 131)]),
        (lambda a, b: a @ b.T, [(7, 13), (5, 13)]),
        (lambda a, b: b.T @ a.T, [(7, 13), (13, 5)]),
        (lambda a, b: jnp.einsum("bij,bkj->bik", a, b), [(3, 7, 13), (3, 5, 13)]),
        (lambda a, b: jnp.einsum("ibj,jbk->bik", a, b), [(7, 3, 13), (13, 3, 5)]),
    ],
    ids=["plain", "rhs-transposed", "both-transposed", "batched-nt", "batch-in-middle"],
)
def test_numpy_plan_reproduces_the_contraction(rng, fn, shapes):
    args = [f32(rng, *s) for s in shapes]
    program = read_stablehlo(as_source(stablehlo_of(fn, *args)), "main")
    assert program is not None and program.numpy_plan is not None, program
    plan = program.numpy_plan
    lhs = np.transpose(args[plan["lhs_arg"]], plan["lhs_perm"]).reshape(plan["lhs_shape"])
    rhs = np.transpose(args[plan["rhs_arg"]], plan["rhs_perm"]).reshape(plan["rhs_shape"])
    got = np.matmul(lhs, rhs).reshape(plan["result_shape"])
    np.testing.assert_allclose(got, np.asarray(jax.jit(fn)(*args)), rtol=1e-5, atol=1e-5)


def test_numpy_plan_refuses_whole_programs():
    program = read_stablehlo(as_source(MLP), "main")
    assert program is not None and program.numpy_plan is None
    assert "not a single contraction" in program.numpy_reason


# --- result checks and timing statistics --------------------------------------------------------


def test_compare_results_tolerances():
    ref = np.linspace(-100, 100, 50, dtype=np.float32)
    assert compare_results([ref], [ref * (1 + 1e-6)])["passed"]
    wrong = ref.copy()
    wrong[3] += 1.0
    check = compare_results([ref], [wrong])
    assert not check["passed"] and "result 0" in check["reason"]
    assert not compare_results([ref], [ref[:-1]])["passed"]  # shape
    assert not compare_results([ref], [ref, ref])["passed"]  # count
    ints = np.arange(5, dtype=np.int32)
    assert compare_results([ints], [ints.copy()])["passed"]
    assert not compare_results([ints], [ints + np.array([0, 0, 1, 0, 0], np.int32)])["passed"]
    nan = np.array([1.0, np.nan], np.float32)
    assert compare_results([nan], [nan.copy()])["passed"]
    assert not compare_results([nan], [np.array([1.0, 2.0], np.float32)])["passed"]


def test_interleaved_rounds_rotate_and_summarize():
    order: list[str] = []

    def runner(name: str, per_call: float):
        def run(calls: int) -> tuple[float, float]:
            order.append(name)
            return per_call * calls, per_call * calls

        return run

    contenders = [Contender("a", runner("a", 1e-3)), Contender("b", runner("b", 2e-3))]
    stats = time_interleaved(contenders, rounds=4, min_time_s=0.01)
    assert stats["a"].calls_per_batch >= 10 and stats["b"].calls_per_batch >= 5
    assert math.isclose(stats["a"].median_s, 1e-3) and math.isclose(stats["b"].median_s, 2e-3)
    assert math.isclose(stats["a"].cpu_per_wall, 1.0)
    timed = order[-8:]
    assert timed == ["a", "b", "b", "a", "a", "b", "b", "a"]  # each round starts with the next contender
    assert quartiles([4.0, 1.0, 3.0, 2.0, 5.0]) == (2.0, 3.0, 4.0)


def test_parse_compare():
    assert parse_compare("jax, numpy,jax") == ["jax", "numpy"]
    with pytest.raises(TilewrightError, match="unknown peer 'torch'"):
        parse_compare("numpy,torch")


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matmul_program(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("bench") / "matmul_97x131x77.mlir"
    path.write_text(stablehlo_of(lambda a, b: a @ b, f32(rng, 97, 77), f32(rng, 77, 131)))
    return path


def test_bench_matmul_against_numpy_and_jax(matmul_program: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    proc = tilewright_cli(
        str(matmul_program),
        "--repetitions",
        "3",
        "--min-time",
        "0.01",
        "--threads",
        "1",
        "--compare",
        "numpy,jax",
        "--json",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "speedup" in proc.stdout and "numpy" in proc.stdout
    assert "tilewright: schedule default, 1 thread(s)" in proc.stdout  # no --schedule: the default is timed
    report = json.loads(out.read_text())
    assert report["ok"] is True
    assert report["flops"] == 1956878
    assert report["threads"] == 1 and report["repetitions"] == 3
    assert report["host"]["affinity"] and report["host"]["cpu"]
    ours = report["tilewright"]
    assert ours["compile_s"] > 0
    assert ours["time"]["median_s"] > 0 and ours["time"]["rounds"] == 3 and ours["time"]["gflops"] > 0
    assert set(report["peers"]) == {"numpy", "jax"}
    for name, peer in report["peers"].items():
        assert peer["status"] == "ok", (name, peer["reason"])
        assert peer["check"]["passed"] is True and peer["check"]["results"], name
        assert peer["time"]["median_s"] > 0 and peer["time"]["min_s"] > 0, name
        assert len(peer["time"]["samples_s"]) == 3
        assert math.isclose(peer["speedup"], peer["time"]["median_s"] / ours["time"]["median_s"])
    blas = report["peers"]["numpy"]["kernel"]["blas"]
    assert blas and blas[0]["internal_api"] == "openblas" and blas[0]["num_threads"] == 1
    assert blas[0]["architecture"] and blas[0]["version"]
    assert "intra_op_parallelism_threads=1" in report["peers"]["jax"]["kernel"]["xla_flags"]


def test_bench_whole_program_with_jax_by_default(tmp_path: Path):
    out = tmp_path / "report.json"
    inputs = ROOT / "examples" / "mlp_inputs.npz"
    proc = tilewright_cli(
        str(MLP), "--inputs", str(inputs), "-r", "2", "--min-time", "0.01", "--threads", "1", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert list(report["peers"]) == ["jax"]  # numpy does not apply to a whole MLP
    assert report["peers"]["jax"]["status"] == "ok" and report["peers"]["jax"]["check"]["passed"]
    assert report["flops"] == 2 * (7 * 128 * 97 + 7 * 10 * 128)
    assert report["inputs"] == str(inputs)


def test_bench_plot(matmul_program: Path, tmp_path: Path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "bars.png"
    proc = tilewright_cli(str(matmul_program), "-r", "1", "--min-time", "0.005", "--compare", "jax", "--plot", str(png))
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(not iree_available(), reason="IREE is optional: pip install tilewright[bench]")
def test_bench_plot_draws_iree_and_jax(matmul_program: Path, tmp_path: Path, monkeypatch):
    """``--compare jax,iree --plot``: both peers are timed and checked, and the chart has one bar per
    implementation at its median (the plot redrawn in-process from the JSON report, figure captured)."""
    figure = pytest.importorskip("matplotlib.figure")
    from tilewright.bench.report import plot

    png, out = tmp_path / "bars.png", tmp_path / "report.json"
    proc = tilewright_cli(
        *(str(matmul_program), "-r", "2", "--min-time", "0.005", "--threads", "1"),
        *("--compare", "jax,iree", "--plot", str(png), "--json", str(out)),
    )
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes().startswith(b"\x89PNG")
    report = json.loads(out.read_text())
    assert list(report["peers"]) == ["jax", "iree"]
    for name, peer in report["peers"].items():
        assert peer["status"] == "ok" and peer["check"]["passed"] and peer["speedup"] > 0, (name, peer)
    drawn = {}

    def capture(fig, path, **kwargs):
        ax = fig.axes[0]
        drawn.update(path=path, names=[t.get_text() for t in ax.get_xticklabels()])
        drawn["heights"] = [bar.get_height() for bar in ax.patches]

    monkeypatch.setattr(figure.Figure, "savefig", capture)
    plot(report, str(tmp_path / "again.png"))
    assert drawn["names"] == ["tilewright", "jax", "iree"]
    medians = [report["tilewright"]["time"]["median_s"]] + [p["time"]["median_s"] for p in report["peers"].values()]
    assert drawn["heights"] == pytest.approx([m * 1e3 for m in medians])


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_bench_errors(matmul_program: Path, tmp_path: Path):
    line = _one_line_error(tilewright_cli(str(matmul_program), "--compare", "numpy,torch"))
    assert line == "tilewright bench: error: --compare: unknown peer 'torch' (known: numpy, jax, iree)"
    line = _one_line_error(tilewright_cli(str(tmp_path / "missing.mlir")))
    assert line == f"{tmp_path / 'missing.mlir'}: error: no such file"
    line = _one_line_error(tilewright_cli(str(matmul_program), "--inputs", str(tmp_path / "missing.npz")))
    assert line.endswith("missing.npz: error: inputs file not found")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, np.zeros((97, 77), np.float32), np.zeros((77, 130), np.float32))
    line = _one_line_error(tilewright_cli(str(matmul_program), "--inputs", str(wrong)))
    assert line.startswith(f"{wrong}: error: argument #1 of '@main' has type tensor<77x130xf32>")
    assert line.endswith("but the function expects tensor<77x131xf32>")
    line = _one_line_error(tilewright_cli(str(MLP), "--compare", "numpy"))
    assert line.startswith("tilewright bench: error: --compare numpy: not applicable:")
    line = _one_line_error(tilewright_cli(str(matmul_program), "--repetitions", "0"))
    assert line == "tilewright bench: error: --repetitions must be at least 1 (got 0)"


def test_bench_iree_requested_but_absent(matmul_program: Path, tmp_path: Path):
    env = dict(os.environ)
    if iree_available():  # hide the installed IREE behind an empty 'iree' package
        (tmp_path / "iree").mkdir()
        (tmp_path / "iree" / "__init__.py").write_text("")
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    line = _one_line_error(tilewright_cli(str(matmul_program), "--compare", "jax,iree", env=env))
    assert line == "tilewright bench: error: --compare iree: IREE is not installed: install tilewright[bench]"


@pytest.mark.skipif(not iree_available(), reason="IREE is optional: pip install tilewright[bench]")
def test_bench_iree_peer(matmul_program: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    proc = tilewright_cli(
        str(matmul_program), "-r", "2", "--min-time", "0.005", "--threads", "1", "--compare", "iree", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    iree = json.loads(out.read_text())["peers"]["iree"]
    assert iree["status"] == "ok" and iree["check"]["passed"] and iree["speedup"] > 0
    assert (
        iree["kernel"]["driver"] == "local-sync" and "--iree-llvmcpu-target-cpu=host" in iree["kernel"]["compile_flags"]
    )


def test_bench_mismatch_is_loud_and_exits_1(matmul_program: Path, monkeypatch, capsys):
    import tilewright.bench.runner as runner
    from tilewright.cli.main import main

    def disagree(ours, theirs):
        return {"passed": False, "reason": "result 0: max |diff| 1 = 0.5 of max|result| (tolerance 0.001)"}

    monkeypatch.setattr(runner, "compare_results", disagree)
    monkeypatch.setenv("TILEWRIGHT_NO_FORK", "1")
    code = main(["bench", str(matmul_program), "-r", "1", "--min-time", "0.005", "--compare", "jax"])
    out = capsys.readouterr().out
    assert code == 1
    assert "MISMATCH: result 0" in out and "n/a" in out


def test_schedule_label_names_the_default():
    from tilewright.bench.report import schedule_label

    assert schedule_label(None) == "default"
    assert schedule_label("none") == "none" and schedule_label("s.mlir") == "s.mlir"


def test_readme_bench_example_skips_the_peer_that_does_not_apply():
    """README's ``tilewright bench examples/mlp.mlir --random-inputs --compare numpy,jax``, run as written."""
    command = "tilewright bench examples/mlp.mlir --random-inputs --compare numpy,jax"
    assert command in (ROOT / "README.md").read_text()
    proc = subprocess.run(
        [sys.executable, "-m", "tilewright.cli.main", *command.split()[1:]],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cells = [re.split(r"[│┃|]", line) for line in proc.stdout.splitlines()]
    rows = {c[1].strip(): "|".join(c) for c in cells if len(c) > 3}
    assert "skipped (see below)" in rows["numpy"]
    assert "ok" in rows["jax"] and "n/a" not in rows["jax"]
    assert "numpy: skipped: not applicable: the payload is not a single contraction" in proc.stdout
    assert "tilewright: schedule default," in proc.stdout
    assert "some peers failed" not in proc.stdout


def test_skipped_peer_is_in_the_report_and_not_a_failure(tmp_path: Path):
    out = tmp_path / "report.json"
    proc = tilewright_cli(
        str(MLP), "--compare", "numpy,jax", "-r", "1", "--min-time", "0.005", "--threads", "1", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert list(report["peers"]) == ["numpy", "jax"] and report["ok"] is True
    numpy_peer = report["peers"]["numpy"]
    assert numpy_peer["status"] == "skipped" and numpy_peer["time"] is None
    assert numpy_peer["reason"].startswith("not applicable: the payload is not a single contraction")
    assert report["peers"]["jax"]["status"] == "ok" and report["peers"]["jax"]["speedup"] > 0
