"""The schedule API itself: handle invalidation, knobs, locations, extensions, the built-in registry, ModuleInfo."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.diagnostics import TilewrightError
from tilewright.schedule import HandleError, OpHandle, Schedule, ScheduleError, library
from tilewright.schedule.consumption import consumed_operands
from tilewright.schedule.extensions import extension_method
from tilewright.schedule.handles import API_MODULES
from tilewright.schedule.info import ModuleInfo
from tilewright.schedule.source import schedule_text

INPUTS = Path(__file__).resolve().parents[1] / "Inputs" / "schedule"


def test_tiling_consumes_its_target():
    s = Schedule()
    mm = s.match("linalg.matmul")
    tiled, loops = mm.tile([8, 16])
    assert not mm.valid and tiled.valid and all(loop.valid for loop in loops)
    with pytest.raises(HandleError, match=r"consumed by 'transform.structured.tile_using_for'"):
        mm.tile([4])


def test_consuming_a_loop_invalidates_what_is_inside_it():
    s = Schedule()
    tiled, (outer, inner) = s.match("linalg.matmul").tile([8, 16])
    body_op = tiled.match("arith.mulf")
    outer.unroll(2)
    for h in (tiled, inner, body_op):
        assert not h.valid
        with pytest.raises(HandleError):
            h.annotate("x")


def test_readonly_transforms_keep_handles_valid():
    s = Schedule()
    func = s.match("func.func")
    mm = func.match("linalg.matmul")
    mm.annotate("seen")
    func.canonicalize()
    func.apply_cse()
    assert mm.valid and func.valid and s.root.valid


def test_bufferize_invalidates_everything_and_replaces_the_root():
    s = Schedule()
    old_root = s.root
    mm = s.match("linalg.matmul")
    new_root = s.bufferize()
    assert s.root is new_root and not old_root.valid and not mm.valid
    s.match("memref.alloc")  # matches in the bufferized IR, from the new root
    assert "{transform.consumed}" in s.to_mlir()


def test_handles_of_another_schedule_are_rejected():
    a, b = Schedule(), Schedule()
    with pytest.raises(HandleError, match="another schedule"):
        b.match("linalg.matmul", within=a.root)


def test_consumed_operands_is_read_from_mlir():
    s = Schedule()
    mm = s.match("linalg.matmul")
    func = s.match("func.func")
    _fused, new_loop = mm.fuse_into(func)  # producer consumed, containing op only read (MLIR 22)
    op = new_loop._value.owner
    assert consumed_operands(op) == frozenset({0})
    assert not mm.valid and func.valid


def _user(handle: OpHandle, op_name: str):
    """The transform op named ``op_name`` built on ``handle``."""
    return next(u.owner.operation for u in handle._value.uses if u.owner.operation.name == op_name)


def test_consumption_is_read_from_the_pinned_mlirs_memory_effects():
    """Consumption comes from upstream's transform-infer-effects pass (the bindings expose no
    MemoryEffectOpInterface); this pins what it reports on real ops, so an MLIR update that changes
    the pass or the ops' effects fails here instead of silently tracking nothing."""
    s = Schedule()
    mm, fill, func, generics = (s.match(n) for n in ("linalg.matmul", "linalg.fill", "func.func", "linalg.generic"))
    mm.annotate("seen")
    fill.tile([4])
    s.foreach(func, lambda op: op.match("linalg.generic").annotate("inner"))  # reads its argument
    s.foreach(generics, lambda op: op.tile([2])[0], results=1)  # consumes it
    assert consumed_operands(_user(fill, "transform.structured.tile_using_for")) == {0}
    assert consumed_operands(_user(mm, "transform.annotate")) == frozenset()
    assert consumed_operands(_user(s.root, "transform.structured.match")) == frozenset()
    assert consumed_operands(_user(func, "transform.foreach")) == frozenset()
    assert consumed_operands(_user(generics, "transform.foreach")) == {0}
    assert mm.valid and func.valid and not fill.valid and not generics.valid


def test_escape_hatch_infers_consumption():
    s = Schedule()
    mm = s.match("linalg.matmul")
    (generic,) = s.op("transform.structured.generalize", [mm], ["!transform.any_op"])
    assert not mm.valid and generic.valid
    with pytest.raises(ScheduleError, match="not a registered operation"):
        s.op("transform.does_not_exist", [generic])


