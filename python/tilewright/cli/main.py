"""``tilewright``: compile and run StableHLO / MLIR programs.

Subcommands::

    tilewright compile FILE --emit STAGE [-o OUT] [--dump-dir DIR]
    tilewright run FILE (--inputs IN.npz | --random-inputs) [--output OUT.npz]

and those of ``COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

PROG = "tilewright"

# Subcommands that live in modules of their own: each module has
# ``register(subparsers)``, which adds its parser and sets ``run=`` (and
# ``isolate=False`` if it manages its own child processes).
COMMAND_MODULES: tuple[str, ...] = ("tilewright.cli.conformance", "tilewright.cli.bench", "tilewright.cli.tune")


def _add_common(p: argparse.ArgumentParser, file_nargs: str | None = None) -> None:
    p.add_argument(
        "file", nargs=file_nargs, help="program: StableHLO/MLIR text or bytecode, portable artifact, jax.export bytes"
    )
    p.add_argument("--entry", default="main", help="entry function (default: main)")
    from tilewright.target import target_names

    p.add_argument("--target", default="cpu", choices=target_names(), help="code generation target")
    p.add_argument("--schedule", help="schedule to apply before bufferization: .mlir script, .py file or built-in name")
    p.add_argument("--dump-dir", help="write the IR after every stage into this directory")
    p.add_argument("-O", dest="opt_level", type=int, default=3, choices=[0, 1, 2, 3], help="LLVM optimization level")
    p.add_argument("--threads", type=int, help="cores for parallel loops (default: all this process may use)")
    p.add_argument(
        "--cpu",
        help="LLVM CPU name to compile for (haswell, znver4, skylake-avx512, x86-64-v3, ..., host; default: host)",
    )
    p.add_argument("--cpu-features", help="LLVM target features on top of the CPU's, e.g. +avx512f,-avx512bw")
    p.add_argument("--gpu-arch", help="--target nvvm: GPU architecture, sm_80 (default), sm_90 or sm_90a")
    p.add_argument(
        "--no-tuned",
        dest="tuned",
        action="store_false",
        help="ignore the tuning database (tilewright tune): the default schedule takes the library's own tiles",
    )
    p.add_argument(
        "--raise-attention",
        action="store_true",
        help="raise softmax(Q.K^T).V chains to tw.attention in the linalg stage (C++ extension)",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="say which tuned entries the default schedule took")


def build_parser() -> argparse.ArgumentParser:
    from tilewright.target import all_stage_names, stage_help

    parser = argparse.ArgumentParser(prog=PROG, description="MLIR compiler driver: StableHLO -> native code")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser(
        "compile",
        help="compile to a stage's IR or to native code",
        epilog=stage_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(c)
    c.add_argument("--emit", default="obj", choices=all_stage_names(), help="stage to stop after (default: obj)")
    c.add_argument(
        "-o",
        "--output",
        help="output file; '-' is stdout (default: stdout for text stages; for obj, FILE's name with .o "
        "in the current directory, as cc -c does)",
    )

    r = sub.add_parser("run", help="JIT-compile and run the entry function on CPU, or run an artifact")
    _add_common(r, file_nargs="?")
    r.add_argument(
        "--artifact",
        metavar="MODEL.twa",
        help="run a compiled artifact (--emit artifact) instead of FILE: no compiler involved (nvvm: on the GPU)",
    )
    group = r.add_mutually_exclusive_group(required=True)
    group.add_argument("--inputs", help="npz file; its arrays in stored order are the arguments")
    group.add_argument("--random-inputs", action="store_true", help="seeded random arguments")
    r.add_argument("--seed", type=int, default=0, help="seed for --random-inputs")
    r.add_argument("--output", help="npz file for the results (result0, result1, ...)")
    r.add_argument(
        "--print", dest="print_results", action="store_true", help="print results (default without --output)"
    )
    r.add_argument(
        "--expected",
        metavar="FILE.npz",
        help="expected results (result0, ... or in stored order): print the max error of each, exit 1 on a mismatch",
    )
    r.add_argument(
        "--rtol",
        type=float,
        help="relative tolerance for --expected (default by dtype: f32 1e-5, f16/bf16 1e-2, f64 1e-12; integers exact)",
    )
    r.add_argument("--atol", type=float, help="absolute tolerance for --expected (default: rtol x max|expected|)")
    c.set_defaults(run=cmd_compile)
    r.set_defaults(run=cmd_run)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def _options(args: argparse.Namespace) -> Any:
    from tilewright.compiler import CompileOptions

    threads = getattr(args, "threads", None)
    if getattr(args, "emit", None) == "artifact" and args.target == "cpu" and threads is None:
        threads = 1  # a CPU artifact carries no async runtime (target/artifact.py)
    return CompileOptions(
        target=args.target,
        entry=args.entry,
        schedule=args.schedule,
        opt_level=args.opt_level,
        dump_dir=Path(args.dump_dir) if args.dump_dir else None,
        threads=threads,
        cpu=args.cpu,
        cpu_features=args.cpu_features,
        gpu_arch=args.gpu_arch,
        tuned=getattr(args, "tuned", True),
        raise_attention=getattr(args, "raise_attention", False),
    )


def _say_tuned(args: argparse.Namespace, compilation: Any) -> None:
    """``--verbose``: each op group the tuning database's entries changed, and from which file."""
    if not getattr(args, "verbose", False):
        return
    source = compilation.options.schedule_source
    hits = getattr(source, "tuned_hits", [])
    for hit in hits:
        values = ", ".join(f"{k}={v}" for k, v in hit.knobs.items())
        print(
            f"{PROG}: tuned: {hit.signature}: {values} ({hit.speedup:.2f}x the default) from {hit.path}",
            file=sys.stderr,
        )
    if not hits:
        why = "off (--no-tuned)" if not compilation.options.tuned else "no entry for this program's op groups"
        print(f"{PROG}: tuned: {why}", file=sys.stderr)


