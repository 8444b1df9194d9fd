"""The model zoo (benchmarks/zoo.py): CORRECTNESS ONLY, never timing.

Every zoo program exports from JAX, compiles with tilewright's default schedule and
matches JAX's result, at the zoo's reduced ``small`` sizes (odd: seq 7 and 97, heads
3, 8 and 12) so the whole file stays under about a minute on two cores. The committed
``benchmarks/programs/zoo_*.mlir`` must be what ``export.py`` writes today. The bench
report records the default schedule's outcome (run.py's "unscheduled?" column), and
results-zoo.md reports a mismatch per program and the geometric mean.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import jax
import numpy as np

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from export import PROGRAMS_DIR  # noqa: E402 - after the path setup
from export import export as export_full  # noqa: E402
from zoo import ZOO, export  # noqa: E402
from zoo_report import geometric_mean, unscheduled, zoo_markdown  # noqa: E402

import tilewright  # noqa: E402


def _leaves(value) -> list[np.ndarray]:
    return [np.asarray(v) for v in (value if isinstance(value, tuple | list) else (value,))]


def test_zoo_has_the_programs_the_issue_asks_for():
    assert len(ZOO) >= 12
    for name in ZOO:
        assert (PROGRAMS_DIR / f"{name}.mlir").is_file(), f"{name}: run python benchmarks/export.py --suite zoo"


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_program_matches_jax(name: str):
    program = ZOO[name]
    with jax.enable_x64(False):  # as export.py exports them (conftest turns x64 on)
        text = export(name, small=True)
        inputs = program.inputs(seed=3, small=True)
        expected = _leaves(jax.jit(program.fn)(*inputs))
    assert "f64" not in text
    exe = tilewright.compile(text, target="cpu", entry="main", threads=1)
    got = _leaves(exe(*inputs))
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.shape == e.shape and g.dtype == e.dtype, (i, g.shape, g.dtype, e.shape, e.dtype)
        assert np.all(np.isfinite(e)) and np.any(e != 0), f"result {i}: JAX's result is degenerate"
        if name == "zoo_sort":
            np.testing.assert_array_equal(g, e)  # a permutation of the input: exact
        else:
            scale = float(np.max(np.abs(e)))
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5 * scale, err_msg=f"{name}, result {i}")


def test_dot_product_attention_at_seq_264_matches_jax():
    """Found by the zoo: a transpose of the softmax rooted its fusion group and the chunked rows
    came out wrong for s >= 264 (right at 257, a prime); the softmax now roots its own group."""
    program = ZOO["zoo_dot_product_attention"]
    sizes = {"b": 1, "s": 264, "h": 1, "d": 64}
    with jax.enable_x64(False):
        inputs = program.make_inputs(np.random.default_rng(0), **sizes)
        text = jax.jit(program.fn).lower(*inputs).as_text()
        expected = np.asarray(jax.jit(program.fn)(*inputs))
    got = tilewright.compile(text, target="cpu", entry="main", threads=1)(*inputs)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * float(np.max(np.abs(expected))))


def test_committed_zoo_programs_are_current():
    with jax.enable_x64(False):
        stale = [n for n in ZOO if export_full(n) != (PROGRAMS_DIR / f"{n}.mlir").read_text()]
    assert not stale, f"re-export with python benchmarks/export.py --suite zoo: {stale}"


def _small_program(tmp_path: Path, name: str) -> str:
    with jax.enable_x64(False):
        path = tmp_path / f"{name}.mlir"
        path.write_text(export(name, small=True))
        np.savez(tmp_path / f"{name}.npz", *ZOO[name].inputs(small=True))
    return str(path)


def test_bench_report_records_the_default_schedule_and_its_warnings(tmp_path: Path, monkeypatch):
    from tilewright.bench.runner import BenchConfig, run_bench
    from tilewright.schedule.source import DefaultSchedule

    program = _small_program(tmp_path, "zoo_softmax")
    config = BenchConfig(
        program, schedule="default", inputs=str(tmp_path / "zoo_softmax.npz"), threads=1,
        compare=("jax",), repetitions=1, min_time_s=0.01,
    )  # fmt: skip
    report = run_bench(config)
    assert report["tilewright"]["default_schedule_applied"] is True
    assert report["tilewright"]["linalg_ops"] > 0
    assert report["tilewright"]["compile_warnings"] == []
    assert report["peers"]["jax"]["status"] == "ok"

    def broken(self, payload, *, threads=1):
        raise ValueError("library bug")

    monkeypatch.setattr(DefaultSchedule, "script", broken)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        report = run_bench(config)
    ours = report["tilewright"]
    assert ours["default_schedule_applied"] is False
    assert len(ours["compile_warnings"]) == 1
    assert "default schedule not built, compiling unscheduled: ValueError: library bug" in ours["compile_warnings"][0]
    assert any("library bug" in str(w.message) for w in shown)  # still shown, not swallowed
    assert report["ok"] and report["peers"]["jax"]["status"] == "ok"  # unscheduled, still correct


def _report(entry: str, *, status: str = "ok", speedup: float | None = 1.0, applied=True, warned=()):
    peer = {"status": status, "reason": "result 0: max |diff| 1 = 0.5 of max|result|", "speedup": speedup}
    peer |= {"check": {"max_err_relative_to_max": 1e-6}, "time": {"median_s": 0.002, "iqr_pct": 1.0}}
    ours = {"compile_s": 0.5, "time": {"median_s": 0.001, "iqr_pct": 2.0}}
    ours |= {"default_schedule_applied": applied, "compile_warnings": list(warned)}
    return {"entry": f"{entry}@1t", "tilewright": ours, "peers": {"jax": peer}, "ok": status == "ok"}


UNSCHEDULED = "not applied, compiling unscheduled"


def test_zoo_markdown_reports_mismatches_unscheduled_programs_and_the_geometric_mean():
    meta = {"date": "d", "commit": "c", "host": "h", "note": "n", "speedup_definition": "s", "repetitions": 5}
    results = [
        _report("zoo_softmax", speedup=2.0),
        _report("zoo_sort", speedup=0.5, applied=False),
        _report("zoo_cumsum", status="mismatch", speedup=None),
        _report("zoo_llama_block", speedup=1.0, applied=False, warned=[f"default schedule {UNSCHEDULED}: x"]),
        {"entry": "zoo_train_step@1t", "error": "timed out after 1200 s"},
    ]  # fmt: skip
    text = zoo_markdown(results, meta)
    assert "Geometric mean of the speedups vs XLA: 1.00×** over the 3 of 5 programs" in text
    assert "Correct (XLA's result matches tilewright's): 3 of 5." in text
    assert "in whole or in part: 2 of 5 (sort, llama_block)." in text
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "**MISMATCH**: result 0" in rows["cumsum"]
    assert "**yes**: the default library does not apply" in rows["sort"]
    assert "**yes**: default schedule not applied, compiling unscheduled: x" in rows["llama_block"]
    assert rows["softmax"].split(" | ")[6] == "no"
    assert "**ERROR**: timed out" in rows["train_step"]
    assert geometric_mean([2.0, 8.0]) == pytest.approx(4.0)


def test_a_program_with_no_linalg_op_is_not_unscheduled():
    """Lowered to vector code at ingress (scans, sort): nothing for the library to schedule."""
    vectorized = _report("zoo_cumsum", speedup=20.0, applied=False)
    vectorized["tilewright"]["linalg_ops"] = 0
    assert unscheduled(vectorized) is None
    loops = _report("zoo_sort", speedup=0.5, applied=False)
    loops["tilewright"]["linalg_ops"] = 3
    assert unscheduled(loops) == "the default library does not apply to this program (no warning)"