def test_knobs_select_override_and_validate():
    s = Schedule("k", knobs={"tile": 32})
    k = s.knob("tile", [8, 16, 32], default=16)
    s.match("linalg.matmul").tile([k, 0])
    assert s.knobs == {"tile": ([8, 16, 32], 32)}
    assert "= 32 : i64 from options = [8, 16, 32]" in s.to_mlir()
    s.set_knob("tile", 8)
    assert "= 8 : i64 from options = [8, 16, 32]" in s.to_mlir()
    with pytest.raises(ScheduleError, match="not one of its options"):
        s.set_knob("tile", 12)
    with pytest.raises(ScheduleError, match="defined twice"):
        s.knob("tile", [1])
    with pytest.raises(ScheduleError, match="unknown knob"):
        s.set_knob("nope", 1)


def test_ops_are_located_at_the_python_line():
    s = Schedule("locs")
    s.match("linalg.matmul")  # the line below is asserted
    line = test_ops_are_located_at_the_python_line.__code__.co_firstlineno + 2
    text = s.to_mlir(debug_info=True)
    assert f'loc("{__file__}":{line}:5)' in text
    assert str(s) == s.to_mlir() and "loc(" not in str(s)


def test_every_extension_module_locates_its_ops_at_the_users_line():
    s = Schedule("locs")
    first = inspect.currentframe().f_lineno + 1
    k = s.knob("k", [4])  # tune
    _, (loop,) = s.match("linalg.matmul").tile([k])  # match, structured
    loop.peel()  # loop (and the cast it needs)
    s.foreach(s.match("linalg.fill"), lambda op: op.vectorize())  # core, regions, vector
    s.root.apply_patterns("canonicalization")  # vector
    s.bufferize()  # bufferization
    text = s.to_mlir(debug_info=True)
    for line in range(first, first + 6):
        assert f'"{__file__}":{line}:' in text
    assert "tilewright/schedule" not in text


def test_every_builder_module_is_api_for_locations():
    builders = {c.__module__ for c in (*OpHandle.__mro__, *Schedule.__mro__) if c.__module__.startswith("tilewright.")}
    assert builders <= API_MODULES and "tilewright.schedule.regions" in API_MODULES


def test_invalid_arguments_are_reported_at_the_call():
    s = Schedule()
    mm = s.match("linalg.matmul")
    with pytest.raises(ScheduleError) as info:
        mm.pack_greedily([8, 16, 32], matmul_padded_sizes_next_multiple_of=[8, 16, 32])
    assert info.value.location.filename == __file__
    s.verify()  # the rejected op was removed: the script stays valid
    with pytest.raises(ScheduleError, match="unknown contraction lowering"):
        from tilewright.schedule import patterns

        patterns.lower_contraction("fastest")


def test_extension_methods_are_added_once():
    @extension_method(OpHandle, "test_generalize_ext")
    def _generalize(self: OpHandle) -> OpHandle:
        (out,) = self.schedule.op("transform.structured.generalize", [self], ["!transform.any_op"])
        return out

    s = Schedule()
    mm = s.match("linalg.matmul")
    g = mm.test_generalize_ext()
    line = inspect.currentframe().f_lineno - 1
    assert not mm.valid and g.valid and "transform.structured.generalize" in s.to_mlir()
    assert f'"{__file__}":{line}:' in s.to_mlir(debug_info=True)  # the extension is API too
    with pytest.raises(ValueError, match="already exists"):
        extension_method(OpHandle, "tile")(_generalize)


def test_named_sequences_infer_consumed_arguments():
    s = Schedule()
    s.define("tile4", lambda op: op.tile([4])[0])
    mm = s.match("linalg.matmul")
    (tiled,) = s.include("tile4", mm)
    assert not mm.valid and tiled.valid
    assert "@tile4(%arg0: !transform.any_op {transform.consumed}) -> !transform.any_op" in s.to_mlir()


def _matmul_module():
    from mlir import ir

    from tilewright.mlir_env import new_context

    ctx = new_context()
    with ctx:
        return ir.Module.parse((INPUTS / "matmul.mlir").read_text())


def test_module_info_describes_the_payload():
    info = ModuleInfo.from_module(_matmul_module())
    fill, mm = info.ops
    assert fill.name == "linalg.fill" and mm.name == "linalg.matmul"
    assert mm.iterator_types == ("parallel", "parallel", "reduction")
    assert mm.loop_ranges == (97, 33, 7)
    assert (mm.size("m"), mm.size("n"), mm.size("k")) == (97, 33, 7)
    assert mm.inputs[0].shape == (97, 7) and mm.inputs[0].dtype == "f32"
    assert mm.is_contraction and not fill.is_contraction and fill.is_elementwise
    assert info.functions == ("main",) and info.find("matmul") == [mm]


