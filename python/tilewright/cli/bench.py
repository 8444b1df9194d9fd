"""``tilewright bench FILE``: time a program and compare it with numpy/OpenBLAS, XLA and IREE.

::

    tilewright bench FILE [--schedule S] [--inputs IN.npz | --random-inputs] [--compare numpy,jax,iree]
                          [--threads N] [--repetitions R] [--min-time SEC] [--json OUT] [--plot OUT.png]
                          [--cpu NAME] [--cpu-features +F,-G] [--peak]

Prints a table: median time per call over interleaved rounds, spread (IQR as a
percentage of the median) and minimum, GFLOP/s when the flop count is known,
compile time, the result check of each peer, the kernel it used, and
``speedup = peer median / tilewright median`` (> 1: tilewright is faster).
``--peak`` also measures the core's f32 FMA throughput with a register-only kernel
tilewright compiles itself, and reports each GFLOP/s as a percentage of it.
Exits 1 when a peer's result differs from tilewright's or a peer fails.
Pin with ``taskset -c 0 tilewright bench ... --threads 1``; the peers inherit it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("bench", help="time a program against numpy/OpenBLAS, XLA and IREE")
    p.add_argument("file", help="program: StableHLO/MLIR text or bytecode, portable artifact, jax.export bytes")
    p.add_argument("--entry", default="main", help="entry function (default: main)")
    p.add_argument("--schedule", help="schedule to apply before bufferization: .mlir script, .py file or built-in name")
    p.add_argument("-O", dest="opt_level", type=int, default=3, choices=[0, 1, 2, 3], help="LLVM optimization level")
    p.add_argument(
        "--cpu",
        help="LLVM CPU name to compile for (haswell, znver4, skylake-avx512, x86-64-v3, ..., host; default: host)",
    )
    p.add_argument("--cpu-features", help="LLVM target features on top of the CPU's, e.g. +avx512f,-avx512bw")
    p.add_argument(
        "--threads", type=int, help="cores for tilewright and every peer (default: all this process may use)"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--inputs", help="npz file; its arrays in stored order are the arguments")
    group.add_argument("--random-inputs", action="store_true", help="seeded random arguments (the default)")
    p.add_argument("--seed", type=int, default=0, help="seed for random inputs")
    p.add_argument(
        "--compare",
        help="comma-separated peers: numpy, jax, iree (default: numpy when the program is one contraction, plus jax)",
    )
    p.add_argument("--repetitions", "-r", type=int, default=10, help="interleaved timing rounds (default: 10)")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per calibrated batch (default: 0.2)")
    p.add_argument("--json", dest="json_path", help="write the whole report (times, checks, kernels, host) here")
    p.add_argument(
        "--peak",
        action="store_true",
        help="also measure the core's FMA peak (a register-only kernel) and report GFLOP/s as a fraction of it",
    )
    p.add_argument(
        "--plot",
        help="draw the times into this PNG file: a roofline with --peak, else a bar chart (needs matplotlib)",
    )
    p.set_defaults(run=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tilewright.bench import BenchConfig, run_bench
    from tilewright.bench.peers import bench_error, parse_compare
    from tilewright.bench.report import plot, print_report, require_matplotlib, write_json

    compare = tuple(parse_compare(args.compare)) if args.compare is not None else None
    if compare == ():
        raise bench_error("--compare: name at least one peer (numpy, jax, iree)")
    if args.plot:
        require_matplotlib()
    config = BenchConfig(
        file=args.file,
        entry=args.entry,
        schedule=args.schedule,
        opt_level=args.opt_level,
        threads=args.threads,
        cpu=args.cpu,
        cpu_features=args.cpu_features,
        inputs=args.inputs,
        seed=args.seed,
        compare=compare,
        repetitions=args.repetitions,
        min_time_s=args.min_time,
        peak=args.peak,
    )
    progress = Console(stderr=True)
    log = (lambda msg: progress.print(f"[dim]bench: {msg}[/]")) if sys.stderr.isatty() else (lambda _msg: None)
    report = run_bench(config, log)
    print_report(report)
    if args.plot:
        report["plot"] = plot(report, args.plot)
    if args.json_path:
        write_json(report, args.json_path)
    return 0 if report["ok"] else 1
