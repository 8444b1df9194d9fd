"""``tilewright-opt``: mlir-opt over the pinned MLIR, plus StableHLO input and tw-* pipelines.

Order of work on each input (chunk): parse (StableHLO through jaxlib when the
pipeline starts with ``tw-stablehlo-to-linalg``), apply ``--transform-script``
if given, then run the rest of ``--pass-pipeline``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROG = "tilewright-opt"
SPLIT_MARKER = "// -----"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("input", nargs="?", default="-", help="input file ('-' for stdin)")
    p.add_argument("-o", "--output", default="-", help="output file ('-' for stdout)")
    p.add_argument("--pass-pipeline", "-p", default="", help="textual pass pipeline; tw-* names expand")
    p.add_argument("--split-input-file", action="store_true", help=f"process chunks separated by '{SPLIT_MARKER}'")
    p.add_argument("--verify-diagnostics", action="store_true", help="check expected-* comments")
    p.add_argument("--mlir-print-ir-after-all", action="store_true", help="print IR after every pass (stderr)")
    p.add_argument("--mlir-print-debuginfo", action="store_true", help="print locations")
    p.add_argument(
        "--transform-script",
        help="transform script (.mlir), Python schedule (.py), built-in schedule name, 'default' or 'none'",
    )
    p.add_argument("--transform-library", action="append", default=[], help="named sequences for the script")
    p.add_argument("--transform-entry-point", default="__transform_main", help="named sequence to run")
    p.add_argument("--threads", type=int, default=1, help="cores the default/built-in schedules plan for (default: 1)")
    p.add_argument("--emit-bytecode", action="store_true", help="write MLIR bytecode")
    p.add_argument("--list-pipelines", action="store_true", help="list tilewright's named pipelines")
    return p


def _chunks(text: str, split: bool) -> list[tuple[str, int]]:
    """(chunk text, first line number); chunks keep their original line numbers."""
    if not split:
        return [(text, 1)]
    chunks, line, current, start = [], 1, [], 1
    for raw in text.splitlines(keepends=True):
        if raw.strip().startswith(SPLIT_MARKER):
            chunks.append(("".join(current), start))
            current, start = [], line + 1
        else:
            current.append(raw)
        line += 1
    chunks.append(("".join(current), start))
    return chunks


def _process(chunk, args, ingress: bool, steps: list):  # -> (text|bytes|None, diagnostics)
    from tilewright import pipeline
    from tilewright.diagnostics import TilewrightError
    from tilewright.ingress.formats import Source
    from tilewright.mlir_env import new_context, parse_module

    source: Source = chunk
    context = new_context()
    if source.is_stablehlo:
        if not ingress:
            if steps or args.transform_script:
                raise TilewrightError(
                    "input is StableHLO: start the pipeline with 'tw-stablehlo-to-linalg'",
                    _loc(source.filename),
                )
            return _roundtrip_stablehlo(source, args), []
        from tilewright.ingress.stablehlo import legalize_to_linalg

        text = legalize_to_linalg(source, entry=None).linalg_text
        module = parse_module(text, source.filename, context)
    else:
        module = parse_module(source.content, source.filename, context)
    if args.transform_script:
        _apply_transform_script(module, args)
    if steps:
        pipeline.run_pipeline(
            module,
            steps,
            source.filename,
            "pass pipeline",
            print_ir_after_all=args.mlir_print_ir_after_all,
            debug_info=args.mlir_print_debuginfo,
        )
    with context:
        if args.emit_bytecode:
            return module.operation.get_asm(binary=True, enable_debug_info=args.mlir_print_debuginfo), []
        return module.operation.get_asm(enable_debug_info=args.mlir_print_debuginfo), []


def _apply_transform_script(module, args) -> None:
    """``--transform-script``: any schedule form the driver takes (.mlir, .py, a built-in name,
    ``default``, ``none``), merged with ``--transform-library`` sequences, run from the entry point."""
    from tilewright.schedule.apply import apply_script, parse_script
    from tilewright.schedule.source import resolve_schedule

    source = resolve_schedule(args.transform_script)
    script = source.script(module, threads=args.threads)
    if script is None:
        return
    libraries = [(Path(lib).read_text(), lib) for lib in args.transform_library]
    merged = parse_script(script.text(), script.name, module.context, libraries) if libraries else script.module
    apply_script(module, merged, module.context, script.name, args.transform_entry_point)
    source.applied(module)


def _roundtrip_stablehlo(source, args):
    from tilewright.ingress.stablehlo import jax_context, parse_stablehlo

    ctx = jax_context()
    module = parse_stablehlo(source, ctx)
    with ctx:
        return module.operation.get_asm(binary=args.emit_bytecode, enable_debug_info=args.mlir_print_debuginfo)


def _loc(filename: str):
    from tilewright.diagnostics import SourceLocation

    return SourceLocation(filename)


def run(args: argparse.Namespace) -> int:
    from tilewright import pipeline
    from tilewright.cli.verify_diagnostics import verify
    from tilewright.diagnostics import TilewrightError
    from tilewright.ingress.formats import InputFormat, Source, read_source

    if args.list_pipelines:
        _list_pipelines()
        return 0
    try:
        ingress, steps = pipeline.expand(args.pass_pipeline)
        pipeline.check_steps(steps)  # an unknown pass is named before any input is read
    except pipeline.PipelineSyntaxError as exc:
        raise TilewrightError(f"invalid pass pipeline: {exc}") from None
    source = read_source(args.input)
    if isinstance(source.content, bytes):
        chunks = [(source, 1)]
    else:
        chunks = [
            (Source("\n" * (first - 1) + text, source.filename, InputFormat.MLIR_TEXT), first)
            for text, first in _chunks(source.content, args.split_input_file)
        ]
    outputs: list[str | bytes] = []
    failed = False
    for chunk, _first in chunks:
        try:
            out, _ = _process(chunk, args, ingress, steps)
            outputs.append(out)
            diagnostics = []
        except TilewrightError as exc:
            if not args.verify_diagnostics:
                print(exc.format(), file=sys.stderr)
                failed = True
                continue
            diagnostics = exc.diagnostics or []
            if not diagnostics:
                print(exc.format(), file=sys.stderr)
                failed = True
                continue
        if args.verify_diagnostics:
            problems = verify(chunk.content, diagnostics, chunk.filename, 1)
            for line in problems:
                print(line, file=sys.stderr)
            failed |= bool(problems)
    _write(outputs, args.output)
    return 1 if failed else 0


def _list_pipelines() -> None:
    from tilewright import pipeline

    for named in pipeline.registry().values():
        print(f"{named.name:30s} {named.summary}")
        for option in named.options:
            spelled = f"{{{option.name}={option.default}}}"
            print(f"  {spelled:28s} {option.type.__name__}: {option.help}")


def _write(outputs: list[str | bytes], path: str) -> None:
    if outputs and isinstance(outputs[0], bytes):
        data = b"".join(o if isinstance(o, bytes) else o.encode() for o in outputs)
        if path == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(path).write_bytes(data)
        return
    text = f"\n{SPLIT_MARKER}\n".join(o.rstrip("\n") for o in outputs if isinstance(o, str))
    text = text + "\n" if text else ""
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text)


def main(argv: list[str] | None = None) -> int:
    from tilewright.cli.common import run_isolated

    args = build_parser().parse_args(argv)
    return run_isolated(lambda: run(args), PROG)


if __name__ == "__main__":
    sys.exit(main())
