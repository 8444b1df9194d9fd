"""Every export format in: same numbers as jax.jit through the Python API and `tilewright run`.

Formats are detected from content, never from the file name: the CLI tests
write every format to a file named ``program.in``.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import export
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P
from jaxlib.mlir import ir as jir
from jaxlib.mlir.dialects import stablehlo

import pytest
import tilewright
from conftest import assert_matches_jax
from tilewright.ingress.formats import (
    InputFormat,
    as_source,
    read_bytecode_info,
    source_from_bytes,
)
from tilewright.ingress.stablehlo import jax_context
from tilewright.mlir_env import new_context

# --- programs -------------------------------------------------------------------------------


def mlp(x, w1, b1, w2):
    h = jax.nn.gelu(x @ w1 + b1)
    return jnp.tanh(h @ w2), jax.nn.softmax(h, axis=-1)


def special(x):
    """CHLO ops in JAX's lowering: erf_inv, lgamma, digamma."""
    return jax.lax.erf_inv(x * 0.9), jax.scipy.special.gammaln(x + 1.5) + jax.scipy.special.digamma(x + 2.0)


def integers(a, b):
    return jnp.where(a > b, a * 3 - b, (a + b) // 2), jnp.sum(a * b, axis=0)


def complex_constant(x):
    return jnp.abs(x * (1.0 + 2.0j)) + jnp.real(jnp.exp(1j * x))


def _programs() -> dict[str, tuple[Callable, tuple[np.ndarray, ...]]]:
    rng = np.random.default_rng(7)

    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    return {
        "mlp": (mlp, (f32(7, 13), f32(13, 97), f32(97), f32(97, 5))),
        "special": (special, (rng.uniform(-0.9, 0.9, (1, 97)).astype(np.float32),)),
        "integers": (integers, (rng.integers(-50, 50, (13, 7), np.int32), rng.integers(1, 9, (13, 7), np.int32))),
        "complex-constant": (complex_constant, (f32(7),)),
    }


PROGRAMS = _programs()

# --- formats: (fn, args) -> what a user would hand to tilewright ---------------------------------


def _text(fn, args) -> str:
    return jax.jit(fn).lower(*args).as_text()


def _text_with_locations(fn, args) -> str:
    return jax.jit(fn).lower(*args).as_text(debug_info=True)


def _generic(fn, args) -> str:
    with jax_context() as ctx:
        module = jir.Module.parse(_text(fn, args), ctx)
        return module.operation.get_asm(print_generic_op_form=True, enable_debug_info=True)


def _bytecode(fn, args) -> bytes:
    with jax_context() as ctx:
        module = jir.Module.parse(_text(fn, args), ctx)
        out = io.BytesIO()
        module.operation.write_bytecode(out)
        return out.getvalue()


def _portable_minimum(fn, args) -> bytes:
    return bytes(stablehlo.serialize_portable_artifact_str(_text(fn, args), stablehlo.get_minimum_version()))


def _portable_current(fn, args) -> bytes:
    with jax_context() as ctx:
        module = jir.Module.parse(_text(fn, args), ctx)
        return bytes(stablehlo.serialize_portable_artifact(module, stablehlo.get_current_version()))


def _jax_export(fn, args) -> bytes:
    return bytes(export.export(jax.jit(fn))(*args).serialize())


def _sharded_text(fn, args) -> str:
    """JAX's Shardy annotations: an ``sdy.mesh`` and ``#sdy.sharding`` on arguments and results."""
    mesh = jax.make_mesh((1,), ("x",))
    shardings = tuple(NamedSharding(mesh, P("x") if a.ndim else P()) for a in args)
    return jax.jit(fn, in_shardings=shardings).lower(*args).as_text()


FORMATS: dict[str, tuple[Callable, InputFormat]] = {
    "text": (_text, InputFormat.MLIR_TEXT),
    "text-locations": (_text_with_locations, InputFormat.MLIR_TEXT),
    "generic": (_generic, InputFormat.MLIR_TEXT),
    "sharded": (_sharded_text, InputFormat.MLIR_TEXT),
    "bytecode": (_bytecode, InputFormat.MLIR_BYTECODE),
    "portable-minimum": (_portable_minimum, InputFormat.PORTABLE_ARTIFACT),
    "portable-current": (_portable_current, InputFormat.PORTABLE_ARTIFACT),
    "jax-export": (_jax_export, InputFormat.JAX_EXPORT),
}
BINARY_FORMATS = [name for name, (_, fmt) in FORMATS.items() if fmt is not InputFormat.MLIR_TEXT]
# CHLO has no portable (VHLO) form; JAX itself decomposes CHLO before jax.export serializes.
NOT_PORTABLE = {("special", "portable-minimum"), ("special", "portable-current")}


def _cases() -> list:
    cases = []
    for program in PROGRAMS:
        for fmt in FORMATS:
            marks = [pytest.mark.skip(reason="CHLO is not part of VHLO")] if (program, fmt) in NOT_PORTABLE else []
            cases.append(pytest.param(program, fmt, id=f"{program}-{fmt}", marks=marks))
    return cases


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(("program", "fmt"), _cases())
def test_format_round_trips_through_the_api(program: str, fmt: str):
    fn, args = PROGRAMS[program]
    make, expected_format = FORMATS[fmt]
    data = make(fn, args)
    source = as_source(data)
    assert source.format is expected_format
    assert source.is_stablehlo
    assert_matches_jax(tilewright.compile(data)(*args), fn, *args, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_format_round_trips_through_tilewright_run(fmt: str, tmp_path: Path):
    fn, args = PROGRAMS["mlp"]
    data = FORMATS[fmt][0](fn, args)
    program = tmp_path / "program.in"  # no telling extension: detection is by content
    if isinstance(data, bytes):
        program.write_bytes(data)
    else:
        program.write_text(data)
    np.savez(tmp_path / "in.npz", *args)
    proc = _tilewright("run", str(program), "--inputs", str(tmp_path / "in.npz"), "--output", str(tmp_path / "out.npz"))
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "out.npz") as out:
        got = tuple(out[f"result{i}"] for i in range(len(out.files)))
    assert_matches_jax(got, fn, *args)


def test_jax_export_objects_and_bytearrays_are_accepted():
    fn, args = PROGRAMS["integers"]
    exported = export.export(jax.jit(fn))(*args)
    assert isinstance(exported.serialize(), bytearray)
    assert_matches_jax(tilewright.compile(exported)(*args), fn, *args)
    assert_matches_jax(tilewright.compile(exported.serialize())(*args), fn, *args)


def test_upstream_bytecode_runs_without_stablehlo():
    linalg = """
    func.func @main(%a: tensor<97xf32>, %b: tensor<97xf32>) -> tensor<97xf32> {
      %e = tensor.empty() : tensor<97xf32>
      %r = linalg.mul ins(%a, %b : tensor<97xf32>, tensor<97xf32>) outs(%e : tensor<97xf32>) -> tensor<97xf32>
      return %r : tensor<97xf32>
    }
    """
    with new_context():
        out = io.BytesIO()
        from mlir import ir

        ir.Module.parse(linalg).operation.write_bytecode(out)
    data = out.getvalue()
    source = source_from_bytes(data, "upstream.mlirbc")
    assert source.format is InputFormat.MLIR_BYTECODE and not source.is_stablehlo
    assert {"linalg", "tensor", "func"} <= set(source.dialects or ())
    a, b = np.arange(97, dtype=np.float32), np.full(97, 0.5, np.float32)
    np.testing.assert_array_equal(tilewright.compile(data)(a, b), a * b)


# --- calling conventions of jax.export ------------------------------------------------------


def test_jax_export_keeps_unused_arguments_and_drops_the_platform_index():
    def f(x, unused, y):
        return jnp.sin(x) * 2 + y

    x, unused, y = (np.full((3, 4), v, np.float32) for v in (0.5, 9.0, 1.0))
    single = export.export(jax.jit(f))(x, unused, y)
    assert single.module_kept_var_idx == (0, 2)  # JAX dropped `unused` from @main
    multi = export.export(jax.jit(f), platforms=["cpu", "cuda"])(x, unused, y)
    for exported in (single, multi):
        exe = tilewright.compile(exported.serialize())
        assert len(exe.signature.inputs) == 3
        assert_matches_jax(exe(x, unused, y), f, x, unused, y)


def test_shape_polymorphic_exports_are_a_clear_error():
    (b,) = export.symbolic_shape("b")
    exported = export.export(jax.jit(lambda x: jnp.sin(x).sum(0)))(jax.ShapeDtypeStruct((b, 4), np.float32))
    with pytest.raises(tilewright.TilewrightError, match=r"dynamic shapes are not supported: .* shape-polymorphic"):
        tilewright.compile(exported.serialize())
    with pytest.raises(tilewright.TilewrightError, match=r"dynamic shapes are not supported: argument #0 .*\?x4xf32"):
        tilewright.compile(exported.mlir_module())


def test_exports_for_other_platforms_are_a_clear_error():
    exported = export.export(jax.jit(jnp.sin), platforms=["cuda"])(np.ones(3, np.float32))
    with pytest.raises(tilewright.TilewrightError, match="lowered for cuda, not cpu"):
        tilewright.compile(exported.serialize())


# --- detection ------------------------------------------------------------------------------


def test_detection_ignores_comments_and_attribute_keys():
    upstream = """// lowered from stablehlo.add by hand
    func.func @main(%a: tensor<3xf32>) -> tensor<3xf32> attributes {mhlo.sharding = "{replicated}"} {
      return %a : tensor<3xf32>
    }"""
    assert not as_source(upstream).is_stablehlo
    generic = '"func.func"() ({ ^bb0(%a: tensor<3xf32>): %0 = "stablehlo.abs"(%a) : (tensor<3xf32>) -> tensor<3xf32> })'
    assert as_source(generic).is_stablehlo
    assert as_source("func.func private @f() -> !stablehlo.token").is_stablehlo


def test_bytecode_info_names_dialects_and_ops():
    fn, args = PROGRAMS["mlp"]
    info = read_bytecode_info(_portable_minimum(fn, args))
    assert info.producer.startswith("StableHLO_v") and info.dialects == ("builtin", "vhlo")
    assert "vhlo.dot_general_v1" in info.operations
    info = read_bytecode_info(_bytecode(fn, args))
    assert "stablehlo" in info.dialects and "stablehlo.dot_general" in info.operations


# --- damaged input --------------------------------------------------------------------------


def _damaged(data: bytes) -> dict[str, bytes]:
    damaged = {"first-third": data[: len(data) // 3], "two-thirds": data[: 2 * len(data) // 3]}
    if data.startswith(b"ML\xefR"):
        damaged["last-byte-missing"] = data[:-1]  # (a flatbuffer may end in padding: not for jax.export)
        producer_end = data.index(b"\x00", 5) + 1
        damaged["bad-section-id"] = data[:producer_end] + b"\x7f" + data[producer_end + 1 :]
    return damaged


@pytest.mark.parametrize("fmt", BINARY_FORMATS)
def test_damaged_binaries_are_one_clear_error(fmt: str):
    fn, args = PROGRAMS["mlp"]
    for how, data in _damaged(FORMATS[fmt][0](fn, args)).items():
        with pytest.raises(tilewright.TilewrightError) as info:
            tilewright.compile(data)
        message = info.value.format()
        assert message.startswith("<bytes>") and ": error: " in message, (how, message)
        assert "internal error" not in message and "Traceback" not in message, (how, message)
        assert any(word in message for word in ("truncated", "corrupt", "unrecognized")), (how, message)


def test_garbage_is_an_unrecognized_format():
    with pytest.raises(tilewright.TilewrightError, match="unrecognized input format: not MLIR text"):
        tilewright.compile(bytes(range(256)) * 3)


@pytest.mark.parametrize("fmt", [*BINARY_FORMATS, "text"])
def test_damaged_files_exit_1_with_one_error_from_the_cli(fmt: str, tmp_path: Path):
    fn, args = PROGRAMS["mlp"]
    data = FORMATS[fmt][0](fn, args)
    data = data.encode() if isinstance(data, str) else data
    program = tmp_path / "damaged.in"
    program.write_bytes(data[: 2 * len(data) // 3])
    proc = _tilewright("run", str(program), "--random-inputs")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert lines and lines[0].startswith(str(program)), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


def _tilewright(*argv: str) -> subprocess.CompletedProcess:
    cli = Path(sys.executable).parent / "tilewright"
    return subprocess.run([str(cli), *argv], capture_output=True, text=True, timeout=300)
