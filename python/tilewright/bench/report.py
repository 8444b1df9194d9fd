"""Showing a benchmark report: a rich table, the JSON file, a bar chart."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from tilewright.bench.peers import bench_error

TILEWRIGHT = "tilewright"


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}" if ms < 1000 else f"{ms:.0f}"


def schedule_label(schedule: str | None) -> str:
    """How the report names the schedule: without ``--schedule`` it is the default (the x86 library)."""
    return "default" if schedule in (None, "") else schedule


def kernel_summary(name: str, kernel: dict[str, Any]) -> str:
    """One line naming what a peer ran: the BLAS kernel, XLA's flags, IREE's driver."""
    if name == "numpy":
        blas = kernel.get("blas") or []
        if not blas:
            return "no BLAS found"
        b = blas[0]
        return f"{b.get('internal_api')} {b.get('version')} {b.get('architecture')}, {b.get('num_threads')} thr"
    if name == "jax":
        flags = kernel.get("xla_flags") or "default flags"
        return f"XLA CPU (jaxlib {kernel.get('jaxlib')}), {flags}"
    if name == "iree":
        return f"IREE {kernel.get('iree')} llvm-cpu host, {kernel.get('driver')}"
    return ""


def print_report(report: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 120)
    host = report["host"]
    flops = report["flops"]
    title = f"{report['program']} @{report['entry']}  ({report['signature']})"
    table = Table(title=escape(title), title_justify="left")
    for column, justify in [
        ("implementation", "left"),
        ("median ms", "right"),
        ("IQR %", "right"),
        ("min ms", "right"),
        ("GFLOP/s", "right"),
        ("speedup", "right"),
        ("compile s", "right"),
        ("result check", "left"),
    ]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]

    def row(name: str, entry: dict[str, Any], speedup: str, check: str) -> None:
        t = entry.get("time")
        gflops = t.get("gflops") if t else None
        table.add_row(
            name,
            _ms(t["median_s"]) if t else "-",
            f"{t['iqr_pct']:.1f}" if t else "-",
            _ms(t["min_s"]) if t else "-",
            (f"{gflops:.1f}" if gflops >= 1 else f"{gflops:.3f}") if gflops is not None else "-",
            speedup,
            f"{entry['compile_s']:.2f}" if entry.get("compile_s") is not None else "-",
            check,
        )

    row(TILEWRIGHT, report[TILEWRIGHT], "1.00", "reference")
    kernels = [f"{TILEWRIGHT}: schedule {schedule_label(report['schedule'])}, {report['threads']} thread(s)"]
    notes = []
    for name, entry in report["peers"].items():
        if entry["status"] == "ok":
            err = entry["check"].get("max_err_relative_to_max")
            check = "[green]ok[/]" + (f" (err {err:.1e})" if err else "")
            speedup = f"{entry['speedup']:.2f}"
        elif entry["status"] == "skipped":
            check, speedup = "[yellow]skipped (see below)[/]", "-"
            notes.append(f"{name}: skipped: {entry['reason']}")
        elif entry["status"] == "mismatch":
            check, speedup = f"[bold red]MISMATCH: {escape(entry['reason'])}[/]", "[red]n/a[/]"
        else:
            check, speedup = f"[bold red]ERROR: {escape(entry['reason'])}[/]", "[red]n/a[/]"
        row(name, entry, speedup, check)
        if entry.get("kernel"):
            kernels.append(f"{name}: {kernel_summary(name, entry['kernel'])}")
    console.print(table)
    for line in kernels + notes:
        console.print(line, highlight=False, markup=False)
    flop_text = f"{flops:,} flops (contractions/convolutions)" if flops else "flop count unknown (no contraction)"
    console.print(
        f"{flop_text}; {report['repetitions']} interleaved rounds; threads {report['threads']}; "
        f"CPU {host['cpu']} ({', '.join(host['isa'])}), cores {host['affinity']}",
        highlight=False,
    )
    console.print(f"speedup = {report['speedup_definition']}", highlight=False)
    peak = report.get("peak")
    if peak:
        fractions = [
            f"{name} {entry['time']['of_peak']:.0%}"
            for name, entry in [(TILEWRIGHT, report[TILEWRIGHT]), *report["peers"].items()]
            if entry.get("time") and entry["time"].get("of_peak") is not None
        ]
        console.print(
            f"FMA peak (measured, one core): {peak['gflops']:.1f} GFLOP/s ({peak['kernel']})"
            + (f"; of peak x {peak['threads']} thread(s): {', '.join(fractions)}" if fractions else ""),
            highlight=False,
        )
    if not report["ok"]:
        console.print("[bold red]some peers failed or disagree with tilewright: see the table[/]")


def write_json(report: dict[str, Any], path: str) -> None:
    try:
        Path(path).write_text(json.dumps(report, indent=2, default=str) + "\n")
    except OSError as exc:
        raise bench_error(f"--json: cannot write '{path}': {exc.strerror}") from None


def require_matplotlib() -> None:
    """Fail before benchmarking, not after, when --plot cannot be drawn."""
    if importlib.util.find_spec("matplotlib") is None:
        raise bench_error("--plot needs matplotlib: install tilewright[bench] (or pip install matplotlib)")


def plot(report: dict[str, Any], path: str) -> dict[str, Any]:
    """Draw the report into the PNG ``path``: a roofline when the peak was measured (``--peak``),
    else a bar chart of the times. Returns what was drawn (``report["plot"]`` in ``--json``)."""
    import matplotlib

    matplotlib.use("Agg")
    if report.get("peak") and report.get("bytes") and report.get("flops"):
        return roofline(report, path)
    bar_chart(report, path)
    return {"kind": "bars", "path": path}


def _save(fig: Any, path: str) -> None:
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise bench_error(f"--plot: cannot write '{path}': {exc.strerror}") from None
    finally:
        plt.close(fig)


def roofline(report: dict[str, Any], path: str) -> dict[str, Any]:
    """Log-log roofline: x the program's arithmetic intensity (flops per compulsory byte: its
    arguments read and results written once), y GFLOP/s; the measured FMA peak (x threads) as
    the flat roof, the measured copy bandwidth as the slope; one point per implementation."""
    import matplotlib.pyplot as plt

    peak = report["peak"]
    roof = peak["gflops"] * peak.get("threads", 1)
    bandwidth = peak.get("bandwidth_gbs")
    intensity = report["flops"] / report["bytes"]
    entries = [(TILEWRIGHT, report[TILEWRIGHT]), *report["peers"].items()]
    points = [
        {"name": name, "intensity": intensity, "gflops": e["time"]["gflops"], "of_peak": e["time"].get("of_peak")}
        for name, e in entries
        if e.get("time") and e["time"].get("gflops")
    ]
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ridge = roof / bandwidth if bandwidth else intensity
    xs = [min(intensity, ridge) / 8, max(intensity, ridge) * 8]
    if bandwidth:
        knee = [xs[0], ridge, xs[1]]
        ax.plot(knee, [min(roof, bandwidth * x) for x in knee], color="#2d3748", lw=1.5)
        ax.annotate(f"memory {bandwidth:.1f} GB/s", (xs[0], bandwidth * xs[0]), fontsize=8, va="bottom")
    else:
        ax.plot(xs, [roof, roof], color="#2d3748", lw=1.5)
    ax.annotate(f"FMA peak {roof:.0f} GFLOP/s", (xs[1], roof), fontsize=8, ha="right", va="bottom")
    for p in points:
        color = "#2b6cb0" if p["name"] == TILEWRIGHT else "#a0aec0"
        ax.scatter([p["intensity"]], [p["gflops"]], color=color, zorder=3, edgecolors="#1a202c")
        share = f" ({p['of_peak']:.0%})" if p.get("of_peak") is not None else ""
        ax.annotate(f" {p['name']}{share}", (p["intensity"], p["gflops"]), fontsize=8, va="center")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (flop / byte of arguments and results)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title(f"{Path(report['program']).name}, {report['threads']} thread(s): roofline")
    fig.tight_layout()
    _save(fig, path)
    return {"kind": "roofline", "path": path, "roof_gflops": roof, "bandwidth_gbs": bandwidth, "points": points}


def bar_chart(report: dict[str, Any], path: str) -> None:
    """Bar chart of median time per implementation, IQR as error bars, speedups on the bars."""
    import matplotlib.pyplot as plt

    names, medians, low, high, labels = [], [], [], [], []
    entries = [(TILEWRIGHT, report[TILEWRIGHT], 1.0)] + [
        (n, e, e["speedup"]) for n, e in report["peers"].items() if e.get("time")
    ]
    for name, entry, speedup in entries:
        t = entry["time"]
        names.append(name)
        medians.append(t["median_s"] * 1e3)
        low.append((t["median_s"] - t["q1_s"]) * 1e3)
        high.append((t["q3_s"] - t["median_s"]) * 1e3)
        gflops = f"\n{t['gflops']:.1f} GFLOP/s" if t.get("gflops") else ""
        labels.append(f"{speedup:.2f}x{gflops}" if name != TILEWRIGHT else f"1.00x{gflops}")
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 2.5, 4))
    colors = ["#2b6cb0" if n == TILEWRIGHT else "#a0aec0" for n in names]
    bars = ax.bar(names, medians, yerr=[low, high], capsize=4, color=colors)
    for bar, label in zip(bars, labels, strict=True):
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("median time per call (ms)")
    ax.set_title(f"{Path(report['program']).name}, {report['threads']} thread(s)\nspeedup = peer / tilewright")
    ax.margins(y=0.25)
    fig.tight_layout()
    _save(fig, path)