def cmd_compile(args: argparse.Namespace) -> int:
    from tilewright.compiler import start
    from tilewright.diagnostics import SourceLocation, TilewrightError
    from tilewright.ingress.formats import read_source

    source = read_source(args.file)
    compilation = start(source, _options(args))
    artifact = compilation.run_until(args.emit)
    _say_tuned(args, compilation)
    stage = next(s for s in compilation.stages if s.name == args.emit)
    binary = stage.binary  # the stage table says (obj); text stages come back as str
    if args.output == "-" or (args.output is None and not binary):
        if isinstance(artifact, bytes):
            if binary and sys.stdout.isatty():
                raise TilewrightError(
                    f"--emit {args.emit} is binary: not written to a terminal; give -o FILE",
                    SourceLocation(f"{PROG} compile"),
                )
            sys.stdout.buffer.write(artifact)
        else:
            sys.stdout.write(artifact if artifact.endswith("\n") else artifact + "\n")
        return 0
    out = Path(args.output) if args.output else _default_output(args, stage.suffix)
    _refuse_input_as_output(out, args.file)
    try:
        if isinstance(artifact, bytes):
            out.write_bytes(artifact)
        else:
            out.write_text(artifact)
    except OSError as exc:
        raise TilewrightError(f"cannot write output: {exc.strerror}", SourceLocation(str(out))) from None
    return 0


def _default_output(args: argparse.Namespace, suffix: str) -> Path:
    """Where a binary stage goes without -o: the input's name with the stage's suffix, here (cc -c: x.c -> x.o)."""
    from tilewright.diagnostics import SourceLocation, TilewrightError

    if args.file == "-":
        message = f"--emit {args.emit} of stdin: give -o FILE (or -o - for stdout)"
        raise TilewrightError(message, SourceLocation("<stdin>"))
    return Path(Path(args.file).name).with_suffix(f".{suffix}")


def _refuse_input_as_output(out: Path, file: str) -> None:
    from tilewright.diagnostics import SourceLocation, TilewrightError

    if file != "-" and out.exists() and out.samefile(file):
        raise TilewrightError("the output would overwrite the input: give -o FILE", SourceLocation(str(out)))


def cmd_run(args: argparse.Namespace) -> int:
    import numpy as np

    from tilewright.diagnostics import SourceLocation, TilewrightError, enter_stage
    from tilewright.runtime.compare import load_expected
    from tilewright.runtime.inputs import load_npz_inputs, match_inputs, random_inputs

    if (args.rtol is not None or args.atol is not None) and not args.expected:
        raise TilewrightError("--rtol and --atol apply to --expected FILE.npz", SourceLocation(f"{PROG} run"))
    if (args.file is None) == (args.artifact is None):
        where = SourceLocation(f"{PROG} run")
        raise TilewrightError("give a program FILE or --artifact MODEL.twa (one of them)", where)
    inputs = load_npz_inputs(args.inputs) if args.inputs else None
    expected = load_expected(args.expected) if args.expected else None
    if args.artifact:
        executable = _artifact_executable(args.artifact)
    else:
        from tilewright.compiler import Executable, start
        from tilewright.ingress.formats import read_source

        executable = Executable(start(read_source(args.file), _options(args)))
        _say_tuned(args, executable.compilation)
    if inputs is None:
        inputs = random_inputs(executable.signature, args.seed)
    else:
        inputs = match_inputs(inputs, executable.signature, args.entry, args.inputs)
    enter_stage("run")
    results = executable(*inputs)
    if not isinstance(results, tuple):
        results = (results,)
    named = {f"result{i}": r for i, r in enumerate(results)}
    if args.output:
        np.savez(args.output, **named)
    if args.print_results or not args.output:
        with np.printoptions(threshold=64, edgeitems=3):
            for name, value in named.items():
                print(f"{name}: {value.dtype}{list(value.shape)}\n{value}")
    if expected is not None:
        return _report_expected(results, expected, args)
    return 0


def _artifact_executable(path: str) -> Any:
    """The artifact's program (no MLIR imported), with ``signature`` as an Executable has."""
    from tilewright.runtime.artifact import load

    return load(path)


def _report_expected(results: tuple[Any, ...], expected: dict[str, Any], args: argparse.Namespace) -> int:
    """One line per result (max error, tolerance), then PASS or FAIL; 1 on a mismatch."""
    from tilewright.runtime.compare import check_results

    checks = check_results(results, expected, args.expected, args.rtol, args.atol)
    for check in checks:
        print(check.line())
    failed = [c.name for c in checks if not c.passed]
    if failed:
        print(f"FAIL: {', '.join(failed)} differ from {args.expected}")
        return 1
    print(f"PASS: {len(checks)} result(s) match {args.expected}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from tilewright.cli.common import run_isolated

    args = build_parser().parse_args(argv)
    if getattr(args, "isolate", True):
        return run_isolated(lambda: args.run(args), PROG)
    from tilewright.cli.common import guarded

    return guarded(lambda: args.run(args), PROG)


if __name__ == "__main__":
    sys.exit(main())
