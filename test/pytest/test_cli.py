"""The command-line tools, run as a user runs them."""

from __future__ import annotations

import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import pytest

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


def test_inputs_that_are_no_npz_file_say_so(tmp_path: Path):
    text = tmp_path / "notmlir.txt"
    text.write_text("x = 1\n")
    proc = tilewright("run", "examples/mlp.mlir", "--inputs", str(text), cwd=ROOT)
    assert (proc.returncode, proc.stderr) == (
        1,
        f"{text}: error: not an .npz file (it is text; numpy.savez writes .npz files)\n",
    )
    npy = tmp_path / "x.npy"
    np.save(npy, np.zeros(3, np.float32))
    proc = tilewright("run", "examples/mlp.mlir", "--inputs", str(npy), cwd=ROOT)
    assert proc.returncode == 1
    assert (
        proc.stderr == f"{npy}: error: not an .npz file (it holds a single .npy array; numpy.savez writes .npz files)\n"
    )


def test_inputs_of_the_wrong_shape_name_the_file(tmp_path: Path):
    given = np.load(ROOT / "examples" / "mlp_inputs.npz")
    arrays = [given[name] for name in given.files]
    arrays[0] = arrays[0][:, :96]
    bad = tmp_path / "bad.npz"
    np.savez(bad, *arrays)
    proc = tilewright("run", "examples/mlp.mlir", "--inputs", str(bad), cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr == (
        f"{bad}: error: argument #0 of '@main' has type tensor<7x96xf32> (numpy float32[7, 96]), "
        "but the function expects tensor<7x97xf32>\n"
    )


def test_errors_have_no_traceback(tmp_path: Path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n  return %y : tensor<4xf32>\n}\n")
    proc = tilewright("run", str(bad), "--random-inputs")
    assert proc.returncode == 1
    assert proc.stderr == f"{bad}:2:10: error: use of undeclared SSA value name\n"  # once, no traceback


# --- crash isolation: a fresh process forks, as the CLIs do at startup (this one may run JAX's threads) ---

ISOLATED = """
import os, signal, sys, threading, time
from tilewright.cli.common import run_isolated
from tilewright.diagnostics import enter_stage

PARENT = os.getpid()
{setup}

def work():
{body}

sys.exit(run_isolated(work, "tilewright"))
"""


def isolated(body: str, setup: str = "") -> subprocess.CompletedProcess:
    script = ISOLATED.format(setup=setup, body=textwrap.indent(textwrap.dedent(body).strip(), "    "))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_crash_in_native_code_is_reported_with_its_stage():
    proc = isolated("""
        enter_stage("llvm-dialect")
        os.kill(os.getpid(), signal.SIGSEGV)
    """)
    assert proc.returncode == 1
    assert proc.stderr == "tilewright: internal error: crashed with SIGSEGV in stage 'llvm-dialect'\n"


def test_crash_shows_the_assertion_but_not_the_stack_dump():
    proc = isolated("""
        enter_stage("bufferize")
        print("#0 0x7f00 llvm::sys::PrintStackTrace", file=sys.stderr)
        print("python: Foo.cpp:12: void f(): Assertion `x && \\"boom\\"' failed.", file=sys.stderr, flush=True)
        os.abort()
    """)
    assert proc.returncode == 1
    assert proc.stderr == (
        "tilewright: internal error: crashed with SIGABRT in stage 'bufferize': "
        'Foo.cpp:12: void f(): Assertion `x && "boom"\' failed.\n'
    )


def test_assertion_text_on_stderr_is_not_a_crash():
    proc = isolated("""
        print("Assertion: the user's own words", file=sys.stderr)
        return 0
    """)
    assert proc.returncode == 0
    assert proc.stderr == "Assertion: the user's own words\n"


def test_exit_from_native_code_is_an_internal_error():
    proc = isolated("""
        enter_stage("llvm-ir")
        print("LLVM ERROR: out of cheese", file=sys.stderr, flush=True)
        os._exit(1)  # what LLVM's fatal errors do: no signal
    """)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "LLVM ERROR: out of cheese",
        "tilewright: internal error: exited with status 1 in stage 'llvm-ir'",
    ]


@pytest.mark.parametrize("code", [0, 1, 3])
def test_isolated_exit_codes_pass_through(code):
    proc = isolated(f"return {code}")
    assert (proc.returncode, proc.stderr) == (code, "")


