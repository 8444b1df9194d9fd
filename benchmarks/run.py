"""Run the benchmark suite through ``tilewright bench`` and write results.json and results.md.

    python benchmarks/run.py                       # the whole suite (CPU-heavy: tens of minutes on 2 cores)
    python benchmarks/run.py --only matmul_97x131x77 attention_1024x64 -r 5
    python benchmarks/run.py --suite zoo -r 5     # the model zoo -> results-zoo.json, results-zoo.md

Every program runs with ``--schedule default`` (the x86 library). Single-thread
entries run under ``taskset -c 0`` with ``--threads 1`` (the peers inherit the
pin); matmul_2048 also runs with ``--threads 2`` on both cores (the two-core
scaling goal). Peers: numpy/OpenBLAS for the plain matmuls, XLA for all, IREE
when it is installed (``pip install -e .[bench]``). Inputs come from
``export.example_inputs`` (weights scaled like trained ones), written to a
temporary npz per program. Each entry is one ``tilewright bench`` process with
a timeout, so a hang or a crash costs that entry only.

The model zoo (``zoo.py``, ``--suite zoo``) runs every program on one core
against XLA only; its results go to results-zoo.json / results-zoo.md (the main
suite's files are left alone), with the geometric mean of the speedups, whether
each result matched XLA's, and whether the default schedule left it unscheduled.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from export import PROGRAMS, PROGRAMS_DIR, SUITES, example_inputs, shape_of  # noqa: E402 - after the path setup
from zoo import ZOO  # noqa: E402


@dataclass(frozen=True)
class Entry:
    program: str
    threads: int

    @property
    def key(self) -> str:
        return f"{self.program}@{self.threads}t"


SUITE: tuple[Entry, ...] = (
    *(Entry(name, 1) for name in PROGRAMS),
    Entry("matmul_2048", 2),
)
ZOO_SUITE: tuple[Entry, ...] = tuple(Entry(name, 1) for name in ZOO)
# --suite -> (entries, results file stem)
RUNS: dict[str, list[tuple[tuple[Entry, ...], str]]] = {
    "main": [(SUITE, "results")],
    "zoo": [(ZOO_SUITE, "results-zoo")],
    "all": [(SUITE, "results"), (ZOO_SUITE, "results-zoo")],
}


def peers_for(program: str) -> list[str]:
    from tilewright.bench.peers import iree_available

    if program in ZOO:
        return ["jax"]
    peers = ["numpy"] if program.startswith("matmul_") else []
    peers.append("jax")
    if iree_available():
        peers.append("iree")
    return peers


def run_entry(entry: Entry, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """One ``tilewright bench`` run; its JSON report, or why there is none."""
    import numpy as np

    inputs = workdir / f"{entry.program}_inputs.npz"
    if not inputs.exists():
        np.savez(inputs, *example_inputs(entry.program))
    report_path = workdir / f"{entry.key}.json"
    command = [
        sys.executable,
        "-m",
        "tilewright.cli.main",
        "bench",
        str(PROGRAMS_DIR / f"{entry.program}.mlir"),
        "--schedule",
        "default",
        "--inputs",
        str(inputs),
        "--threads",
        str(entry.threads),
        "--compare",
        ",".join(peers_for(entry.program)),
        "--repetitions",
        str(args.repetitions),
        "--min-time",
        str(args.min_time),
        "--json",
        str(report_path),
    ]
    if entry.threads == 1 and shutil.which("taskset") and 0 in os.sched_getaffinity(0):
        command = ["taskset", "-c", "0", *command]
    print(f"== {entry.key}: {' '.join(command)}", flush=True)
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"entry": entry.key, "error": f"timed out after {args.timeout} s"}
    sys.stdout.write(proc.stdout)
    if report_path.exists():
        report = json.loads(report_path.read_text())
        report["entry"] = entry.key
        report["exit_code"] = proc.returncode
        return report
    lines = proc.stderr.strip().splitlines()
    return {"entry": entry.key, "error": lines[-1] if lines else f"exit code {proc.returncode}"}


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def _kernel(name: str, kernel: dict[str, Any]) -> str:
    from tilewright.bench.report import kernel_summary

    return kernel_summary(name, kernel).replace("|", "/")


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# tilewright benchmark results",
        "",
        f"{meta['date']}, commit {meta['commit']}, {meta['host']}. {meta['note']}",
        "",
        f"speedup = {meta['speedup_definition']}. Times are medians over {meta['repetitions']} interleaved rounds;",
        "IQR is the interquartile range in % of the median. GFLOP/s counts contractions and convolutions only.",
        "CPU/wall is tilewright's CPU time over wall time while timed: below the thread count, the cores were busy",
        "with other work (peers measured in the same rounds saw the same).",
        "",
        "| program | shape | threads | tilewright ms (IQR %) | GFLOP/s | CPU/wall | peer | peer ms (IQR %) "
        "| peer GFLOP/s | speedup | peer kernel | compile s |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for report in results:
        program, threads = report["entry"].rsplit("@", 1)
        shape = shape_of(program)
        if "error" in report:
            lines.append(f"| {program} | {shape} | {threads[:-1]} | **{report['error']}** | | | | | | | | |")
            continue
        ours = report["tilewright"]
        t = ours["time"]
        ours_cells = (
            f"{_ms(t['median_s'])} ({t['iqr_pct']:.0f})",
            f"{t['gflops']:.1f}" if t.get("gflops") else "-",
            f"{t['cpu_per_wall']:.2f}",
        )
        peers = list(report["peers"].items()) or [("-", None)]
        for i, (name, peer) in enumerate(peers):
            first = i == 0
            cells = [
                program if first else "",
                shape if first else "",
                str(report["threads"]) if first else "",
                ours_cells[0] if first else "",
                ours_cells[1] if first else "",
                ours_cells[2] if first else "",
                name,
            ]
            if peer is None:
                cells += ["-", "-", "-", "-"]
            elif peer["status"] != "ok":
                cells += [f"**{peer['status'].upper()}**: {peer['reason']}", "-", "-", "-"]
            else:
                pt = peer["time"]
                cells += [
                    f"{_ms(pt['median_s'])} ({pt['iqr_pct']:.0f})",
                    f"{pt['gflops']:.1f}" if pt.get("gflops") else "-",
                    f"**{peer['speedup']:.2f}**",
                    _kernel(name, peer["kernel"]),
                ]
            cells.append(f"{ours['compile_s']:.2f}" if first else "")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suite",
        choices=list(RUNS),
        default="main",
        help="main: the programs of export.py (results.md); zoo: the model zoo (results-zoo.md); all: both",
    )
    parser.add_argument("--only", nargs="+", metavar="PROGRAM", help="only these programs (all their entries)")
    parser.add_argument("--repetitions", "-r", type=int, default=10, help="interleaved rounds per entry")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per calibrated batch")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per entry before it is abandoned")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where the results .json and .md files go")
    parser.add_argument("--note", default="", help="a sentence for the results .md (e.g. 'shared machine')")
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="rewrite the suite's .md from its .json in --out-dir, run nothing",
    )
    args = parser.parse_args(argv)
    runs = RUNS[args.suite]
    if args.markdown_only:
        for _, stem in runs:
            saved = json.loads((args.out_dir / f"{stem}.json").read_text())
            (args.out_dir / f"{stem}.md").write_text(_markdown_for(stem)(saved["results"], saved["meta"]))
        return 0
    known = SUITES[args.suite]
    unknown = sorted(set(args.only or ()) - set(known))
    runs = [([e for e in suite if not args.only or e.program in args.only], stem) for suite, stem in runs]
    runs = [(entries, stem) for entries, stem in runs if entries]
    if unknown or not runs:
        parser.error(f"unknown program(s) {', '.join(unknown)} in suite {args.suite} (known: {', '.join(known)})")

    from tilewright.bench.runner import SPEEDUP_DEFINITION, host_description

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    host = host_description(len(os.sched_getaffinity(0)))
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": (commit.stdout.strip() or "unknown") + (" + uncommitted changes" if dirty.stdout.strip() else ""),
        "host": f"{host['cpu']} ({', '.join(host['isa'])}), {len(host['affinity'])} cores, {platform.system()}",
        "note": args.note,
        "speedup_definition": SPEEDUP_DEFINITION,
        "repetitions": args.repetitions,
        "min_time_s": args.min_time,
    }
    failed = []
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tilewright-bench-") as tmp:
        for entries, stem in runs:
            results = [run_entry(entry, args, Path(tmp)) for entry in entries]
            json_path, md_path = args.out_dir / f"{stem}.json", args.out_dir / f"{stem}.md"
            json_path.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
            md_path.write_text(_markdown_for(stem)(results, meta))
            print(f"wrote {json_path} and {md_path}")
            failed += [r["entry"] for r in results if "error" in r or not r.get("ok", False)]
    if failed:
        print(f"failed or mismatched: {', '.join(failed)}")
    return 1 if failed else 0


def _markdown_for(stem: str) -> Callable[[list[dict[str, Any]], dict[str, Any]], str]:
    from zoo_report import zoo_markdown

    return zoo_markdown if stem == "results-zoo" else markdown


if __name__ == "__main__":
    sys.exit(main())
