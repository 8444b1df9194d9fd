"""The tuner (issue 13): strategies, isolation of failing candidates, the database surviving a
``kill -9``, Ray, and compiles taking the best entries. Small budgets on a small odd matmul;
nothing here asserts a timing (only correctness and the accounting of every candidate)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import pytest
import tilewright
from tilewright.schedule.source import DefaultSchedule
from tilewright.schedule.tuned import cpu_key, default_db_path
from tilewright.target.cpu.host import cpu_model
from tilewright.tune.database import Key, TuningDatabase
from tilewright.tune.driver import tunable_groups
from tilewright.tune.report import plot
from tilewright.tune.space import build_space, point_key
from tilewright.tune.strategies import Accounting, ModelStrategy, Observation

FAST = {"rounds": 2, "min_time_s": 0.01, "timeout_s": 30.0, "top": 2, "final_rounds": 3, "final_min_time_s": 0.01}

MATMUL = """func.func @main(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0]
    : (tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %0 : tensor<{m}x{n}xf32>
}}
"""


def matmul_file(tmp_path: Path, m: int = 37, n: int = 29, k: int = 41) -> Path:
    path = tmp_path / f"matmul_{m}x{n}x{k}.mlir"
    path.write_text(MATMUL.format(m=m, n=n, k=k))
    return path


def rows(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(query).fetchall()


def test_the_default_db_is_under_the_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("TILEWRIGHT_TUNE_DB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "tilewright" / "tune.sqlite"


def test_the_space_is_the_scripts_knobs_under_the_constraints(tmp_path):
    """Knobs and options come from the default schedule's part; valid points break no constraint,
    and the register budget rejects a microkernel with too many accumulators."""
    (group,), flops = tunable_groups(str(matmul_file(tmp_path)))
    assert flops == 2 * 37 * 29 * 41
    assert group.signature == "contraction:fill[37x29](f32,f32);matmul[37x29x41](f32,f32,f32)"
    assert set(group.knobs) == {"mr", "nr", "kc", "mc_tiles", "nc_tiles"}
    space = build_space(group, cpu_model("skylake-avx512"))
    assert "registers" in space.violated({**space.default, "mr": 16, "nr": 64})  # 64 + 4 + 1 > 32 zmm
    assert "problem" in space.violated({**space.default, "kc": 1024})  # K = 41: kc 64 covers it
    assert "vectors" in space.violated({**space.default, "mr": 4, "nr": 48, "kc": 64})


def test_attention_tiles_divide_the_head_dim(tmp_path):
    import jax
    import jax.numpy as jnp

    from conftest import stablehlo_of

    q = jnp.zeros((32, 64), jnp.float32)
    path = tmp_path / "attention.mlir"
    path.write_text(stablehlo_of(lambda q, k, v: jax.nn.softmax(q @ k.T, axis=-1) @ v, q, q, q))
    (group,), _ = tunable_groups(str(path))
    assert group.kind == "attention" and set(group.knobs) == {"mr", "nr"}
    space = build_space(group, cpu_model("skylake-avx512"))
    assert space.violated({"mr": 4, "nr": 48}) == ["divides"]
    assert not space.violated({"mr": 4, "nr": 32})


@pytest.mark.parametrize("shape", [(1, 7, 97), (97, 1, 7), (7, 97, 1000)])
def test_any_valid_point_computes_the_same_product(tmp_path, shape):
    """A candidate the constraints admit compiles to a correct matmul at odd sizes."""
    m, n, k = shape
    path = matmul_file(tmp_path, m, n, k)
    (group,), _ = tunable_groups(str(path))
    space = build_space(group, cpu_model(None))
    rng = np.random.default_rng(7)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    points = [p for p in space.all_points() if not space.violated(p)]
    for point in [points[0], points[-1]]:
        schedule = DefaultSchedule(tuned=False, knobs={group.signature: point})
        exe = tilewright.compile(path, schedule=schedule, threads=1)
        np.testing.assert_allclose(exe(a, b), a @ b, rtol=2e-4, atol=2e-4 * np.sqrt(k))


def test_the_model_ranks_what_it_learned_first(tmp_path):
    """Trained on points where a larger mr was faster, the model proposes large mr next."""
    (group,), _ = tunable_groups(str(matmul_file(tmp_path, 97, 131, 77)))
    space = build_space(group, cpu_model("skylake-avx512"))
    strategy = ModelStrategy(space, Accounting(), seed=0)
    strategy.explore = 0.0
    valid = [p for p in space.all_points() if not space.violated(p)]
    rng = np.random.default_rng(0)
    history = [Observation(p, 0.5 + p["mr"] / 8) for p in (valid[i] for i in rng.choice(len(valid), 40))]
    proposed = strategy.propose(5, history)
    assert len(proposed) == 5
    assert min(p["mr"] for p in proposed) >= 10, proposed
    assert all(not space.violated(p) for p in proposed)
    assert strategy.accounting.generated == space.size  # the whole space was looked at, none missed


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """Every strategy, budget 2 each, on one database."""
    tmp = tmp_path_factory.mktemp("tune")
    path = matmul_file(tmp)
    db = tmp / "tune.sqlite"
    report = tilewright.tune(path, strategy=["random", "evolutionary", "microkernel", "model"], budget=2, db=db, **FAST)
    return path, db, report


def test_every_strategy_accounts_for_every_candidate(tuned, tmp_path):
    _path, db, report = tuned
    (group,) = report.groups
    space = build_space(group.group, cpu_model(None))
    png = tmp_path / "convergence.png"
    plot(report, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for strategy, accounting in group.accounting.items():
        trace = group.best_so_far(strategy)
        assert len(trace) == 2 and trace == sorted(trace) and trace[0] >= 1.0
        assert sum(accounting.outcomes.values()) == 2, (strategy, accounting)
        assert set(accounting.outcomes) <= {"measured", "compile-failed", "crashed", "timeout", "wrong"}
        assert accounting.generated >= sum(accounting.rejected.values()) + 2 - accounting.from_database
    assert sum(group.accounting["random"].rejected.values()) > 0  # the constraints did reject points
    for step in group.steps:
        assert not space.violated(step.point), step.point  # invalid points are never compiled
    measured = rows(db, "SELECT knobs, status FROM measurements WHERE status != 'baseline'")
    assert len({k for k, _ in measured}) == len(measured)  # nothing measured twice
    assert rows(db, "SELECT COUNT(*) FROM measurements WHERE status = 'baseline'") == [(1,)]
    # At least as fast as the default: a best entry only where the re-measurement beat it.
    best = rows(db, "SELECT knobs, speedup FROM best")
    assert len(best) == 1
    assert (best[0][0] == "") == (group.best is None) and best[0][1] >= 1.0


def test_compile_takes_the_best_entry(tuned, monkeypatch):
    path, db, _ = tuned
    database = TuningDatabase(db)
    (group,), _ = tunable_groups(str(path))
    key = Key(group.signature, "cpu", cpu_key(cpu_model(None)))
    point = {**group.defaults, "mr": 4, "nr": group.knobs["nr"].options[0], "kc": 32}
    database.set_best(key, point, 1.5, 1.0, 1.5, 1)
    database.close()
    monkeypatch.setenv("TILEWRIGHT_TUNE_DB", str(db))
    a = np.random.default_rng(1).standard_normal((37, 41), dtype=np.float32)
    b = np.random.default_rng(2).standard_normal((41, 29), dtype=np.float32)
    exe = tilewright.compile(path, threads=1)
    (hit,) = exe.compilation.options.schedule_source.tuned_hits
    assert hit.knobs == point and hit.path == db
    np.testing.assert_allclose(exe(a, b), a @ b, rtol=1e-4, atol=1e-4)
    assert not tilewright.compile(path, threads=1, tuned=False).compilation.options.schedule_source.tuned_hits


def test_export_and_import_move_the_entries(tuned, tmp_path):
    _, db, _ = tuned
    out = tmp_path / "tune.json"
    source = TuningDatabase(db)
    written = source.export(out)
    other = TuningDatabase(tmp_path / "other.sqlite")
    assert other.import_(out) == written
    assert rows(tmp_path / "other.sqlite", "SELECT * FROM best") == rows(db, "SELECT * FROM best")
    source.close()
    other.close()


def test_crashing_hanging_and_wrong_candidates_are_isolated(tmp_path):
    """Injected failures kill or stall the worker (really: SIGABRT, a sleep); each is recorded as
    what it was and the search goes on to measure the next candidate."""
    path = matmul_file(tmp_path)
    db = tmp_path / "tune.sqlite"
    faults = {1: "crash", 2: "hang", 3: "wrong"}
    options = {**FAST, "timeout_s": 6.0}
    report = tilewright.tune(path, strategy="random", budget=4, db=db, inject=lambda i, _p: faults.get(i), **options)
    (group,) = report.groups
    assert dict(group.accounting["random"].outcomes) == {"crashed": 1, "timeout": 1, "wrong": 1, "measured": 1}
    statuses = [s.outcome for s in group.steps]
    assert "SIGABRT" in statuses[0].detail
    assert "result 0" in statuses[2].detail
    stored = rows(db, "SELECT status FROM measurements WHERE status != 'baseline' ORDER BY id")
    assert [s for (s,) in stored] == ["crashed", "timeout", "wrong", "measured"]
    if group.best is not None:
        assert point_key(group.best) == point_key(group.steps[3].point)  # never a failed one


def test_kill_9_loses_nothing_and_the_rerun_resumes(tmp_path):
    path = matmul_file(tmp_path)
    db = tmp_path / "tune.sqlite"
    command = [
        sys.executable, "-m", "tilewright.cli.main", "tune", str(path), "--budget", "5", "--strategy", "random",
        "--db", str(db), "-r", "2", "--min-time", "0.01", "--final-rounds", "3", "--final-min-time", "0.01",
    ]  # fmt: skip
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 90
    measured = 0
    while time.monotonic() < deadline and measured < 2:
        time.sleep(0.2)
        if db.exists():
            try:
                measured = rows(db, "SELECT COUNT(*) FROM measurements WHERE status = 'measured'")[0][0]
            except sqlite3.OperationalError:
                pass  # the tables are being created
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert measured >= 2
    before = {k for (k,) in rows(db, "SELECT knobs FROM measurements WHERE status = 'measured'")}
    assert 2 <= len(before) < 5
    second = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert second.returncode == 0, second.stderr
    assert f"of them from the database {len(before)}" in second.stdout, second.stdout
    after = rows(db, "SELECT knobs FROM measurements WHERE status = 'measured'")
    assert len(after) == len({k for (k,) in after}) == 5  # none measured twice, the budget completed
    assert before <= {k for (k,) in after}


def test_ray_measures_on_a_local_instance(tmp_path):
    ray = pytest.importorskip("ray")
    path = matmul_file(tmp_path)
    db = tmp_path / "tune.sqlite"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        report = tilewright.tune(path, strategy="random", budget=1, db=db, ray_address="local", **FAST)
    finally:
        ray.shutdown()
    (group,) = report.groups
    assert dict(group.accounting["random"].outcomes) == {"measured": 1}
    assert rows(db, "SELECT COUNT(*) FROM measurements WHERE status = 'measured'") == [(1,)]


def test_each_distinct_group_is_tuned_once(tmp_path):
    """Two layers of the same shape are one group (one signature); a third shape is another. Two
    local workers measure side by side, restarted on the second group's baseline."""
    path = tmp_path / "mlp.mlir"
    path.write_text(
        """func.func @main(%x: tensor<7x33xf32>, %w1: tensor<33x33xf32>, %w2: tensor<33x33xf32>,
                  %w3: tensor<33x5xf32>) -> tensor<7x5xf32> {
  %0 = stablehlo.dot_general %x, %w1, contracting_dims = [1] x [0]
    : (tensor<7x33xf32>, tensor<33x33xf32>) -> tensor<7x33xf32>
  %1 = stablehlo.dot_general %0, %w2, contracting_dims = [1] x [0]
    : (tensor<7x33xf32>, tensor<33x33xf32>) -> tensor<7x33xf32>
  %2 = stablehlo.dot_general %1, %w3, contracting_dims = [1] x [0]
    : (tensor<7x33xf32>, tensor<33x5xf32>) -> tensor<7x5xf32>
  return %2 : tensor<7x5xf32>
}
"""
    )
    db = tmp_path / "tune.sqlite"
    report = tilewright.tune(path, strategy="random", budget=2, workers=2, db=db, **FAST)  # 2 workers at once
    signatures = [g.group.signature for g in report.groups]
    assert len(signatures) == 2 and "matmul[7x33x33]" in signatures[0] and "matmul[7x5x33]" in signatures[1]
    assert [dict(g.accounting["random"].outcomes) for g in report.groups] == [{"measured": 2}] * 2
    assert len(rows(db, "SELECT * FROM best")) == 2
