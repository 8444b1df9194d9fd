"""Schedules built with tilewright.schedule keep numerics equal to numpy, at shapes that are not tile multiples.

Each schedule here is library-like (tile + fuse + vectorize + lower), applied by
``tilewright.compile(..., schedule=...)`` to what JAX exports; the IR after the
schedule is also checked for the transformation having happened, so a schedule
that silently did nothing would fail.
"""

from __future__ import annotations

import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.schedule import Schedule
from tilewright.schedule import patterns as P
from tilewright.schedule.info import ModuleInfo


def matmul_schedule(info: ModuleInfo, tile_m: int = 8, tile_n: int = 16, tile_k: int = 4) -> Schedule:
    """Tile-and-fuse (i, j) with the fill, tile k, masked vectorization (partial tiles), masks lowered."""
    s = Schedule("matmul")
    tiled, _ = s.match("linalg.matmul").fuse([tile_m, tile_n, 0])
    inner, _ = tiled.tile([0, 0, tile_k])
    inner.vectorize([tile_m, tile_n, tile_k])
    func = s.match("func.func")
    func.apply_patterns(P.lower_masked_transfers(), P.canonicalization(), apply_cse=True)
    func.apply_patterns(P.lower_multi_reduction("innerparallel"), P.lower_masks(), P.canonicalization())
    return s


def padded_matmul_schedule(info: ModuleInfo) -> Schedule:
    """Full tiles by padding (k padded to 8), vectorized children, contraction -> vector.fma."""
    (mm,) = info.find("matmul")
    s = Schedule("padded-matmul")
    tiled, _ = s.match("linalg.matmul").fuse([4, 8, 0])
    k_tiled, _ = tiled.tile([0, 0, 8])
    k_tiled.pad(padding_dimensions=[0, 1, 2], pad_to_multiple_of=[4, 8, 8], nofold=[False, False, False])
    func = s.match("func.func").vectorize_children_and_apply_patterns(vectorize_padding=True)
    func.apply_patterns(P.lower_contraction("outerproduct"), P.lower_outerproduct(), P.canonicalization())
    assert mm.size("k") is not None  # the schedule may look at shapes; they are static here
    return s


def softmax_schedule(info: ModuleInfo, rows: int = 4) -> Schedule:
    """One parallel loop over row blocks with every producer fused, then masked vectorization."""
    generics = [op for op in info if op.name == "linalg.generic"]
    cols = generics[0].loop_ranges[1]
    s = Schedule("softmax")
    handles = s.match("linalg.generic").split(len(generics))
    _, loop = handles[-1].tile_forall(tile_sizes=[rows, 0])
    for producer in reversed(handles[:-1]):
        _, loop = producer.fuse_into(loop)
    _, loop = s.match("linalg.fill").fuse_into(loop)
    loop.match("linalg.generic").vectorize([rows, cols])
    loop.match("linalg.fill").vectorize([rows])
    func = s.match("func.func")  # canonicalization also erases the unfused (now dead) originals
    func.apply_patterns(P.lower_masked_transfers(), P.lower_multi_reduction("innerreduction"), P.canonicalization())
    return s


def _compile(fn, args, schedule, tmp_path):
    dump = tmp_path / "dump"
    exe = tilewright.compile(stablehlo_of(fn, *args), schedule=schedule, dump_dir=dump)
    return exe, (dump / "01-scheduled.mlir").read_text()


@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (7, 13, 5), (97, 7, 33), (17, 1000, 13)])
def test_tiled_fused_vectorized_matmul(m, k, n, rng, tmp_path):
    x = rng.standard_normal((m, k), dtype=np.float32)
    w = rng.standard_normal((k, n), dtype=np.float32)
    exe, scheduled = _compile(lambda a, b: a @ b, (x, w), matmul_schedule, tmp_path)
    assert "linalg.matmul" not in scheduled and "vector.transfer_read" in scheduled
    assert "vector.mask " not in scheduled and "vector.multi_reduction" not in scheduled
    np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-4, atol=1e-4 * max(1, k) ** 0.5)


@pytest.mark.parametrize(("m", "k", "n"), [(97, 7, 33), (5, 130, 17)])
def test_padded_matmul_fma(m, k, n, rng, tmp_path):
    x = rng.standard_normal((m, k), dtype=np.float32)
    w = rng.standard_normal((k, n), dtype=np.float32)
    exe, scheduled = _compile(lambda a, b: a @ b, (x, w), padded_matmul_schedule, tmp_path)
    assert "vector.fma" in scheduled and "linalg.matmul" not in scheduled  # pads vectorized too
    np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-4, atol=1e-3)


