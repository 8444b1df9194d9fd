"""``tilewright conformance``: check rewriting, isolation, classification, and a sample of the suite.

The sample runs a fixed, seeded choice of programs from the StableHLO testdata
(``../shared/conformance/stablehlo-testdata`` next to the repository): one or
two per op family, in a few dtypes. Every sampled case must pass, except that
the documented limits (``ALLOWED_UNSUPPORTED``) may be reported unsupported; a
wrong number is always a failure. The ops tilewright lowers itself
(``OWN_LOWERINGS``) are held to that like any other: the sample must use each of
them, and "unsupported" for one of them is a failure.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from tilewright.conformance import runner
from tilewright.conformance.cases import Case, discover, parse_name
from tilewright.conformance.rewrite import rewrite_checks

ROOT = Path(__file__).parents[2]
TESTDATA = Path(os.environ.get("TILEWRIGHT_CONFORMANCE_DIR", ROOT.parent / "shared/conformance/stablehlo-testdata"))

PASSING = """\
module @jit_main {
  func.func public @main() -> (tensor<3xf32> {jax.result_info = ""}) {
    %0 = call @inputs() : () -> tensor<3xf32>
    %1 = call @expected() : () -> tensor<3xf32>
    %2 = stablehlo.abs %0 : tensor<3xf32>
    stablehlo.custom_call @check.expect_close(%2, %1) {has_side_effect = true} : (tensor<3xf32>, tensor<3xf32>) -> ()
    return %2 : tensor<3xf32>
  }
  func.func private @inputs() -> tensor<3xf32> {
    %cst = stablehlo.constant dense<[-1.5, 0.0, 2.0]> : tensor<3xf32>
    return %cst : tensor<3xf32>
  }
  func.func private @expected() -> tensor<3xf32> {
    %cst = stablehlo.constant dense<[1.5, 0.0, 2.0]> : tensor<3xf32>
    return %cst : tensor<3xf32>
  }
}
"""

# Two splits: unsigned (exact) and a const check in the check dialect's generic form.
SPLIT = """\
// RUN: stablehlo-translate --interpret -split-input-file %s

module {
  func.func @add_op_test_ui8() {
    %c = stablehlo.constant dense<[0, 16]> : tensor<2xui8>
    %c_0 = stablehlo.constant dense<[255, 16]> : tensor<2xui8>
    %0 = stablehlo.add %c, %c_0 : tensor<2xui8>
    "check.expect_eq_const"(%0) <{value = dense<[255, 32]> : tensor<2xui8>}> : (tensor<2xui8>) -> ()
    return
  }
}

// -----

