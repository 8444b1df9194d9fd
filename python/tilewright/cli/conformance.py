"""``tilewright conformance DIR``: run the StableHLO conformance programs of a directory.

Prints a breakdown by dtype class, the most common failure and unsupported
reasons with the ops they hit, and ends with exactly ``N passed, N failed``
(CI greps that line); the pass rate and the unsupported count come on the
lines before.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("conformance", help="run StableHLO conformance programs (checks become comparisons)")
    p.add_argument("directory", help="directory of conformance programs (*.mlir)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel warm workers (default: 1)")
    p.add_argument("--filter", help="only cases whose name matches this regular expression (re.search)")
    p.add_argument("--report", help="write every case's outcome and the breakdowns to this JSON file")
    p.add_argument("--timeout", type=float, default=None, help="seconds per case before it is killed (default: 120)")
    p.add_argument("--verbose", "-v", action="store_true", help="print every failed case with its reason")
    p.set_defaults(run=cmd_conformance, isolate=False)


def cmd_conformance(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tilewright.conformance.cases import discover
    from tilewright.conformance.runner import DEFAULT_TIMEOUT_S, run_cases, write_report
    from tilewright.diagnostics import SourceLocation, TilewrightError

    directory = Path(args.directory)
    if not directory.is_dir():
        raise TilewrightError("not a directory", SourceLocation(str(directory)))
    if args.jobs < 1:
        raise TilewrightError(f"--jobs must be at least 1 (got {args.jobs})")
    cases = discover(directory)
    if args.filter:
        try:
            pattern = re.compile(args.filter)
        except re.error as exc:
            raise TilewrightError(f"--filter: invalid regular expression '{args.filter}': {exc}") from None
        cases = [c for c in cases if pattern.search(c.name)]
    if not cases:
        raise TilewrightError(
            "no conformance cases (*.mlir) found" + (" matching --filter" if args.filter else ""),
            SourceLocation(str(directory)),
        )
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT_S
    if timeout <= 0:
        raise TilewrightError(f"--timeout must be positive (got {timeout:g})")

    # SIGTERM unwinds like Ctrl-C, so the workers are stopped instead of orphaned.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    console = Console(stderr=True)
    counts = {"pass": 0, "fail": 0, "unsupported": 0}
    done_so_far: list[Any] = []
    with Progress(
        TextColumn("[bold]conformance"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        task = progress.add_task("cases", total=len(cases), counts="")

        def on_result(result: Any) -> None:
            counts[result.status] += 1
            if args.verbose and result.status == "fail":
                progress.console.print(f"FAIL {result.name}: {result.reason}", markup=False, highlight=False)
            label = f"{counts['pass']} passed, {counts['fail']} failed, {counts['unsupported']} unsupported"
            progress.update(task, advance=1, counts=label)
            done_so_far.append(result)
            done = len(done_so_far)
            if done % 100 == 0 and done < len(cases):
                if not console.is_terminal:  # logs (nohup, CI): a plain line now and then instead of a live bar
                    console.print(f"[{done}/{len(cases)}] {label}", markup=False, highlight=False)
                if args.report:  # a long run can be read while it goes
                    write_report(Path(args.report), str(directory), done_so_far, sys.argv, planned=len(cases))

        results = run_cases(cases, jobs=args.jobs, timeout=timeout, on_result=on_result)

    if args.report:
        write_report(Path(args.report), str(directory), results, sys.argv)
    print_summary(results)
    return 0


def print_summary(results: list[Any]) -> None:
    """Breakdown tables on stdout, then the pass rate, the unsupported count and ``N passed, N failed``."""
    from rich.console import Console
    from rich.table import Table

    from tilewright.conformance.runner import breakdown, top_reasons, totals

    console = Console(highlight=False, soft_wrap=True)
    table = Table(title="by dtype class")
    for col in ("class", "cases", "passed", "failed", "unsupported", "pass rate"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for name, t in breakdown(results, "dtype_class").items():
        table.add_row(name, str(t.total), str(t.passed), str(t.failed), str(t.unsupported), f"{100 * t.pass_rate:.1f}%")
    console.print(table)
    for status, title in (("fail", "top failure reasons"), ("unsupported", "top unsupported reasons")):
        reasons = top_reasons(results, status, 10)
        if not reasons:
            continue
        t = Table(title=title)
        t.add_column("cases", justify="right")
        t.add_column("reason", overflow="fold")
        t.add_column("ops", overflow="fold")
        for reason, n, ops in reasons:
            t.add_row(str(n), reason, ", ".join(ops[:8]) + (f" (+{len(ops) - 8})" if len(ops) > 8 else ""))
        console.print(t)
    total = totals(results)
    sys.stdout.flush()
    print(
        f"pass rate: {100 * total.pass_rate:.1f}% of {total.total} cases "
        f"({100 * total.supported_pass_rate:.1f}% of the {total.passed + total.failed} supported)"
    )
    print(f"{total.unsupported} unsupported")
    print(f"{total.passed} passed, {total.failed} failed")
    sys.stdout.flush()
