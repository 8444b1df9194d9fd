"""Fuzz the CLIs with mutated real programs: every outcome is a result or one clear error.

Seeded and fixed: a list of cases (``TILEWRIGHT_FUZZ_CASES``, default 44, about a minute of CPU
time: ~1.4 s per case) is derived from
``examples/mlp.mlir`` and a sample of the StableHLO conformance programs in
``../shared/conformance/stablehlo-testdata`` (skipped if absent), each mutated
once: lines deleted, duplicated or swapped, tokens swapped, element types and
shapes changed, op names replaced, text truncated, bytes of MLIR bytecode and
portable artifacts flipped or cut. Each case runs ``tilewright run FILE
--random-inputs`` or ``tilewright-opt`` in a subprocess with a timeout, two at a
time, and every case runs, however slow the machine (no time budget: the count is
what bounds the cost). The contract: exit code 0 or 1; on 1, a message on stderr; never a
Python traceback, never a native crash (the CLI turns those into ``internal
error: crashed with SIG...``: a finding to fix), never a signal, never a hang.

``TILEWRIGHT_FUZZ_SEED`` / ``TILEWRIGHT_FUZZ_CASES`` explore beyond the CI set.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance" / "stablehlo-testdata"
SEED = int(os.environ.get("TILEWRIGHT_FUZZ_SEED", "20261125"))
N_CASES = int(os.environ.get("TILEWRIGHT_FUZZ_CASES", "44"))
CASE_TIMEOUT_S = 120  # a hang, not a slow compile: the programs are small
JOBS = 2

_ELEMENT_TYPES = ["f32", "f16", "bf16", "f64", "i1", "i8", "i32", "i64", "ui8", "ui32", "complex<f32>"]
_ELEMENT = re.compile(r"(?<=[x<])(?:f16|bf16|f32|f64|i1|i8|i16|i32|i64|ui8|ui16|ui32|ui64)(?=>)")
_DIMS = re.compile(r"(?<=tensor<)(?:\d+x)+")
_OP = re.compile(r"\b(?:stablehlo|chlo)\.[a-z_]+\b")
_TOKEN = re.compile(r"%[\w#:]+|[A-Za-z_][\w.]*|\d+|\S")
_INT = re.compile(r"(?<![\w.%#])\d+(?![\w.])")


@dataclass(frozen=True)
class Case:
    """One fuzz input: a base program, a mutation, and the command to run on it."""

    id: str
    base: str  # path of the base program
    mutation: str  # name of the mutation
    seed: int
    tool: str  # "run" | "opt"


# --- mutations of text --------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _body_line(lines: list[str], rng: random.Random) -> int:
    candidates = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("//")]
    return rng.choice(candidates or [0])


def delete_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    del lines[_body_line(lines, rng)]
    return "".join(lines)


def duplicate_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = _body_line(lines, rng)
    lines.insert(i, lines[i])
    return "".join(lines)


def swap_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i, j = _body_line(lines, rng), _body_line(lines, rng)
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def swap_tokens(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = _body_line(lines, rng)
    tokens = list(_TOKEN.finditer(lines[i]))
    if len(tokens) < 2:
        return delete_line(text, rng)
    a, b = sorted(rng.sample(tokens, 2), key=lambda m: m.start())
    line = lines[i]
    lines[i] = line[: a.start()] + b.group() + line[a.end() : b.start()] + a.group() + line[b.end() :]
    return "".join(lines)


def change_element_type(text: str, rng: random.Random) -> str:
    found = list(_ELEMENT.finditer(text))
    if not found:
        return truncate_text(text, rng)
    m = rng.choice(found)
    new = rng.choice([t for t in _ELEMENT_TYPES if t != m.group()])
    if rng.random() < 0.5:  # one occurrence: a type mismatch
        return text[: m.start()] + new + text[m.end() :]
    return re.sub(rf"(?<=[x<]){re.escape(m.group())}(?=>)", new, text)  # all: a consistent retyping


def change_shape(text: str, rng: random.Random) -> str:
    found = list(_DIMS.finditer(text))
    if not found:
        return change_element_type(text, rng)
    m = rng.choice(found)
    dims = m.group().rstrip("x").split("x")
    k = rng.randrange(len(dims))
    dims[k] = str(rng.choice([0, 1, 2, 3, 7, 13]))
    if rng.random() < 0.3:
        dims.append("1")  # another rank
    replacement = "x".join(dims) + "x"
    if rng.random() < 0.5:
        return text[: m.start()] + replacement + text[m.end() :]
    return text.replace(m.group(), replacement)


def replace_op(text: str, rng: random.Random) -> str:
    found = list(_OP.finditer(text))
    if not found:
        return swap_tokens(text, rng)
    m = rng.choice(found)
    others = sorted({o.group() for o in found} | {"stablehlo.add", "stablehlo.dot_general", "stablehlo.reduce"})
    return text[: m.start()] + rng.choice(others) + text[m.end() :]


def change_integer(text: str, rng: random.Random) -> str:
    found = list(_INT.finditer(text))
    if not found:
        return swap_tokens(text, rng)
    m = rng.choice(found)
    value = rng.choice([v for v in ("0", "1", "2", "3", "5", "64", str(2**31), "-1") if v != m.group()])
    return text[: m.start()] + value + text[m.end() :]


def truncate_text(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(1, max(2, len(text)))]


TEXT_MUTATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "delete-line": delete_line,
    "duplicate-line": duplicate_line,
    "swap-lines": swap_lines,
    "swap-tokens": swap_tokens,
    "element-type": change_element_type,
    "shape": change_shape,
    "replace-op": replace_op,
    "integer": change_integer,
    "truncate": truncate_text,
}


# --- mutations of binary formats ----------------------------------------------------------


def _bytecode(text: str) -> bytes:
    from jaxlib.mlir import ir as jir

    from tilewright.ingress.stablehlo import jax_context

    with jax_context() as ctx:
        module = jir.Module.parse(text, ctx)
        out = io.BytesIO()
        module.operation.write_bytecode(out)
        return out.getvalue()


def _portable(text: str) -> bytes:
    from jaxlib.mlir.dialects import stablehlo

    return bytes(stablehlo.serialize_portable_artifact_str(text, stablehlo.get_current_version()))


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 2, 4, 8])):
        out[rng.randrange(8, len(out))] = rng.randrange(256)  # keep the magic: test the readers, not detection
    return bytes(out)


def _cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(4, len(data))]


BINARY_MUTATIONS: dict[str, tuple[Callable[[str], bytes], Callable[[bytes, random.Random], bytes]]] = {
    "bytecode-flip": (_bytecode, _flip),
    "bytecode-truncate": (_bytecode, _cut),
    "portable-flip": (_portable, _flip),
    "portable-truncate": (_portable, _cut),
}


# --- cases --------------------------------------------------------------------------------


def runnable(text: str) -> str:
    """A conformance program without its ``check.*`` custom calls, so all of it compiles and runs."""
    return "".join(line for line in _lines(text) if "@check." not in line)


def _bases(rng: random.Random) -> list[Path]:
    bases = [ROOT / "examples" / "mlp.mlir"]
    if CONFORMANCE.is_dir():
        files = sorted(p for p in CONFORMANCE.glob("*.mlir") if p.stat().st_size < 12_000)
        by_family: dict[str, list[Path]] = {}
        for p in files:
            by_family.setdefault(p.name.split("_", 1)[0], []).append(p)
        families = sorted(by_family)
        for family in rng.sample(families, min(len(families), 14)):
            bases.append(rng.choice(by_family[family]))
    return bases


def build_cases(seed: int = SEED, count: int = N_CASES) -> list[Case]:
    rng = random.Random(seed)
    bases = _bases(rng)
    mutations = sorted(TEXT_MUTATIONS) + sorted(BINARY_MUTATIONS)
    cases = []
    for i in range(count):
        base = bases[0] if i % 4 == 0 else rng.choice(bases)  # mlp.mlir: a quarter of the cases
        mutation = mutations[i % len(mutations)] if i < len(mutations) else rng.choice(mutations)
        tool = "opt" if i % 5 == 4 else "run"
        cases.append(
            Case(f"{i:03d}-{base.stem[:28]}-{mutation}-{tool}", str(base), mutation, rng.randrange(2**32), tool)
        )
    return cases


def materialize(case: Case, directory: Path) -> Path:
    """Write the mutated program of ``case`` (deterministic in its seed)."""
    rng = random.Random(case.seed)
    text = runnable(Path(case.base).read_text())
    if case.mutation in TEXT_MUTATIONS:
        path = directory / f"{case.id}.mlir"
        path.write_text(TEXT_MUTATIONS[case.mutation](text, rng))
    else:
        encode, damage = BINARY_MUTATIONS[case.mutation]
        path = directory / f"{case.id}.bin"
        try:
            data = encode(text)
        except Exception:  # noqa: BLE001 - e.g. CHLO has no portable form: fuzz the text instead
            path = directory / f"{case.id}.mlir"
            path.write_text(swap_tokens(text, rng))
            return path
        path.write_bytes(damage(data, rng))
    return path


def command(case: Case, path: Path) -> list[str]:
    bindir = Path(sys.executable).parent
    if case.tool == "opt":
        opt = shutil.which("tilewright-opt") or str(bindir / "tilewright-opt")
        return [opt, str(path), "--pass-pipeline=builtin.module(tw-stablehlo-to-linalg,tw-cpu-default)"]
    tw = shutil.which("tilewright") or str(bindir / "tilewright")
    # -O1: the contract is about input handling; LLVM's -O3 only makes each case slower.
    return [tw, "run", str(path), "--random-inputs", "-O1", "--output", str(path.with_suffix(".npz"))]


@dataclass
class Outcome:
    path: Path
    argv: list[str]
    returncode: int | None  # None: timed out
    stderr: str


def run_case(case: Case, directory: Path) -> Outcome:
    path = materialize(case, directory)
    argv = command(case, path)
    env = {k: v for k, v in os.environ.items() if k not in ("TILEWRIGHT_NO_FORK", "TILEWRIGHT_DEBUG")}
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=CASE_TIMEOUT_S, env=env, errors="replace")
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
        return Outcome(path, argv, None, stderr)
    return Outcome(path, argv, proc.returncode, proc.stderr)


CASES = build_cases()


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    """Run every selected case (``-k`` works), two at a time."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)
    }
    directory = tmp_path_factory.mktemp("fuzz")
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = {c.id: pool.submit(run_case, c, directory) for c in CASES if c.id in selected}
        return {case_id: future.result() for case_id, future in futures.items()}


