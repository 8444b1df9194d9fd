"""``tilewright tune FILE``: search the default schedule's knobs; the best go to the tuning database.

::

    tilewright tune FILE [--budget N] [--strategy random|evolutionary|microkernel|model[,...]]
                         [--workers N | --ray-address ADDR] [--db PATH] [--plot OUT.png]
                         [--threads N] [--timeout SEC] [--json OUT]
    tilewright tune --export OUT.json [--db PATH]
    tilewright tune --import IN.json [--db PATH]

Every distinct op group with knobs (contractions, convolutions, attention) is tuned in turn,
the default schedule measured first as the baseline; each candidate is compiled and timed in
a worker process with a time limit, interleaved with the baseline. Prints every candidate's
fate (rejected by which constraint, failed to compile, crashed, timed out, wrong result,
measured) and the best entry per group. ``tilewright compile`` then applies the best entries
(``--verbose`` says which, ``--no-tuned`` ignores them).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("tune", help="search the default schedule's knobs (tuning database)")
    p.add_argument("file", nargs="?", help="program: StableHLO/MLIR text or bytecode, portable artifact")
    p.add_argument("--entry", default="main", help="entry function (default: main)")
    p.add_argument("--schedule", default="default", help="the schedule to tune (default: the library's)")
    p.add_argument("--target", default="cpu", help="code generation target (default: cpu)")
    p.add_argument("--budget", type=int, default=16, help="measured candidates per group and strategy (default: 16)")
    p.add_argument(
        "--strategy",
        default="model",
        help="random, evolutionary, microkernel or model; several comma-separated are compared (default: model)",
    )
    p.add_argument("--workers", type=int, default=1, help="local worker processes measuring at once (default: 1)")
    p.add_argument("--ray-address", help="measure on Ray: a cluster address, ray://host:port, auto, or local")
    p.add_argument("--db", help="tuning database (default: $XDG_CACHE_HOME/tilewright/tune.sqlite)")
    p.add_argument("--plot", help="PNG of best-so-far GFLOP/s against measurements, a line per strategy")
    p.add_argument("--json", dest="json_path", help="write the run's report here")
    p.add_argument("--threads", type=int, default=1, help="cores the program runs on while measured (default: 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the inputs and the strategies")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds a candidate may take (default: 60)")
    p.add_argument("--repetitions", "-r", type=int, default=7, help="interleaved rounds per candidate (default: 7)")
    p.add_argument(
        "--min-time",
        type=float,
        default=0.1,
        help="seconds per calibrated batch (default: 0.1; the final 0.3 at least)",
    )
    p.add_argument("--final-rounds", type=int, default=9, help="rounds of the best few with the default (default: 9)")
    p.add_argument("--final-min-time", type=float, default=0.3, help="seconds per batch there (default: 0.3)")
    p.add_argument("--export", dest="export_path", metavar="OUT.json", help="write the database's rows as JSON")
    p.add_argument("--import", dest="import_path", metavar="IN.json", help="add the rows of an exported file")
    p.set_defaults(run=cmd_tune, isolate=False)  # it runs its own worker processes


def cmd_tune(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tilewright.diagnostics import SourceLocation, TilewrightError
    from tilewright.tune.database import TuningDatabase

    where = SourceLocation("tilewright tune")
    if args.export_path or args.import_path:
        database = TuningDatabase(args.db)
        try:
            if args.export_path:
                print(f"exported {database.export(args.export_path)} rows of {database.path} to {args.export_path}")
            if args.import_path:
                try:
                    taken = database.import_(args.import_path)
                except (OSError, ValueError, KeyError) as exc:
                    raise TilewrightError(f"cannot import: {exc}", SourceLocation(args.import_path)) from None
                print(f"imported {taken} rows of {args.import_path} into {database.path}")
        finally:
            database.close()
        if not args.file:
            return 0
    if not args.file:
        raise TilewrightError("give a program to tune (or --export/--import)", where)
    if args.schedule != "default":
        raise TilewrightError("--schedule: only the default schedule's knobs are tuned yet", where)
    if args.plot:
        from tilewright.bench.report import require_matplotlib

        require_matplotlib()
    from tilewright.tune.driver import run
    from tilewright.tune.report import Progress, plot, print_report

    console = Console(stderr=True)
    progress = Progress(console) if console.is_terminal else None
    log = None if progress is not None else (lambda message: print(message, file=sys.stderr, flush=True))
    report = run(
        args.file,
        strategies=[s.strip() for s in args.strategy.split(",") if s.strip()],
        log=log,
        progress=progress,
        entry=args.entry,
        budget=args.budget,
        workers=args.workers,
        ray_address=args.ray_address,
        db=args.db,
        target=args.target,
        threads=args.threads,
        seed=args.seed,
        timeout_s=args.timeout,
        rounds=args.repetitions,
        min_time_s=args.min_time,
        final_rounds=args.final_rounds,
        final_min_time_s=args.final_min_time,
    )
    print_report(report)
    if args.json_path:
        import json
        from pathlib import Path

        Path(args.json_path).write_text(json.dumps(report.as_json(), indent=1))
    if args.plot:
        plot(report, args.plot)
    return 0