def _softmax(x):
    import jax

    return jax.nn.softmax(x, axis=-1)


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(("rows", "cols"), [(17, 97), (5, 1000), (7, 1)])
def test_fused_softmax(rows, cols, rng, tmp_path):
    x = rng.standard_normal((rows, cols), dtype=np.float32)
    exe, scheduled = _compile(_softmax, (x,), softmax_schedule, tmp_path)
    body = scheduled.split("scf.forall", 1)
    assert len(body) == 2 and "linalg.generic" not in body[0], "every op must be fused into the row loop"
    assert "math.exp" in body[1] and "vector<4x" in body[1]
    np.testing.assert_allclose(exe(x), _np_softmax(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("tile_m", [1, 4, 16])
def test_knob_values_give_different_scripts_and_same_numbers(tile_m, rng, tmp_path):
    def build(info: ModuleInfo) -> Schedule:
        s = Schedule("knobbed", knobs={"tile_m": tile_m})
        t = s.knob("tile_m", [1, 4, 8, 16], default=8)
        tiled, _ = s.match("linalg.matmul").fuse([t, 8, 0])
        tiled.vectorize([tile_m, 8, 31])  # masks cover the partial tiles
        func = s.match("func.func")
        func.apply_patterns(P.lower_masked_transfers(), P.canonicalization())
        func.apply_patterns(P.lower_multi_reduction("innerparallel"), P.lower_masks(), P.canonicalization())
        return s

    x = rng.standard_normal((31, 31), dtype=np.float32)
    w = rng.standard_normal((31, 9), dtype=np.float32)
    exe, scheduled = _compile(lambda a, b: a @ b, (x, w), build, tmp_path)
    assert f"step %c{tile_m} " in scheduled or (tile_m == 1 and "step %c1 " in scheduled)
    np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-4, atol=1e-4)


def test_knob_changes_script_text():
    def build(value: int) -> str:
        s = Schedule("k", knobs={"tile": value})
        s.match("linalg.matmul").tile([s.knob("tile", [8, 16, 32], default=16), 0])
        return s.to_mlir()

    texts = {v: build(v) for v in (8, 16, 32)}
    assert len(set(texts.values())) == 3
    for v, text in texts.items():
        assert f'transform.tune.knob<"tile"> = {v} : i64 from options = [8, 16, 32]' in text


def test_bufferized_in_schedule_then_hoisted(rng, tmp_path):
    def build(info: ModuleInfo) -> Schedule:
        s = Schedule("bufferize")
        tiled, _ = s.match("linalg.matmul").fuse([0, 0, 0])
        tiled, _ = tiled.tile([0, 0, 1])
        tiled.vectorize()
        s.bufferize()
        func = s.match("func.func")
        func.canonicalize()
        func.hoist_redundant_vector_transfers()
        return s

    x = rng.standard_normal((13, 7), dtype=np.float32)
    w = rng.standard_normal((7, 9), dtype=np.float32)
    exe, scheduled = _compile(lambda a, b: a @ b, (x, w), build, tmp_path)
    assert "memref<13x9xf32>" in scheduled and "tensor<" not in scheduled.split("func.func", 1)[1]
    np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-4, atol=1e-4)


def test_parallel_forall_matmul(rng, tmp_path):
    def build(info: ModuleInfo) -> Schedule:
        s = Schedule("forall")
        _tiled, loop = s.match("linalg.matmul").tile_forall(num_threads=[2])
        s.match("linalg.fill").fuse_into(loop)
        return s

    x = rng.standard_normal((97, 13), dtype=np.float32)
    w = rng.standard_normal((13, 7), dtype=np.float32)
    exe, scheduled = _compile(lambda a, b: a @ b, (x, w), build, tmp_path)
    assert "scf.forall" in scheduled
    np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("tile_k", [0, 4])
def test_knob_of_value_zero_means_untiled(tile_k, rng, tmp_path):
    """A knob may select 0 (a tile size: the loop is not tiled). Upstream's KnobOp builder drops a
    falsy ``selected``, so 0 once failed with bad_cast; the script says ``= 0 : i64``."""

    def build(info: ModuleInfo) -> Schedule:
        s = Schedule("zero", knobs={"tile_k": tile_k})
        s.match("linalg.matmul").tile([2, 0, s.knob("tile_k", [0, 4], default=4)])
        return s

    x = rng.standard_normal((7, 9), dtype=np.float32)
    w = rng.standard_normal((9, 5), dtype=np.float32)
    exe, scheduled = _compile(lambda a, b: a @ b, (x, w), build, tmp_path)
    assert f'transform.tune.knob<"tile_k"> = {tile_k} : i64' in build(None).to_mlir()
    assert ("step %c4 " in scheduled) == (tile_k == 4)
    np.testing.assert_allclose(exe(x, w), x @ w, rtol=1e-5, atol=1e-5)
