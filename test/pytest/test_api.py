"""The Python API: accepted source forms, caching, signature checking."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import ml_dtypes
import numpy as np
from mlir import ir

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.mlir_env import new_context

ROOT = Path(__file__).parents[2]

LINALG_ADD = """
func.func @main(%a: tensor<7xf32>, %b: tensor<7xf32>) -> tensor<7xf32> {
  %e = tensor.empty() : tensor<7xf32>
  %r = linalg.add ins(%a, %b : tensor<7xf32>, tensor<7xf32>) outs(%e : tensor<7xf32>) -> tensor<7xf32>
  return %r : tensor<7xf32>
}
"""


def test_source_forms_agree(tmp_path: Path):
    x, y = np.arange(7, dtype=np.float32), np.full(7, 2.0, np.float32)
    expected = x + y
    path = tmp_path / "add.mlir"
    path.write_text(LINALG_ADD)
    with new_context():
        module = ir.Module.parse(LINALG_ADD)
    for source in (LINALG_ADD, str(path), path, module, stablehlo_of(jnp.add, x, y)):
        np.testing.assert_array_equal(tilewright.compile(source)(x, y), expected)


def test_compiled_artifacts_are_cached_by_content():
    text = stablehlo_of(lambda x: x * 3, np.ones(5, np.float32))
    assert tilewright.compile(text) is tilewright.compile(text)
    assert tilewright.compile(text) is not tilewright.compile(text, entry="main", opt_level=1)


SCALARS = """
func.func @main(%f: tensor<f32>, %i: tensor<i8>, %b: tensor<i1>, %h: tensor<bf16>, %c: tensor<complex<f32>>)
    -> (tensor<f32>, tensor<i8>, tensor<i1>, tensor<bf16>, tensor<complex<f32>>) {
  return %f, %i, %b, %h, %c : tensor<f32>, tensor<i8>, tensor<i1>, tensor<bf16>, tensor<complex<f32>>
}
"""


def test_arguments_follow_one_rule_only_python_scalars_are_converted():
    """XLA's rule: weakly typed Python scalars take the parameter's dtype; anything with a dtype must match."""
    exe = tilewright.compile(LINALG_ADD)
    ones = np.ones(7, np.float32)
    wrong_dtype = (
        r"argument #0 of '@main' has type tensor<7xf64> \(numpy float64\[7\]%s\), "
        r"but the function expects tensor<7xf32>"
    )
    # a float64 ndarray and a list of float64 arrays (or of Python floats) are the same mistake, named the same way
    with pytest.raises(tilewright.TilewrightError, match=wrong_dtype % ""):
        exe(np.ones(7), ones)
    for as_list in ([np.float64(1)] * 7, list(np.ones(7)), [1.0] * 7):
        with pytest.raises(tilewright.TilewrightError, match=wrong_dtype % ", from a list"):
            exe(as_list, ones)
    with pytest.raises(tilewright.TilewrightError, match=r"argument #1 .* tensor<7xi64> .*from a list"):
        exe(ones, [2] * 7)
    np.testing.assert_array_equal(exe(list(ones), jnp.ones(7, jnp.float32)), np.full(7, 2, np.float32))  # f32: fine
    with pytest.raises(tilewright.TilewrightError, match=r"takes 2 argument\(s\)"):
        exe(ones)

    scalars = tilewright.compile(SCALARS)
    f, i, b, h, c = scalars(2, 3, True, 1.5, 2)  # int -> f32, bf16, complex; float -> bf16; bool is bool
    assert (f.dtype, i.dtype, h.dtype, c.dtype) == (np.float32, np.int8, ml_dtypes.bfloat16, np.complex64)
    assert (float(f), int(i), bool(b), float(h), complex(c)) == (2.0, 3, True, 1.5, 2 + 0j)
    good = (1.0, 1, False, 1.0, 1j)
    for position, bad, message in [
        (0, np.float64(1), r"argument #0 .* has type tensor<f64> \(numpy float64\[\]\)"),  # numpy scalars are strong
        (1, 2.5, r"argument #1 of '@main' is a Python float \(2.5\), but the function expects tensor<i8>"),
        (1, 300, r"argument #1 of '@main' is a Python int: cannot convert to tensor<i8>: .*out of bounds"),
        (1, True, r"argument #1 .* tensor<i1> \(numpy bool\[\], from a bool\), but the function expects tensor<i8>"),
        (0, 1j, r"argument #0 of '@main' is a Python complex \(1j\), but the function expects tensor<f32>"),
        (3, np.float32(1), r"argument #3 .* tensor<f32> .* expects tensor<bf16>"),
    ]:
        args = list(good)
        args[position] = bad
        with pytest.raises(tilewright.TilewrightError, match=message):
            scalars(*args)
    with pytest.raises(tilewright.TilewrightError, match=r"argument #0 of '@main' is a Python float .*tensor<7xf32>"):
        exe(1.0, ones)  # a scalar is not broadcast


def test_non_contiguous_inputs_are_handled(rng):
    a = rng.standard_normal((7, 14)).astype(np.float32)[:, ::2]
    b = rng.standard_normal((7, 7)).astype(np.float32).T
    text = stablehlo_of(jnp.subtract, np.ascontiguousarray(a), np.ascontiguousarray(b))
    np.testing.assert_allclose(tilewright.compile(text)(a, b), a - b)


def test_missing_entry_and_bad_source_are_errors():
    with pytest.raises(tilewright.TilewrightError, match="entry function '@nope' not found"):
        tilewright.compile(LINALG_ADD, entry="nope")
    with pytest.raises(tilewright.TilewrightError, match="no such file"):
        tilewright.compile("does/not/exist.mlir")
    with pytest.raises(tilewright.TilewrightError, match="unknown target"):
        tilewright.compile(LINALG_ADD, target="tpu")


def test_dump_dir_shows_every_stage(tmp_path: Path):
    tilewright.compile(LINALG_ADD, dump_dir=tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    stages = ["00-linalg.mlir", "01-scheduled.mlir", "02-bufferized.mlir", "03-llvm-dialect.mlir"]
    assert names == sorted([*stages, "01-scheduled.transform.mlir"])  # the default schedule's script too
    assert "transform.named_sequence @__transform_main" in (tmp_path / "01-scheduled.transform.mlir").read_text()
    assert "memref<7xf32>" in (tmp_path / "02-bufferized.mlir").read_text()


def test_transform_schedule_is_applied(tmp_path: Path, rng):
    script = (Path(__file__).parents[1] / "Inputs" / "tile-matmul.transform.mlir").read_text()
    a, b = rng.standard_normal((97, 7), np.float32), rng.standard_normal((7, 33), np.float32)
    text = stablehlo_of(jnp.matmul, a, b)
    exe = tilewright.compile(text, schedule=script, dump_dir=tmp_path)
    assert "scf.for" in (tmp_path / "01-scheduled.mlir").read_text()
    np.testing.assert_allclose(exe(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_freeing_a_parallel_executable_keeps_the_others_working(rng):
    """Regression: freeing an engine used to reset the async runtime under the live ones (segfault)."""
    import gc

    script = (Path(__file__).parents[1] / "library" / "Inputs" / "forall-matmul.transform.mlir").read_text()
    survivors = []
    for i, (m, k, n) in enumerate([(17, 7, 33), (97, 13, 5), (33, 33, 33), (8, 9, 10)] * 3):
        a, b = rng.standard_normal((m, k), np.float32), rng.standard_normal((k, n), np.float32)
        exe = tilewright.compile(stablehlo_of(jnp.matmul, a, b), schedule=script, threads=2, opt_level=1)
        for _ in range(5):
            np.testing.assert_allclose(exe(a, b), a @ b, rtol=1e-4, atol=1e-4)
        if i % 2 == 0:
            survivors.append((exe, a, b))
        del exe
        tilewright.compiler._CACHE.clear()
        gc.collect()
    for exe, a, b in survivors:
        np.testing.assert_allclose(exe(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_editing_a_schedule_file_recompiles(tmp_path: Path, rng):
    a, b = rng.standard_normal((97, 7), np.float32), rng.standard_normal((7, 33), np.float32)
    text = stablehlo_of(jnp.matmul, a, b)
    script = tmp_path / "s.mlir"
    script.write_text((Path(__file__).parents[1] / "Inputs" / "tile-matmul.transform.mlir").read_text())
    first = tilewright.compile(text, schedule=str(script))
    assert tilewright.compile(text, schedule=str(script)) is first
    script.write_text(script.read_text().replace("tile_sizes [8, 16]", "tile_sizes [4, 8]"))
    second = tilewright.compile(text, schedule=str(script))
    assert second is not first
    np.testing.assert_allclose(second(a, b), a @ b, rtol=1e-4, atol=1e-4)


# --- start-up and the environment a user keeps (issue 15) -----------------------------------------


def _python(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env)


def test_import_is_lazy_and_the_public_names_still_work():
    proc = _python(
        "import sys, tilewright\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'mlir', 'jax', 'jaxlib', 'ml_dtypes'}))\n"
        "from tilewright import CompileOptions, Executable, TilewrightError, compile\n"
        "assert tilewright.compile is compile and 'compile' in dir(tilewright)\n"
        "print(CompileOptions.__name__, Executable.__name__, TilewrightError.__name__)\n"
        "try:\n    tilewright.nosuch\nexcept AttributeError as exc:\n    print(exc)\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "[]",
        "CompileOptions Executable TilewrightError",
        "module 'tilewright' has no attribute 'nosuch'",
    ]


JAX_AFTER_TILEWRIGHT = """
import os, sys
import tilewright
exe = tilewright.compile("examples/mlp.mlir")  # StableHLO: loads jaxlib's MLIR for ingress
print("TF_CPP_MIN_LOG_LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL"), flush=True)
import jax.numpy as jnp
print(jnp.ones(2).sum(), flush=True)  # starts JAX's CPU backend
"""


def test_jax_after_tilewright_logs_as_jax_alone_does():
    """``import tilewright`` used to load jaxlib before jax set its C++ log level: INFO lines in the user's JAX."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = _python(JAX_AFTER_TILEWRIGHT, env)
    assert proc.returncode == 0, proc.stderr
    assert "TF_CPP_MIN_LOG_LEVEL None" in proc.stdout  # the user's environment is as it was
    assert "pjrt_client.cc" not in proc.stderr and "PjRt-IFRT" not in proc.stderr, proc.stderr
    verbose = _python(JAX_AFTER_TILEWRIGHT, {**env, "TF_CPP_MIN_LOG_LEVEL": "0"})  # a user who asks for INFO gets it
    assert verbose.returncode == 0, verbose.stderr
    assert "TF_CPP_MIN_LOG_LEVEL 0" in verbose.stdout and "PjRt-IFRT device count" in verbose.stderr


def test_readme_python_examples_run_and_leave_the_working_tree_alone():
    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:3]]
    assert "dump_dir=tempfile.mkdtemp()" in blocks[0]
    before = {p.name for p in ROOT.iterdir()}
    proc = _python("\n".join(blocks))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in ROOT.iterdir()} - before == set()
    assert ".gitignore" in before and "dump/" in (ROOT / ".gitignore").read_text().split()