def test_cases_cover_every_mutation_and_both_tools():
    assert len(CASES) == N_CASES
    assert len({c.id for c in CASES}) == N_CASES
    assert {c.mutation for c in CASES} == set(TEXT_MUTATIONS) | set(BINARY_MUTATIONS)
    assert {c.tool for c in CASES} == {"run", "opt"}
    assert build_cases() == CASES  # seeded: the same cases every time


def test_mutations_change_the_program():
    text = (ROOT / "examples" / "mlp.mlir").read_text()
    for name, mutate in TEXT_MUTATIONS.items():
        changed = sum(mutate(text, random.Random(s)) != text for s in range(5))
        assert changed >= 4, name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_reports_mutated_input_cleanly(case: Case, outcomes: dict[str, Outcome]):
    outcome = outcomes[case.id]  # every selected case ran: none is skipped
    where = f"{' '.join(outcome.argv)}\n--- stderr ---\n{outcome.stderr[-3000:]}"
    assert outcome.returncode is not None, f"hang (> {CASE_TIMEOUT_S} s): {where}"
    assert outcome.returncode >= 0, f"killed by signal {-outcome.returncode}: {where}"
    assert outcome.returncode in (0, 1), f"exit code {outcome.returncode}: {where}"
    assert "Traceback" not in outcome.stderr, f"traceback: {where}"
    assert "internal error" not in outcome.stderr, f"crash or internal error on bad input: {where}"
    if outcome.returncode == 1:
        assert "error" in outcome.stderr, f"exit code 1 without an error message: {where}"
