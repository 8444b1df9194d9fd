"""What a tuning run shows: a progress bar with the best so far, the accounting of every
candidate, the best entries, and the convergence plot (best-so-far GFLOP/s per measurement,
one line per strategy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tilewright.tune.driver import TuneReport
from tilewright.tune.space import point_key


class Progress:
    """A rich progress bar per group and strategy: measured / budget, best speedup, GFLOP/s."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: Any = None

    def start(self, description: str, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task(description, total=total, best="-")

    def advance(self, best_speedup: float, gflops: float | None) -> None:
        shown = f"{best_speedup:.2f}x" + (f", {gflops:.1f} GFLOP/s" if gflops else "")
        self._bar.update(self._task, advance=1, best=shown)

    def stop(self) -> None:
        self._bar.stop()


def report_lines(report: TuneReport) -> list[str]:
    """Per group: every candidate accounted for, the re-measurement, the best entry (plain text:
    signatures and ``[strategy]`` tags are not rich markup)."""
    out = [f"tuning database: {report.db} (cpu {report.cpu})"]
    for g in report.groups:
        out.append(f"{g.group.what}: {g.group.signature}")
        out.append(f"  space: {g.space_size} points over {', '.join(g.group.knobs)}")
        if g.baseline is not None and g.baseline.baseline_s:
            out.append(f"  default: {g.baseline.baseline_s * 1e3:.3f} ms {point_key(g.group.defaults)}")
        for strategy, accounting in g.accounting.items():
            out.extend(f"  [{strategy}] {line}" for line in accounting.lines())
        out.extend(f"  re-measured with the default: {point_key(p)}: {x:.2f}x" for p, x in g.final)
        if g.best is None:
            out.append("  best: the default (no candidate was faster)")
        else:
            out.append(f"  best: {point_key(g.best)}: {g.speedup:.2f}x the default")
    return out


def print_report(report: TuneReport, out: Any = None) -> None:
    for line in report_lines(report):
        print(line, file=out, flush=True)


def plot(report: TuneReport, path: str | Path) -> None:
    """Best-so-far GFLOP/s against the number of measurements, one line per strategy (and group):
    the default's GFLOP/s (``GroupResult.default_gflops``) times the best same-round speedup."""
    lines: dict[str, list[float]] = {}
    defaults: list[float] = []
    for g in report.groups:
        anchor = g.default_gflops() or 1.0
        defaults.append(anchor)
        for strategy in g.accounting:
            label = strategy if len(report.groups) == 1 else f"{g.group.what} [{strategy}]"
            lines[label] = [anchor * x for x in g.best_so_far(strategy)]
    gflops = any(g.default_gflops() for g in report.groups)
    title = f"tilewright tune: {Path(report.file).name} ({report.cpu})"
    plot_lines(lines, defaults, title, path, "GFLOP/s" if gflops else "speedup over the default")


def plot_lines(lines: dict[str, list[float]], defaults: list[float], title: str, path: str | Path, unit: str) -> None:
    """The convergence plot: one best-so-far line per label, the defaults dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    for label, trace in lines.items():
        if trace:
            ax.plot(range(1, len(trace) + 1), trace, marker=".", label=label)
    for value in defaults:
        ax.axhline(value, linestyle="--", color="grey", linewidth=0.8)
    ax.set_xlabel("measurements")
    ax.set_ylabel(f"best so far ({unit}, whole program)")
    ax.set_title(f"{title}; dashed: default", fontsize=10)
    if unit == "GFLOP/s":
        fig.text(0.01, 0.01, "the default's median GFLOP/s x each candidate's same-round speedup", fontsize=7)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
