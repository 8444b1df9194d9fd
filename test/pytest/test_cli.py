"""The command-line tools, run as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

import pytest
from tilewright.cli.common import run_isolated

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "mlp.mlir"


def tilewright(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tilewright.cli.main", *args], capture_output=True, text=True, **kw)


def test_run_example_matches_jax(tmp_path: Path):
    out = tmp_path / "out.npz"
    proc = tilewright("run", str(EXAMPLE), "--inputs", str(ROOT / "examples" / "mlp_inputs.npz"), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    got = np.load(out)
    expected = np.load(ROOT / "examples" / "mlp_expected.npz")
    assert got.files == ["result0"]
    np.testing.assert_allclose(got["result0"], expected["result0"], rtol=1e-5, atol=1e-6)


def test_run_accepts_named_npz_arrays_in_stored_order(tmp_path: Path):
    program = tmp_path / "sub.mlir"
    program.write_text(
        "func.func @main(%a: tensor<3xi32>, %b: tensor<3xi32>) -> (tensor<3xi32>, tensor<i32>) {\n"
        "  %0 = stablehlo.subtract %a, %b : tensor<3xi32>\n"
        "  %c = stablehlo.constant dense<0> : tensor<i32>\n"
        "  %1 = stablehlo.reduce(%0 init: %c) applies stablehlo.add across dimensions = [0]"
        " : (tensor<3xi32>, tensor<i32>) -> tensor<i32>\n"
        "  return %0, %1 : tensor<3xi32>, tensor<i32>\n}\n"
    )
    inputs = tmp_path / "in.npz"
    np.savez(inputs, zeta=np.array([10, 20, 30], np.int32), alpha=np.array([1, 2, 3], np.int32))
    out = tmp_path / "out.npz"
    proc = tilewright("run", str(program), "--inputs", str(inputs), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    got = np.load(out)
    assert got.files == ["result0", "result1"]
    np.testing.assert_array_equal(got["result0"], [9, 18, 27])  # zeta - alpha: stored order, not sorted names
    assert int(got["result1"]) == 54


def test_random_inputs_are_seeded():
    first = tilewright("run", str(EXAMPLE), "--random-inputs", "--seed", "3")
    second = tilewright("run", str(EXAMPLE), "--random-inputs", "--seed", "3")
    other = tilewright("run", str(EXAMPLE), "--random-inputs", "--seed", "4")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert first.stdout != other.stdout


def test_errors_have_no_traceback(tmp_path: Path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n  return %y : tensor<4xf32>\n}\n")
    proc = tilewright("run", str(bad), "--random-inputs")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{bad}:2:10: error: use of undeclared SSA value name")
    assert "Traceback" not in proc.stderr


@pytest.mark.filterwarnings("ignore:os.fork")
def test_crash_in_native_code_is_reported_with_its_stage(capfd):
    from tilewright.diagnostics import enter_stage

    def crashes() -> int:
        enter_stage("llvm-dialect")
        os.kill(os.getpid(), signal.SIGSEGV)
        return 0

    assert run_isolated(crashes, "tilewright") == 1
    err = capfd.readouterr().err
    assert "internal error: crashed with SIGSEGV in stage 'llvm-dialect'" in err


@pytest.mark.filterwarnings("ignore:os.fork")
@pytest.mark.parametrize("code", [0, 1])
def test_isolated_exit_codes_pass_through(code):
    assert run_isolated(lambda: code, "tilewright") == code
