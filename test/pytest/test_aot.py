"""Ahead-of-time objects: ``tilewright compile --emit obj`` links and computes, with parallel loops too."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

import pytest
from tilewright.mlir_env import runtime_library
from tilewright.runtime.memref import descriptor_for

ROOT = Path(__file__).resolve().parents[2]
MATMUL = ROOT / "benchmarks" / "programs" / "matmul_97x131x77.mlir"


def compile_object(tmp_path: Path, threads: int) -> Path:
    out = tmp_path / f"matmul-{threads}.o"
    command = [sys.executable, "-m", "tilewright.cli.main", "compile", str(MATMUL), "--emit", "obj"]
    proc = subprocess.run([*command, "--threads", str(threads), "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Stack dump" not in proc.stderr
    assert out.read_bytes()[:4] == b"\x7fELF"
    return out


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler driver to link the object")
@pytest.mark.parametrize("threads", [1, 2])
def test_object_links_and_computes(tmp_path, threads, rng):
    """The object of a program with parallel loops (coroutines on the async runtime, which llc
    alone cannot lower) links into a shared library whose C interface computes A @ B."""
    obj = compile_object(tmp_path, threads)
    symbols = subprocess.run(["nm", str(obj)], capture_output=True, text=True).stdout
    assert " T _mlir_ciface_main" in symbols
    assert (" T async_execute_fn" in symbols) == (threads > 1)
    lib = tmp_path / f"matmul-{threads}.so"
    runtime = Path(runtime_library("libmlir_async_runtime.so"))
    link = ["cc", "-shared", str(obj), "-o", str(lib), f"-L{runtime.parent}", f"-Wl,-rpath,{runtime.parent}"]
    link += ["-lmlir_async_runtime", "-lmlir_c_runner_utils"]
    subprocess.run(link, check=True, capture_output=True)
    main = ctypes.CDLL(str(lib))._mlir_ciface_main
    a = rng.standard_normal((97, 77)).astype(np.float32)
    b = rng.standard_normal((77, 131)).astype(np.float32)
    c = np.full((97, 131), np.nan, np.float32)
    descriptors = [descriptor_for(x) for x in (a, b, c)]
    main(*[ctypes.byref(d) for d in descriptors])
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)


def test_the_quoted_aot_command_writes_an_object(tmp_path):
    """Issue 15's command (default threads: every core, so parallel loops) used to end in a raw
    LLVM stack dump from llc."""
    out = tmp_path / "mm.o"
    program = ROOT / "benchmarks" / "programs" / "matmul_1024.mlir"
    command = [sys.executable, "-m", "tilewright.cli.main", "compile", str(program), "--emit", "obj", "-o", str(out)]
    proc = subprocess.run([*command, "--threads", "2"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Stack dump" not in proc.stderr and "LLVM ERROR" not in proc.stderr
    assert out.read_bytes()[:4] == b"\x7fELF"


def test_zero_fills_call_memset_in_objects():
    """``opt``/``llc`` get the target triple: a large zero-fill (the matmul's packed, padded
    operands) is a ``memset`` call, not LLVM's byte-at-a-time expansion (``loadstoreloop``),
    which took 28% of an AOT-built matmul."""
    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import as_source

    program = Path(__file__).parents[2] / "benchmarks" / "programs" / "matmul_1024.mlir"
    asm = start(as_source(program.read_text()), CompileOptions(threads=1)).run_until("asm")
    assert "memset" in asm
    assert "loadstoreloop" not in asm
