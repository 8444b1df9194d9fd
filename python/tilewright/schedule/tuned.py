"""Reading the tuning database: the best knob values ``tilewright tune`` recorded per op group.

The database is a SQLite file (default ``$XDG_CACHE_HOME/tilewright/tune.sqlite``, or
``$TILEWRIGHT_TUNE_DB``). :mod:`tilewright.tune.database` writes it; the compile side only
reads its ``best`` table, here, so the driver needs nothing from the tuner's package (the tuner
compiles programs; the compiler never imports the tuner). An entry is keyed by the group
signature (:func:`tilewright.schedule.knobs.signature`), the target and the CPU model
(:func:`cpu_key`): an entry tuned on a Zen 5 is never applied to code compiled for a Haswell.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tilewright.target.cpu.host import HostCpu

DB_ENV = "TILEWRIGHT_TUNE_DB"

BEST_TABLE = """
CREATE TABLE IF NOT EXISTS best (
    signature TEXT NOT NULL,
    target TEXT NOT NULL,
    cpu TEXT NOT NULL,
    knobs TEXT NOT NULL,          -- JSON: short knob name -> value
    speedup REAL NOT NULL,        -- default median / tuned median, measured in the same rounds
    median_s REAL,
    baseline_s REAL,
    measurements INTEGER,
    updated TEXT,
    PRIMARY KEY (signature, target, cpu)
)
"""


def default_db_path() -> Path:
    """``$TILEWRIGHT_TUNE_DB``, else ``tune.sqlite`` under the user's cache directory."""
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tilewright" / "tune.sqlite"


def cpu_key(cpu: HostCpu) -> str:
    """The CPU part of a key: LLVM's name and the vector width compiled for (``znver5/512``)."""
    return f"{cpu.name}/{cpu.vector_bits}"


@dataclass(frozen=True)
class TunedEntry:
    """The best recorded knob values of one group."""

    signature: str
    knobs: dict[str, int]
    speedup: float
    path: Path


@dataclass
class TunedLookup:
    """A chooser for :func:`tilewright.schedule.default.default_schedule` reading the database;
    ``hits`` lists the entries it handed out (``tilewright compile --verbose`` prints them)."""

    path: Path
    target: str
    cpu: str
    hits: list[TunedEntry] = field(default_factory=list)

    def __call__(self, signature: str) -> dict[str, int] | None:
        entry = lookup(self.path, signature, self.target, self.cpu)
        if entry is None:
            return None
        self.hits.append(entry)
        return entry.knobs


def lookup(path: Path, signature: str, target: str, cpu: str) -> TunedEntry | None:
    """The best entry of ``signature`` for ``target`` and ``cpu``, or None (no file, no entry, or
    an entry where the default was best: nothing to change)."""
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute(
                "SELECT knobs, speedup FROM best WHERE signature = ? AND target = ? AND cpu = ?",
                (signature, target, cpu),
            ).fetchone()
    except sqlite3.Error:  # not a tuning database, or one being created: compile as without it
        return None
    if row is None or not row[0]:
        return None
    knobs = {str(k): int(v) for k, v in json.loads(row[0]).items()}
    return TunedEntry(signature, knobs, float(row[1]), path) if knobs else None


def db_stamp(path: Path) -> str:
    """What changes when the database does (the compile cache's key for tuned compiles)."""
    try:
        stat = path.stat()
    except OSError:
        return "none"
    return f"{stat.st_mtime_ns}:{stat.st_size}"
