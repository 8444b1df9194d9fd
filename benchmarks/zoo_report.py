"""results-zoo.md: the model zoo's table (one core, against XLA) and its geometric mean.

Reads the reports ``tilewright bench --json`` wrote (one per program, as run.py
collects them). Per program: times, speedup, compile time, whether the default
schedule left it unscheduled (the compile's RuntimeWarning, or the library not
applying at all, which is silent) and whether XLA's result matched tilewright's.
"""

from __future__ import annotations

import math
from typing import Any

from export import shape_of


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unscheduled(report: dict[str, Any]) -> str | None:
    """Why the default schedule left (part of) the program unscheduled; None if it did not."""
    ours = report.get("tilewright", {})
    warned = [w for w in ours.get("compile_warnings", []) if "schedul" in w]
    if warned:
        return "; ".join(warned)
    applied = ours.get("default_schedule_applied")
    if applied is False and ours.get("linalg_ops") == 0:
        return None  # no linalg op: lowered to vector code at ingress (scans, sort), nothing to schedule
    if applied is False:
        return "the default library does not apply to this program (no warning)"
    if applied is None:
        return "unknown (the report does not say)"
    return None


def xla_outcome(report: dict[str, Any]) -> tuple[bool, str, float | None]:
    """(correct, table cell, speedup or None) for the XLA peer of one report."""
    if "error" in report:
        return False, f"**ERROR**: {_cell(report['error'])}", None
    peer = report.get("peers", {}).get("jax")
    if peer is None:
        return False, "**no XLA result**", None
    if peer["status"] == "ok":
        err = peer["check"].get("max_err_relative_to_max")
        return True, "yes" + (f" (err {err:.1e})" if err else " (exact)"), peer.get("speedup")
    return False, f"**{peer['status'].upper()}**: {_cell(peer['reason'])}", None


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def zoo_markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    rows, speedups, correct, left_unscheduled = [], [], 0, []
    for report in results:
        program = report["entry"].rsplit("@", 1)[0]
        ok, check, speedup = xla_outcome(report)
        correct += ok
        why = unscheduled(report) if "error" not in report else None
        if why:
            left_unscheduled.append(program)
        if speedup is not None:
            speedups.append(speedup)
        if "error" in report:
            rows.append(f"| {program.removeprefix('zoo_')} | {shape_of(program)} | - | - | - | - | - | {check} |")
            continue
        ours, peer = report["tilewright"], report["peers"].get("jax") or {}
        t, pt = ours["time"], peer.get("time")
        rows.append(
            "| "
            + " | ".join(
                [
                    program.removeprefix("zoo_"),
                    shape_of(program),
                    f"{_ms(t['median_s'])} ({t['iqr_pct']:.0f})",
                    f"{_ms(pt['median_s'])} ({pt['iqr_pct']:.0f})" if pt else "-",
                    f"**{speedup:.2f}**" if speedup is not None else "-",
                    f"{ours['compile_s']:.2f}",
                    f"**yes**: {_cell(why)}" if why else "no",
                    check,
                ]
            )
            + " |"
        )
    n = len(results)
    if speedups:
        mean = (
            f"**Geometric mean of the speedups vs XLA: {geometric_mean(speedups):.2f}×** over the {len(speedups)} "
            f"of {n} programs timed against it (min {min(speedups):.2f}×, max {max(speedups):.2f}×)."
        )
    else:
        mean = f"**No program was timed against XLA** (of {n})."
    summary = [
        mean,
        f"Correct (XLA's result matches tilewright's): {correct} of {n}. "
        f"Left unscheduled by the default schedule, in whole or in part: {len(left_unscheduled)} of {n}"
        + (f" ({', '.join(p.removeprefix('zoo_') for p in left_unscheduled)})." if left_unscheduled else "."),
    ]
    lines = [
        "# tilewright model zoo results",
        "",
        f"{meta['date']}, commit {meta['commit']}, {meta['host']}. {meta['note']}",
        "",
        "The zoo (`benchmarks/zoo.py`): idiomatic JAX programs, f32, one core (`taskset -c 0`, `--threads 1`),",
        "`--schedule default`, against XLA CPU in the same interleaved rounds.",
        f"speedup = {meta['speedup_definition']}. Times are medians over {meta['repetitions']} rounds (IQR in %",
        "of the median). XLA's result is checked against tilewright's before timing (relative to the result's",
        "largest magnitude, 1e-3 for f32); a mismatch is reported instead of a ratio.",
        "",
        *summary,
        "",
        "| program | shape | tilewright ms (IQR %) | XLA ms (IQR %) | speedup | compile s | unscheduled? | correct? |",
        "|---|---|---:|---:|---:|---:|---|---|",
        *rows,
    ]
    return "\n".join(lines) + "\n"