def test_a_process_running_threads_is_not_forked():
    """A forked copy of a multi-threaded process can deadlock (JAX's warning): such a process runs the work itself."""
    proc = isolated(
        """
        from tilewright.isolation import ForkUnsafeError, run_forked
        try:
            run_forked(lambda _channel: 0)
        except ForkUnsafeError as exc:
            print(exc, file=sys.stderr)
            return 0 if os.getpid() == PARENT else 3
        return 2
        """,
        setup="threading.Thread(target=time.sleep, args=(60,), daemon=True).start()",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "will not fork a process running 2 threads: the child could deadlock\n"


FORK_SPY = """
import sys, tilewright.isolation as isolation
run_forked = isolation.run_forked

def spy(work, **kw):
    jax = sorted({m.split(".")[0] for m in sys.modules} & {"jax", "jaxlib"})
    print("fork:", isolation.thread_count(), jax, file=sys.stderr, flush=True)
    return run_forked(work, **kw)

isolation.run_forked = spy
from tilewright.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_cli_forks_before_jax_is_imported():
    proc = subprocess.run(
        [sys.executable, "-c", FORK_SPY, "run", str(EXAMPLE), "--random-inputs"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == "fork: 1 []"


# --- the first ten minutes (issue 15) -----------------------------------------------------------


def readme_commands() -> list[str]:
    """The commands of README.md's ```sh blocks, in order."""
    text = (ROOT / "README.md").read_text()
    return [block.split("```", 1)[0].strip() for block in text.split("```sh\n")[1:]]


def as_subprocess(command: str) -> list[str]:
    """A README command line as this interpreter runs it (``tilewright ...`` -> ``python -m tilewright.cli.main``)."""
    words = shlex.split(command)
    assert words[0] == "tilewright", command
    return [sys.executable, "-m", "tilewright.cli.main", *words[1:]]


def test_readme_starts_with_install_and_run_then_the_tests():
    first, second = readme_commands()[:2]
    assert first.startswith("pip install -e . && tilewright run examples/mlp.mlir ")
    assert "--expected examples/mlp_expected.npz" in first
    assert (
        second
        == 'pip install -e ".[test,bench]" && ruff check python test && lit -sv test && python -m pytest -q test/pytest'
    )


def test_readme_first_command_compares_with_jax():
    command = readme_commands()[0].split(" && ", 1)[1]
    proc = subprocess.run(as_subprocess(command), capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert re.fullmatch(
        r"result0: max \|error\| \S+ \(\S+ of max\|expected\| \S+\), rtol 1e-05 atol \S+: ok", lines[-2]
    )
    assert lines[-1] == "PASS: 1 result(s) match examples/mlp_expected.npz"


def test_run_expected_mismatch_fails_and_tolerances_apply(tmp_path: Path):
    inputs, expected = ROOT / "examples" / "mlp_inputs.npz", np.load(ROOT / "examples" / "mlp_expected.npz")
    off = tmp_path / "off.npz"
    np.savez(off, result0=expected["result0"] * (1 + 1e-3))
    proc = tilewright("run", str(EXAMPLE), "--inputs", str(inputs), "--expected", str(off))
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"^result0: max \|error\| .* element\(s\) outside: MISMATCH$", proc.stdout, re.M), proc.stdout
    assert proc.stdout.splitlines()[-1] == f"FAIL: result0 differ from {off}"
    proc = tilewright("run", str(EXAMPLE), "--inputs", str(inputs), "--expected", str(off), "--rtol", "1e-2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rtol 0.01" in proc.stdout and proc.stdout.splitlines()[-1].startswith("PASS")
    proc = tilewright("run", str(EXAMPLE), "--inputs", str(inputs), "--expected", str(off), "--atol", "1e-2")
    assert proc.returncode == 0 and "atol 0.01" in proc.stdout, proc.stdout + proc.stderr

    two = tmp_path / "two.npz"
    np.savez(two, expected["result0"], expected["result0"])
    proc = tilewright("run", str(EXAMPLE), "--inputs", str(inputs), "--expected", str(two))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{two}: error: the function returns 1 result(s) but the file holds 2 array(s)"
    proc = tilewright("run", str(EXAMPLE), "--inputs", str(inputs), "--expected", str(tmp_path / "none.npz"))
    assert proc.stderr.strip() == f"{tmp_path / 'none.npz'}: error: expected-results file not found"
    proc = tilewright("run", str(EXAMPLE), "--inputs", str(inputs), "--rtol", "1e-3")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "tilewright run: error: --rtol and --atol apply to --expected FILE.npz"


def test_run_expected_is_exact_for_integers(tmp_path: Path):
    program = tmp_path / "neg.mlir"
    program.write_text(
        "func.func @main(%a: tensor<3xi32>) -> tensor<3xi32> {\n"
        "  %0 = stablehlo.negate %a : tensor<3xi32>\n  return %0 : tensor<3xi32>\n}\n"
    )
    inputs, good, bad = tmp_path / "in.npz", tmp_path / "good.npz", tmp_path / "bad.npz"
    np.savez(inputs, np.array([1, 2, 3], np.int32))
    np.savez(good, np.array([-1, -2, -3], np.int32))
    np.savez(bad, np.array([-1, -2, -4], np.int32))
    proc = tilewright("run", str(program), "--inputs", str(inputs), "--expected", str(good))
    assert proc.returncode == 0 and "result0: equal (int32: exact): ok" in proc.stdout, proc.stdout + proc.stderr
    proc = tilewright("run", str(program), "--inputs", str(inputs), "--expected", str(bad))
    assert proc.returncode == 1 and "result0: 1 of 3 element(s) differ (int32: exact): MISMATCH" in proc.stdout


def test_compile_without_emit_writes_an_object_named_after_the_input(tmp_path: Path):
    program = tmp_path / "src" / "matmul.mlir"
    program.parent.mkdir()
    program.write_text(EXAMPLE.read_text())
    work = tmp_path / "work"
    work.mkdir()
    proc = tilewright("compile", str(program), cwd=work)  # tilewright compile FILE, as cc -c FILE
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    assert sorted(p.name for p in work.iterdir()) == ["matmul.o"]
    assert (work / "matmul.o").read_bytes()[:4] == b"\x7fELF"

    piped = subprocess.run(
        [sys.executable, "-m", "tilewright.cli.main", "compile", str(program), "-o", "-"], capture_output=True, cwd=work
    )
    assert piped.returncode == 0 and piped.stdout[:4] == b"\x7fELF", piped.stderr

    text = program.read_text()
    proc = tilewright("compile", str(program), "-o", str(program))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{program}: error: the output would overwrite the input: give -o FILE"
    named_o = work / "prog.o"  # MLIR text named as its own default output
    named_o.write_text(text)
    proc = tilewright("compile", "prog.o", cwd=work)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "prog.o: error: the output would overwrite the input: give -o FILE"
    assert program.read_text() == text and named_o.read_text() == text

    proc = tilewright("compile", "-", input=text)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "<stdin>: error: --emit obj of stdin: give -o FILE (or -o - for stdout)"


def test_compile_refuses_binary_output_to_a_terminal(tmp_path: Path):
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tilewright.cli.main", "compile", str(EXAMPLE), "-o", "-"],
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == "tilewright compile: error: --emit obj is binary: not written to a terminal; give -o FILE"
    )
    assert list(tmp_path.iterdir()) == []


LOADED_SCRIPT = """
import runpy, sys
sys.argv = {argv!r}
try:
    runpy.run_module("tilewright.cli.main", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(sorted({{m.split(".")[0] for m in sys.modules}} & {{"mlir", "jax", "jaxlib", "ml_dtypes"}}), code)
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["tilewright", "--help"],
        ["tilewright", "run", "--help"],
        ["tilewright", "compile", "--help"],
        ["tilewright", "bench", "--help"],
        ["tilewright", "conformance", "--help"],
        ["tilewright", "run"],  # an argument error
        ["tilewright", "nosuch"],
    ],
)
def test_help_and_argument_errors_import_no_mlir_or_jax(argv):
    """``python -m tilewright.cli.main --help`` (what the ``tilewright`` script runs) loads neither MLIR nor JAX."""
    proc = subprocess.run(
        [sys.executable, "-c", LOADED_SCRIPT.format(argv=argv)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    loaded, code = proc.stdout.splitlines()[-1].rsplit(" ", 1)
    assert loaded == "[]", f"{' '.join(argv)} imported {loaded}"
    assert code == ("0" if "--help" in argv else "2")


def test_tilewright_script_help_answers():
    script = shutil.which("tilewright")
    if script is None:
        pytest.skip("the tilewright console script is not on PATH")
    proc = subprocess.run([script, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: tilewright"), proc.stderr


def test_conformance_sample_skip_says_where_to_get_the_data(tmp_path: Path):
    env = dict(os.environ, TILEWRIGHT_CONFORMANCE_DIR=str(tmp_path / "absent"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "test/pytest/test_conformance.py",
            "-k",
            "test_representative_sample",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    skipped = next(line for line in proc.stdout.splitlines() if line.startswith("SKIPPED"))
    assert str(tmp_path / "absent") in skipped
    assert "https://github.com/openxla/stablehlo" in skipped and "TILEWRIGHT_CONFORMANCE_DIR" in skipped
    assert "README" in skipped
