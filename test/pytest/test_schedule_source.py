"""ScheduleSource: every form of schedule resolves once into one type, and the cache key, the
apply step and --dump-dir all ask it."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

import pytest
import tilewright
from tilewright.compiler import CompileOptions, start
from tilewright.diagnostics import TilewrightError
from tilewright.ingress.formats import as_source
from tilewright.schedule import Schedule
from tilewright.schedule.library import register_builtin
from tilewright.schedule.source import (
    BuiltinSchedule,
    DefaultSchedule,
    NoSchedule,
    PythonFile,
    ScheduleFunction,
    ScheduleObject,
    ScriptFile,
    ScriptText,
    resolve_schedule,
)

INPUTS = Path(__file__).resolve().parents[1] / "Inputs"

MATMUL = """
func.func @main(%a: tensor<33x17xf32>, %b: tensor<17x40xf32>) -> tensor<33x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<33x40xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<33x40xf32>) -> tensor<33x40xf32>
  %r = linalg.matmul ins(%a, %b : tensor<33x17xf32>, tensor<17x40xf32>)
                     outs(%c : tensor<33x40xf32>) -> tensor<33x40xf32>
  return %r : tensor<33x40xf32>
}
"""


def tile_script(sizes: tuple[int, int]) -> str:
    return f"""module attributes {{transform.with_named_sequence}} {{
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}}) {{
    %mm = transform.structured.match ops{{["linalg.matmul"]}} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l:2 = transform.structured.tile_using_for %mm tile_sizes [{sizes[0]}, {sizes[1]}]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }}
}}
"""


def build_tiled(info) -> Schedule:
    s = Schedule("tile-8x16")
    s.match("linalg.matmul").tile([8, 16])
    return s


@pytest.fixture
def operands(rng):
    return rng.standard_normal((33, 17)).astype(np.float32), rng.standard_normal((17, 40)).astype(np.float32)


def test_every_form_resolves_to_its_kind(tmp_path):
    mlir_file = tmp_path / "s.mlir"
    mlir_file.write_text(tile_script((8, 16)))
    py_file = tmp_path / "s.py"
    py_file.write_text("schedule = None\n")
    register_builtin("test-tile-8x16", build_tiled, replace=True)
    s = Schedule("object")
    cases = [
        (None, DefaultSchedule),
        ("default", DefaultSchedule),
        ("none", NoSchedule),
        (tile_script((8, 16)), ScriptText),
        (str(mlir_file), ScriptFile),
        (mlir_file, ScriptFile),
        (str(py_file), PythonFile),
        (s, ScheduleObject),
        (build_tiled, ScheduleFunction),
        ("test-tile-8x16", BuiltinSchedule),
    ]
    for value, kind in cases:
        assert type(resolve_schedule(value)) is kind, value
    resolved = resolve_schedule(mlir_file)
    assert resolve_schedule(resolved) is resolved  # resolving twice changes nothing
    assert type(CompileOptions(schedule=str(mlir_file)).schedule) is ScriptFile


def test_a_path_containing_a_brace_is_a_path(tmp_path, operands):
    """Text with '{' used to be script text for the apply step and a file for the cache key."""
    folder = tmp_path / "sched{v1}"
    folder.mkdir()
    path = folder / "tile{8x16}.mlir"
    path.write_text(tile_script((8, 16)))
    source = resolve_schedule(str(path))
    assert isinstance(source, ScriptFile) and source.path == path
    exe = tilewright.compile(MATMUL, schedule=str(path), threads=1)
    assert "scf.for" in exe.compilation.artifacts["scheduled"]
    a, b = operands
    np.testing.assert_allclose(exe(a, b), a @ b, rtol=1e-5, atol=1e-5)


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.mlir"
    with pytest.raises(TilewrightError, match="schedule file not found") as info:
        resolve_schedule(str(missing))
    assert info.value.location.filename == str(missing)
    with pytest.raises(TilewrightError, match="schedule file not found"):
        resolve_schedule(missing)


def test_an_edited_schedule_file_compiles_anew(tmp_path, operands):
    path = tmp_path / "tile.mlir"
    path.write_text(tile_script((8, 16)))
    first = tilewright.compile(MATMUL, schedule=str(path), threads=1)
    again = tilewright.compile(MATMUL, schedule=str(path), threads=1)
    assert again is first  # unchanged content: served from the cache
    path.write_text(tile_script((11, 5)))
    edited = tilewright.compile(MATMUL, schedule=str(path), threads=1)
    assert edited is not first
    assert "tile_sizes [11, 5]" not in edited.compilation.artifacts["scheduled"]  # payload IR, not the script
    assert "arith.constant 11 : index" in edited.compilation.artifacts["scheduled"]
    assert "arith.constant 11 : index" not in first.compilation.artifacts["scheduled"]
    a, b = operands
    np.testing.assert_allclose(edited(a, b), a @ b, rtol=1e-5, atol=1e-5)


def test_an_edited_python_schedule_compiles_anew(tmp_path):
    path = tmp_path / "tile.py"
    body = "from tilewright.schedule import Schedule\n\ndef schedule(info):\n    s = Schedule('t')\n"
    path.write_text(body + "    s.match('linalg.matmul').tile([8, 16])\n    return s\n")
    before = resolve_schedule(str(path)).fingerprint()
    path.write_text(body + "    s.match('linalg.matmul').tile([4, 4])\n    return s\n")
    assert resolve_schedule(str(path)).fingerprint() != before


def test_fingerprints_follow_content():
    assert ScriptText(tile_script((8, 16))).fingerprint() == ScriptText(tile_script((8, 16))).fingerprint()
    assert ScriptText(tile_script((8, 16))).fingerprint() != ScriptText(tile_script((8, 8))).fingerprint()
    a, b = Schedule("a"), Schedule("b")
    a.match("linalg.matmul").tile([8, 16])
    b.match("linalg.matmul").tile([8, 16])
    assert ScheduleObject(a).fingerprint() == ScheduleObject(b).fingerprint()
    b.match("linalg.fill")
    assert ScheduleObject(a).fingerprint() != ScheduleObject(b).fingerprint()


@pytest.mark.parametrize("form", ["function", "builtin", "python-file", "default"])
def test_python_schedules_are_built_in_the_payload_context(form, tmp_path):
    """Schedules built from Python for a payload are applied as built: no print and re-parse."""
    register_builtin("test-tile-8x16", build_tiled, replace=True)
    py_file = tmp_path / "s.py"
    py_file.write_text(
        "from tilewright.schedule import Schedule\n\ndef schedule(info):\n"
        "    s = Schedule('t')\n    s.match('linalg.matmul').tile([8, 16])\n    return s\n"
    )
    value = {"function": build_tiled, "builtin": "test-tile-8x16", "python-file": str(py_file), "default": None}[form]
    compilation = start(as_source(MATMUL), CompileOptions(schedule="none"))
    built: list[Schedule] = []
    original_init = Schedule.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        built.append(self)

    Schedule.__init__ = recording_init
    try:
        script = resolve_schedule(value).script(compilation.module, threads=1)
    finally:
        Schedule.__init__ = original_init
    assert script is not None and built
    assert script.module.context is compilation.module.context
    # The very module the Python code built is applied: nothing was printed and parsed again.
    assert script.module.operation == built[-1].module.operation


def test_a_schedule_object_from_another_context_still_applies(operands):
    s = Schedule("tile")
    s.match("linalg.matmul").tile([8, 16])
    exe = tilewright.compile(MATMUL, schedule=s, threads=1)
    assert "scf.for" in exe.compilation.artifacts["scheduled"]
    a, b = operands
    np.testing.assert_allclose(exe(a, b), a @ b, rtol=1e-5, atol=1e-5)


def test_dump_dir_holds_the_applied_script(tmp_path):
    path = tmp_path / "tile.mlir"
    path.write_text(tile_script((8, 16)))
    tilewright.compile(MATMUL, schedule=str(path), dump_dir=tmp_path / "dump", threads=1)
    dumped = (tmp_path / "dump" / "01-scheduled.transform.mlir").read_text()
    assert "transform.structured.tile_using_for" in dumped and "[8, 16]" in dumped
    names = sorted(p.name for p in (tmp_path / "dump").iterdir())
    assert names[:3] == ["00-linalg.mlir", "01-scheduled.mlir", "01-scheduled.transform.mlir"]
    assert "03-llvm-dialect.mlir" in names


def test_a_failing_default_schedule_restores_the_linalg_stage(monkeypatch, operands):
    """The one fallback policy: the default goes back to the kept linalg module, with a warning."""
    import tilewright.schedule.default as default

    def broken_schedule(module, threads=1, name="<default schedule>"):
        s = Schedule(name, context=module.context)
        s.match("linalg.matmul").tile([8, 16, 4, 2])  # four sizes for three loops: fails when applied
        return s

    monkeypatch.setattr(default, "default_schedule", broken_schedule)
    text = MATMUL.replace("33x17", "31x17").replace("33x40", "31x40")
    with pytest.warns(RuntimeWarning, match="default schedule not applied"):
        exe = tilewright.compile(text, threads=1)
    artifacts = exe.compilation.artifacts
    assert artifacts["scheduled"] == artifacts["linalg"]
    a, b = operands
    np.testing.assert_allclose(exe(a[:31], b), a[:31] @ b, rtol=1e-5, atol=1e-5)


def test_a_failing_user_schedule_is_an_error_not_a_fallback(tmp_path):
    path = tmp_path / "bad.mlir"
    path.write_text((INPUTS / "bad-tile.transform.mlir").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning: a user's schedule never falls back
        with pytest.raises(TilewrightError) as info:
            tilewright.compile(MATMUL, schedule=str(path), threads=1)
    assert any(d.location and d.location.filename == str(path) for d in info.value.diagnostics)
