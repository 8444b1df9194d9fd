"""Input format detection: decided from content, never from the file name.

Users hand tilewright whatever their framework exported: MLIR text (pretty or
generic), MLIR bytecode, a StableHLO portable artifact (VHLO bytecode), or the
bytes of ``jax.export.export(...)(...).serialize()`` (a flatbuffer wrapping a
portable artifact).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

from tilewright.diagnostics import SourceLocation, TilewrightError

MLIR_BYTECODE_MAGIC = b"ML\xefR"

# Ops of these dialects need jaxlib's StableHLO to parse and legalize.
_STABLEHLO_DIALECTS = ("stablehlo", "chlo", "mhlo", "vhlo", "sdy")
_STABLEHLO_TEXT = re.compile(r'(?<![\w.$])"?(?:' + "|".join(_STABLEHLO_DIALECTS) + r")\.")


class InputFormat(enum.Enum):
    MLIR_TEXT = "mlir-text"
    MLIR_BYTECODE = "mlir-bytecode"
    PORTABLE_ARTIFACT = "stablehlo-portable-artifact"
    JAX_EXPORT = "jax-export"


@dataclass(frozen=True)
class Source:
    """A program as the user gave it: raw content plus where it came from."""

    content: str | bytes
    filename: str
    format: InputFormat

    @property
    def is_stablehlo(self) -> bool:
        """Whether the program needs the StableHLO ingress before upstream MLIR can read it."""
        if self.format in (InputFormat.PORTABLE_ARTIFACT, InputFormat.JAX_EXPORT):
            return True
        if isinstance(self.content, bytes):
            return any(d.encode() in self.content for d in _STABLEHLO_DIALECTS)
        return _STABLEHLO_TEXT.search(self.content) is not None


def detect_format(data: bytes) -> InputFormat:
    if data.startswith(MLIR_BYTECODE_MAGIC):
        return InputFormat.PORTABLE_ARTIFACT if b"vhlo" in data[:4096] else InputFormat.MLIR_BYTECODE
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return InputFormat.JAX_EXPORT
    if "\x00" in text:
        return InputFormat.JAX_EXPORT
    return InputFormat.MLIR_TEXT


def source_from_bytes(data: bytes, filename: str) -> Source:
    fmt = detect_format(data)
    if fmt is InputFormat.MLIR_TEXT:
        return Source(data.decode("utf-8"), filename, fmt)
    return Source(data, filename, fmt)


def read_source(path: str | Path) -> Source:
    """Read a user's file (``-`` is stdin), with clear errors for what is not a file."""
    import sys

    name = str(path)
    if name == "-":
        return source_from_bytes(sys.stdin.buffer.read(), "<stdin>")
    p = Path(path)
    if p.is_dir():
        raise TilewrightError("is a directory, expected an MLIR or StableHLO file", SourceLocation(name))
    if not p.exists():
        raise TilewrightError("no such file", SourceLocation(name))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise TilewrightError(f"cannot read file: {exc.strerror}", SourceLocation(name)) from None
    if not data.strip():
        raise TilewrightError("input is empty", SourceLocation(name))
    return source_from_bytes(data, name)


def as_source(source: str | bytes | Path, filename: str | None = None) -> Source:
    """Normalize what the Python API accepts: a path, MLIR text, or raw bytes."""
    if isinstance(source, Path):
        return read_source(source)
    if isinstance(source, bytes):
        return source_from_bytes(source, filename or "<bytes>")
    looks_like_path = (
        "\n" not in source
        and len(source) < 4096
        and not source.lstrip().startswith(("module", "func.func", "#", "//", '"'))
    )
    if looks_like_path and Path(source).is_file():
        return read_source(source)
    if looks_like_path and source.endswith((".mlir", ".mlirbc", ".bc", ".bin")):
        raise TilewrightError("no such file", SourceLocation(source))
    return Source(source, filename or "<string>", InputFormat.MLIR_TEXT)