def test_schedule_functions_get_module_info():
    seen = []

    def build(info: ModuleInfo) -> Schedule:
        seen.append(info)
        s = Schedule("fn")
        s.match("linalg.matmul").annotate("m" + str(info.find("matmul")[0].size("m")))
        return s

    text, name = schedule_text(build, _matmul_module())
    assert name == "fn" and '"m97"' in text and seen[0].find("matmul")


def test_builtin_registry(rng):
    @library.register_builtin("test-tile-rows", description="tile matmul rows by 8")
    def build(info: ModuleInfo) -> Schedule:
        s = Schedule("test-tile-rows")
        s.match("linalg.matmul").tile([8, 0, 0])
        return s

    assert "test-tile-rows" in library.builtin_names()
    assert library.get_builtin("test-tile-rows").description == "tile matmul rows by 8"
    with pytest.raises(ValueError, match="already registered"):
        library.register_builtin("test-tile-rows", lambda info: None)
    with pytest.raises(TilewrightError, match="unknown built-in schedule 'nope'"):
        library.get_builtin("nope")
    x = rng.standard_normal((17, 5), dtype=np.float32)
    w = rng.standard_normal((5, 3), dtype=np.float32)
    exe = tilewright.compile(stablehlo_of(lambda a, b: a @ b, x, w), schedule="test-tile-rows")
    np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-5, atol=1e-5)


def test_schedule_object_and_py_file_in_compile(rng, tmp_path):
    x = rng.standard_normal((97, 7), dtype=np.float32)
    w = rng.standard_normal((7, 33), dtype=np.float32)
    text = stablehlo_of(lambda a, b: a @ b, x, w)
    s = Schedule("obj")
    s.match("linalg.matmul").tile([8, 16, 0])
    for schedule in (s, str(INPUTS / "shape-dependent.py")):
        exe = tilewright.compile(text, schedule=schedule, dump_dir=tmp_path)
        assert "scf.for" in (tmp_path / "01-scheduled.mlir").read_text()
        np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-5, atol=1e-5)


def test_failing_transform_points_at_the_python_line(rng):
    x = rng.standard_normal((4, 4), dtype=np.float32)
    s = Schedule("bad")
    s.match("linalg.matmul").tile([1, 1, 1, 1])
    line = test_failing_transform_points_at_the_python_line.__code__.co_firstlineno + 3
    with pytest.raises(TilewrightError) as info:
        tilewright.compile(stablehlo_of(lambda a, b: a @ b, x, x), schedule=s)
    first = info.value.diagnostics[0]
    assert (first.location.filename, first.location.line) == (__file__, line)
    assert "too many tiles provided" in first.message
    assert first.notes and first.notes[0].message == "when applied to this payload op"


def test_foreach_consumes_its_target_when_the_body_does():
    s = Schedule()
    generics = s.match("linalg.generic")
    (loops,) = s.foreach(generics, lambda op: op.tile([4, 0])[1][0], results=1)
    assert not generics.valid and loops.valid
    readonly = s.match("linalg.fill")
    s.foreach(readonly, lambda op: op.annotate("seen"))
    assert readonly.valid
    with pytest.raises(ScheduleError, match="returned 0 handle"):
        s.foreach(readonly, lambda op: None, results=1)
    s.verify()


def test_alternatives_are_knobs_over_regions():
    s = Schedule()
    mm = s.match("linalg.matmul")
    (loop,) = s.alternatives("how", [lambda: mm.tile([4])[1][0], lambda: mm.tile([8])[1][0]], default=1, results=1)
    assert not mm.valid and loop.valid  # consumed by both options
    assert s.knobs == {"how": ([0, 1], 1)} and "selected_region = 1" in s.to_mlir()
    s.set_knob("how", 0)
    assert "selected_region = 0" in s.to_mlir()
    with pytest.raises(ScheduleError, match="not one of"):
        Schedule(knobs={"x": 2}).alternatives("x", [lambda: None, lambda: None])


def test_consumption_depends_on_attributes_not_only_the_op():
    """``bufferize_to_allocation`` consumes its target unless ``bufferize_destination_only``: the
    answer for one form must not be reused for the other (a cache keyed by op name alone made the
    NVVM library's shared-memory copies fail after any earlier schedule used the consuming form)."""
    s = Schedule()
    consuming, reading = s.match("linalg.copy"), s.match("linalg.fill")
    consuming.bufferize_to_allocation()
    reading.bufferize_to_allocation(bufferize_destination_only=True)
    assert consumed_operands(_user(consuming, "transform.structured.bufferize_to_allocation")) == {0}
    assert consumed_operands(_user(reading, "transform.structured.bufferize_to_allocation")) == frozenset()
    assert not consuming.valid and reading.valid
