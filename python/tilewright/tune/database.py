"""The tuning database: every measurement, and the best knob values per op group (SQLite).

Keyed by the group signature, the target and the CPU model (:mod:`tilewright.schedule.tuned`,
which also reads the ``best`` table for ``tilewright compile``). Each measurement is
committed as soon as it is known, so a run killed at any moment (``kill -9`` included)
loses nothing already measured: a rerun finds those points here and does not measure them
again. ``export``/``import_`` move the measurements and best entries between machines as JSON.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tilewright.schedule.tuned import BEST_TABLE, default_db_path

MEASUREMENTS_TABLE = """
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    signature TEXT NOT NULL,
    target TEXT NOT NULL,
    cpu TEXT NOT NULL,
    knobs TEXT NOT NULL,          -- JSON: short knob name -> value
    status TEXT NOT NULL,         -- baseline | measured | wrong | compile-failed | crashed | timeout | error
    median_s REAL,
    baseline_s REAL,              -- the default, timed in the same rounds
    speedup REAL,
    gflops REAL,
    compile_s REAL,
    detail TEXT,
    strategy TEXT,
    program TEXT,
    created TEXT
)
"""
INDEX = "CREATE INDEX IF NOT EXISTS by_key ON measurements (signature, target, cpu, knobs)"
FINAL = ("measured", "wrong", "compile-failed", "crashed", "timeout")  # outcomes a rerun does not repeat
# Column names an imported file may set (they are spliced into SQL: nothing else is taken).
MEASUREMENT_COLUMNS = (
    "signature", "target", "cpu", "knobs", "status", "median_s", "baseline_s", "speedup", "gflops", "compile_s",
    "detail", "strategy", "program", "created",
)  # fmt: skip
BEST_COLUMNS = ("signature", "target", "cpu", "knobs", "speedup", "median_s", "baseline_s", "measurements", "updated")
FIELDS = ("knobs", "status", "median_s", "baseline_s", "speedup", "gflops", "compile_s", "detail", "strategy")


@dataclass(frozen=True)
class Key:
    signature: str
    target: str
    cpu: str


def knobs_text(knobs: dict[str, int]) -> str:
    return json.dumps({k: int(knobs[k]) for k in sorted(knobs)}, sort_keys=True)


class TuningDatabase:
    """One SQLite file; every write is committed at once (rollback journal: the file itself changes,
    so the compile cache sees a new best entry)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30)
        with self.db:
            self.db.execute(MEASUREMENTS_TABLE)
            self.db.execute(INDEX)
            self.db.execute(BEST_TABLE)

    def close(self) -> None:
        self.db.close()

    def record(self, key: Key, knobs: dict[str, int], status: str, program: str = "", **values: Any) -> None:
        """One measurement, committed before this returns."""
        row = {name: values.get(name) for name in FIELDS if name not in ("knobs", "status")}
        with self.db:
            self.db.execute(
                "INSERT INTO measurements (signature, target, cpu, knobs, status, median_s, baseline_s, speedup, "
                "gflops, compile_s, detail, strategy, program, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    key.signature,
                    key.target,
                    key.cpu,
                    knobs_text(knobs),
                    status,
                    row["median_s"],
                    row["baseline_s"],
                    row["speedup"],
                    row["gflops"],
                    row["compile_s"],
                    row["detail"],
                    row["strategy"],
                    program,
                    time.strftime("%Y-%m-%dT%H:%M:%S"),
                ),
            )

    def earlier(self, key: Key) -> dict[str, dict[str, Any]]:
        """The candidates of ``key`` measured by earlier runs (knobs text -> the last row)."""
        rows = self.db.execute(
            "SELECT knobs, status, median_s, baseline_s, speedup, gflops, compile_s, detail, strategy "
            "FROM measurements WHERE signature = ? AND target = ? AND cpu = ? AND status IN "
            f"({','.join('?' * len(FINAL))}) ORDER BY id",
            (key.signature, key.target, key.cpu, *FINAL),
        ).fetchall()
        return {r[0]: dict(zip(FIELDS, r, strict=True)) for r in rows}

    def count(self, key: Key, status: str | None = None) -> int:
        query = "SELECT COUNT(*) FROM measurements WHERE signature = ? AND target = ? AND cpu = ?"
        args: tuple[Any, ...] = (key.signature, key.target, key.cpu)
        if status is not None:
            query += " AND status = ?"
            args += (status,)
        return int(self.db.execute(query, args).fetchone()[0])

    def set_best(
        self, key: Key, knobs: dict[str, int], speedup: float, median_s: float, baseline_s: float, measurements: int
    ) -> None:
        """The group's best entry (``knobs`` empty: the default was best, nothing to change)."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO best (signature, target, cpu, knobs, speedup, median_s, baseline_s, "
                "measurements, updated) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    key.signature,
                    key.target,
                    key.cpu,
                    knobs_text(knobs) if knobs else "",
                    speedup,
                    median_s,
                    baseline_s,
                    measurements,
                    time.strftime("%Y-%m-%dT%H:%M:%S"),
                ),
            )

    def best(self, key: Key) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT knobs, speedup, median_s, baseline_s, measurements FROM best "
            "WHERE signature = ? AND target = ? AND cpu = ?",
            (key.signature, key.target, key.cpu),
        ).fetchone()
        if row is None:
            return None
        knobs = json.loads(row[0]) if row[0] else {}
        return {"knobs": knobs, "speedup": row[1], "median_s": row[2], "baseline_s": row[3], "measurements": row[4]}

    def export(self, path: Path | str) -> int:
        """Write every measurement and best entry as JSON; returns the number of rows written."""
        cursor = self.db.execute("SELECT * FROM measurements ORDER BY id")
        columns = [d[0] for d in cursor.description]
        measurements = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        cursor = self.db.execute("SELECT * FROM best")
        columns = [d[0] for d in cursor.description]
        best = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        Path(path).write_text(json.dumps({"tilewright_tune": 1, "measurements": measurements, "best": best}, indent=1))
        return len(measurements) + len(best)

    def import_(self, path: Path | str) -> int:
        """Add the rows of an exported file (measurements appended, best entries replaced when the
        imported one is faster or new); returns the number of rows taken."""
        data = json.loads(Path(path).read_text())
        if data.get("tilewright_tune") != 1:
            raise ValueError(f"{path}: not a tilewright tune export")
        taken = 0
        with self.db:
            for row in data["measurements"]:
                row = {k: v for k, v in row.items() if k in MEASUREMENT_COLUMNS}
                names = ",".join(row)
                self.db.execute(
                    f"INSERT INTO measurements ({names}) VALUES ({','.join('?' * len(row))})", list(row.values())
                )
                taken += 1
            for row in data["best"]:
                row = {k: v for k, v in row.items() if k in BEST_COLUMNS}
                key = (row["signature"], row["target"], row["cpu"])
                mine = self.db.execute(
                    "SELECT speedup FROM best WHERE signature = ? AND target = ? AND cpu = ?", key
                ).fetchone()
                if mine is None or row["speedup"] > mine[0]:
                    names = ",".join(row)
                    self.db.execute(
                        f"INSERT OR REPLACE INTO best ({names}) VALUES ({','.join('?' * len(row))})", list(row.values())
                    )
                    taken += 1
        return taken
