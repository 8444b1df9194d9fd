"""Conformance cases: one per program, files with ``// -----`` splits give one per split.

File names follow the StableHLO testdata convention ``<op>_<dtype>_<shape...>``
(``abs_float32_20_20.mlir``, ``scatter_add_int8_...``), with ``_chlo``,
``_dynamic`` and ``_qi8`` variants; the op and dtype for the breakdown are read
from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)
DTYPE_CLASSES = {
    "bool": "bool",
    **{d: "int" for d in DTYPES if "int" in d},
    **{d: "float" for d in ("float16", "bfloat16", "float32", "float64")},
    "complex64": "complex",
    "complex128": "complex",
}
# Words that JAX's test names put between the op and its parameters.
_OP_STOP_WORDS = {"shape", "dtypes", "dtype", "lhs", "rhs", "special", "operand", "x", "y"}
_SPLIT = re.compile(r"^// -----\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    """One program to run: ``path``'s text (``split`` of it), padded so lines match the file."""

    path: Path
    split: int | None
    op: str
    dtype: str
    variant: str  # "static" | "chlo" | "dynamic" | "quantized"

    @property
    def name(self) -> str:
        return self.path.name if self.split is None else f"{self.path.name}#{self.split}"

    @property
    def dtype_class(self) -> str:
        if self.variant in ("dynamic", "quantized"):
            return self.variant
        return DTYPE_CLASSES.get(self.dtype, "other")

    def text(self) -> str:
        """The program's text, with blank lines before a split so that line numbers match the file."""
        content = self.path.read_text()
        if self.split is None:
            return content
        pieces = _split_with_offsets(content)
        start, piece = pieces[self.split]
        return "\n" * content.count("\n", 0, start) + piece


def _split_with_offsets(content: str) -> list[tuple[int, str]]:
    pieces, start = [], 0
    for m in _SPLIT.finditer(content):
        pieces.append((start, content[start : m.start()]))
        start = m.end()
    pieces.append((start, content[start:]))
    return pieces


def parse_name(stem: str) -> tuple[str, str, str]:
    """``abs_shape_float32_20_20_qi8`` -> (op ``abs``, dtype ``float32``, variant ``quantized``)."""
    variant = "static"
    for suffix, name in (("_qi8", "quantized"), ("_dynamic", "dynamic"), ("_chlo", "chlo")):
        if stem.endswith(suffix):
            stem, variant = stem[: -len(suffix)], name
            break
    tokens = stem.split("_")
    dtype = "unknown"
    op_tokens = tokens
    for i, token in enumerate(tokens):
        if token in DTYPES and i > 0:
            dtype, op_tokens = token, tokens[:i]
            break
    op: list[str] = []
    for token in op_tokens:
        if op and (token in _OP_STOP_WORDS or token.isdigit()):
            break
        op.append(token)
    if "chlo" in tokens[:-1] and variant == "static":
        variant = "chlo"
    return "_".join(op) or stem, dtype, variant


def discover(directory: Path) -> list[Case]:
    """Every case under ``directory`` (``*.mlir``, sorted by name)."""
    cases = []
    for path in sorted(Path(directory).glob("*.mlir")):
        op, dtype, variant = parse_name(path.stem)
        pieces = _split_with_offsets(path.read_text())
        if len(pieces) == 1:
            cases.append(Case(path, None, op, dtype, variant))
            continue
        for i, (_, piece) in enumerate(pieces):
            # Split files mix quantized and plain programs; each split says which it is.
            split_variant = "quantized" if "!quant." in piece else ("static" if variant == "quantized" else variant)
            cases.append(Case(path, i, op, dtype, split_variant))
    return cases