module {
  func.func @add_op_test_c64() {
    %cst = stablehlo.constant dense<[(1.5,2.5), (7.5,5.5)]> : tensor<2xcomplex<f32>>
    %0 = stablehlo.add %cst, %cst : tensor<2xcomplex<f32>>
    "check.expect_almost_eq_const"(%0) <{value = dense<[(3.0,5.0), (15.0,11.0)]> : tensor<2xcomplex<f32>>}>
        : (tensor<2xcomplex<f32>>) -> ()
    return
  }
}
"""

I4 = """\
module {
  func.func @add_op_test_si4() {
    %c = stablehlo.constant dense<[0, 1]> : tensor<2xi4>
    %0 = stablehlo.add %c, %c : tensor<2xi4>
    "check.expect_eq_const"(%0) <{value = dense<[0, 2]> : tensor<2xi4>}> : (tensor<2xi4>) -> ()
    return
  }
}
"""


def write_cases(tmp_path: Path) -> Path:
    (tmp_path / "abs_float32_3.mlir").write_text(PASSING)
    (tmp_path / "abs_float32_3_wrong.mlir").write_text(PASSING.replace("[1.5, 0.0, 2.0]", "[1.5, 0.0, 2.5]"))
    (tmp_path / "add_qi8.mlir").write_text(SPLIT)
    (tmp_path / "add_int4_2.mlir").write_text(I4)
    return tmp_path


def by_name(results) -> dict[str, runner.CaseResult]:
    return {r.name: r for r in results}


# ---------------------------------------------------------------- rewriting and naming


def test_rewrite_returns_actual_and_expected():
    program = rewrite_checks(PASSING, "abs.mlir")
    assert program.entry == "main"
    assert [c.kind for c in program.checks] == ["close"]
    assert "check.expect_close" not in program.text
    assert re.search(r"return %\d+, %\d+ : tensor<3xf32>, tensor<3xf32>", program.text), program.text


def test_rewrite_materializes_const_checks_on_the_same_line(tmp_path: Path):
    write_cases(tmp_path)
    cases = [c for c in discover(tmp_path) if c.path.name == "add_qi8.mlir"]
    assert [c.name for c in cases] == ["add_qi8.mlir#0", "add_qi8.mlir#1"]
    text = cases[1].text()
    assert text.count("\n") >= SPLIT.split("// -----")[0].count("\n")  # padded: lines match the file
    program = rewrite_checks(text, str(cases[1].path))
    assert program.entry == "add_op_test_c64"
    assert program.check_elements == ("complex<f32>",)
    line = next(i for i, s in enumerate(SPLIT.splitlines(), 1) if "expect_almost_eq_const" in s)
    assert f'add_qi8.mlir":{line}:' in program.text  # the constant carries the check's location


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("abs_float32_20_20", ("abs", "float32", "static")),
        ("scatter_add_int8_5_6_int32_2_2_1_int8_5_2", ("scatter_add", "int8", "static")),
        ("abs_shape_float32_20_20_qi8", ("abs", "float32", "quantized")),
        ("add_dynamic", ("add", "unknown", "dynamic")),
        ("acosh_complex64_20_20_chlo", ("acosh", "complex64", "chlo")),
    ],
)
def test_parse_name(stem, expected):
    assert parse_name(stem) == expected


# ---------------------------------------------------------------- classification and isolation


def test_run_cases_classifies_pass_fail_unsupported(tmp_path: Path):
    cases = discover(write_cases(tmp_path))
    results = by_name(runner.run_cases(cases, jobs=2, timeout=120))
    assert results["abs_float32_3.mlir"].status == "pass"
    wrong = results["abs_float32_3_wrong.mlir"]
    assert wrong.status == "fail" and wrong.reason == "wrong result: expect_close failed"
    assert "2.5" in wrong.detail and "index [2]" in wrong.detail
    assert results["add_qi8.mlir#0"].status == "pass"
    assert results["add_qi8.mlir#0"].dtype == "uint8"  # from the checked values: the file name has none
    assert results["add_qi8.mlir#1"].status == "pass"
    unsupported = results["add_int4_2.mlir"]
    assert unsupported.status == "unsupported"
    assert "element type 'i4' has no numpy equivalent" in unsupported.reason


def _crash(case, on_stage=lambda _s: None):
    on_stage("llvm-dialect")
    os.kill(os.getpid(), signal.SIGSEGV)


def _hang(case, on_stage=lambda _s: None):
    on_stage("jit")
    time.sleep(600)


def _exit(case, on_stage=lambda _s: None):
    on_stage("llvm-ir")
    print("LLVM ERROR: out of cheese")
    os._exit(1)  # as LLVM's fatal errors do: no signal, no result


# Through a worker, as a real run goes: this (JAX-using) process never forks.
def test_crash_becomes_a_failed_case_with_its_stage(tmp_path: Path):
    case = discover(write_cases(tmp_path))[0]
    [result] = runner.run_cases([case], timeout=60, run_case=_crash)
    assert result.status == "fail"
    assert result.reason == "crashed with SIGSEGV in stage 'llvm-dialect'"


def test_hang_is_killed_at_the_timeout(tmp_path: Path):
    case = discover(write_cases(tmp_path))[0]
    [result] = runner.run_cases([case], timeout=1, run_case=_hang)
    assert result.status == "fail"
    assert result.reason == "timeout after 1s in stage 'jit'"


def test_exit_without_a_result_is_a_failed_case(tmp_path: Path):
    case = discover(write_cases(tmp_path))[0]
    [result] = runner.run_cases([case], timeout=60, run_case=_exit)
    assert result.status == "fail"
    assert result.reason == "exited with status 1 in stage 'llvm-ir'"
    assert "LLVM ERROR: out of cheese" in result.detail


def test_cli_prints_breakdown_and_ends_with_passed_failed(tmp_path: Path):
    (tmp_path / "cases").mkdir()
    write_cases(tmp_path / "cases")
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tilewright.cli.main",
            "conformance",
            str(tmp_path / "cases"),
            "--jobs",
            "2",
            "--report",
            str(report),
            "--filter",
            "^(abs|add_int4)",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert lines[-2] == "1 unsupported"
    assert lines[-3].startswith("pass rate: 33.3% of 3 cases")
    data = json.loads(report.read_text())
    assert data["totals"]["passed"] == 1 and data["totals"]["unsupported"] == 1
    assert {c["name"] for c in data["cases"]} == {"abs_float32_3.mlir", "abs_float32_3_wrong.mlir", "add_int4_2.mlir"}


def test_cli_rejects_bad_arguments(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "tilewright.cli.main", "conformance", str(tmp_path), "--filter", "("],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "invalid regular expression" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- the representative sample

# tilewright's own lowerings (ingress/legalize): the sample must hold programs using each op.
OWN_LOWERINGS = ("scatter", "sort", "while", "select_and_scatter", "reduce_window", "fft", "triangular_solve")
# Documented limits of tilewright: the reason must match.
ALLOWED_UNSUPPORTED = re.compile(r"dynamic shapes|no expected values|quant|has no numpy equivalent")
# Cases with known wrong numbers, each with its cause; the sample never draws them (it draws
# another case of the family), so every sampled supported case must be exactly right.
KNOWN_WRONG = {
    # 1 ULP of f32 at |z| ~ 5e4 exceeds expect_almost_eq's absolute 0.001; the reference computes in double.
    "sin_complex64_20_20.mlir": "complex sin in f32 vs the reference's double",
    "cumprod_complex64_8_9.mlir": "complex products in f32 vs the reference's double",
    # The substitution loops accumulate in another order than the reference (7 ULP).
    "triangular_solve_float32_2_8_8_float32_2_10_8.mlir": "accumulation order of the triangular solve",
    # f16/bf16 dot products accumulate in f32 (LLVM) instead of rounding every step like the reference.
    "dot_general_int32_4_3_float16_3_6.mlir": "f16 accumulation precision",
    "dot_general_int8_4_3_float16_3_6.mlir": "f16 accumulation precision",
    "dot_general_uint16_4_3_bfloat16_3_6.mlir": "bf16 accumulation precision",
}
SAMPLE_DTYPES = ("float32", "float16", "bfloat16", "float64", "int8", "int32", "uint32", "bool", "complex64")
SAMPLE_SEED = 20260105
SAMPLE_PER_FAMILY = 1


def sample_cases() -> list[Case]:
    """One seeded case per op family (static variants, a few dtypes), plus every 40th quantized/dynamic case."""
    cases = discover(TESTDATA)
    families: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if case.variant in ("static", "chlo") and case.dtype in SAMPLE_DTYPES and case.name not in KNOWN_WRONG:
            families[case.op].append(case)
    rng = random.Random(SAMPLE_SEED)
    chosen = []
    for op in sorted(families):
        chosen.extend(rng.sample(families[op], min(SAMPLE_PER_FAMILY, len(families[op]))))
    others = [c for c in cases if c.variant in ("dynamic", "quantized")]
    chosen.extend(others[::40])
    return sorted(chosen, key=lambda c: c.name)


def uses(case: Case, op: str) -> bool:
    """Whether the program of ``case`` has a ``stablehlo.<op>`` (pretty or generic form)."""
    return re.search(rf'(?<![\w.])"?stablehlo\.{op}(?![\w])', case.text()) is not None


@pytest.mark.skipif(
    not TESTDATA.is_dir(),
    reason=f"conformance testdata not found at {TESTDATA}: it is the stablehlo/testdata directory of "
    "https://github.com/openxla/stablehlo; clone it and set TILEWRIGHT_CONFORMANCE_DIR to that directory "
    "(README.md, Conformance)",
)
def test_representative_sample():
    cases = sample_cases()
    assert len(cases) > 50
    own = {op: [c.name for c in cases if c.variant in ("static", "chlo") and uses(c, op)] for op in OWN_LOWERINGS}
    assert all(own.values()), f"the sample has no static program using {[op for op, c in own.items() if not c]}"
    results = runner.run_cases(cases, jobs=2, timeout=180)
    failed = [r for r in results if r.status == "fail"]
    unexpected = [r for r in results if r.status == "unsupported" and not ALLOWED_UNSUPPORTED.search(r.reason)]
    print(f"\n{sum(r.status == 'pass' for r in results)} of {len(results)} sampled cases passed")
    status = {r.name: r.status for r in results}
    for op, names in own.items():
        print(f"  {op}: {', '.join(f'{n} {status[n]}' for n in names)}")
    message = "\n".join(f"{r.name}: {r.status}: {r.reason} {r.detail[:300]}" for r in failed + unexpected)
    assert not failed and not unexpected, message
