"""Input format detection: decided from content, never from the file name.

Users hand tilewright whatever their framework exported:

* MLIR text, pretty or generic form (StableHLO/CHLO with JAX's ``sdy``/``mhlo``
  annotations, or upstream dialects such as linalg);
* MLIR bytecode, of StableHLO or of upstream dialects;
* a StableHLO portable artifact (``stablehlo.serialize_portable_artifact``):
  MLIR bytecode of the versioned ``vhlo`` dialect;
* the bytes of ``jax.export.export(...)(...).serialize()``: a flatbuffer that
  wraps a portable artifact plus the calling convention.

Bytecode is classified by reading its header and dialect section (the same
framing MLIR's reader checks first), so a truncated file is reported here, in
one sentence, before any MLIR code sees it. Text is classified by the dialects
of its operations, types and attributes (comments are ignored).
"""

from __future__ import annotations

import enum
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tilewright.diagnostics import SourceLocation, TilewrightError

MLIR_BYTECODE_MAGIC = b"ML\xefR"

# Ops of these dialects need jaxlib's StableHLO to parse and legalize.
STABLEHLO_DIALECTS = frozenset({"stablehlo", "chlo", "mhlo", "vhlo", "sdy"})
_DIALECTS = "|".join(sorted(STABLEHLO_DIALECTS))
# Strings and comments are found first, so a dialect name inside a comment does not count.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*')
# Pretty op names (``stablehlo.add``, ``sdy.mesh``), but not discardable attribute
# keys (``mhlo.num_partitions = 1``) that upstream MLIR reads fine.
_PRETTY_OP = re.compile(r"(?<![\w.$%@#!^\-])(?:" + _DIALECTS + r")\.[A-Za-z_][\w.]*(?!\w|\.|\s*=(?!=))")
# Dialect types and attributes: ``!stablehlo.token``, ``#stablehlo.dot<...>``, ``#sdy.sharding<...>``.
_DIALECT_SYMBOL = re.compile(r"[!#](?:" + _DIALECTS + r")\.\w")
# Generic op syntax: ``"stablehlo.add"(%a, %b)``.
_GENERIC_OP = re.compile(r'"(?:' + _DIALECTS + r')\.[\w.]+"\s*\(')

# Bytecode section IDs (mlir/Bytecode/Encoding.h).
_SECTION_NAMES = (
    "String",
    "Dialect",
    "AttrType",
    "AttrTypeOffset",
    "IR",
    "Resource",
    "ResourceOffset",
    "DialectVersions",
    "Properties",
)
_STRING_SECTION, _DIALECT_SECTION, _DIALECT_VERSIONS_SECTION = 0, 1, 7
_REQUIRED_SECTIONS = (0, 1, 2, 3, 4)
_PROPERTIES_SECTION = 8
_DIALECT_VERSIONING = 1  # first bytecode version whose dialect entries carry a version flag
_OP_COUNT = 4  # first bytecode version that stores the number of op names before them
_NATIVE_PROPERTIES = 5  # first bytecode version with a properties section; op names carry a flag
# Dialect and op names are identifiers; anything else is a damaged string table.
_IDENTIFIER = re.compile(r"[A-Za-z_][\w$.\-]*")


class InputFormat(enum.Enum):
    MLIR_TEXT = "mlir-text"
    MLIR_BYTECODE = "mlir-bytecode"
    PORTABLE_ARTIFACT = "stablehlo-portable-artifact"
    JAX_EXPORT = "jax-export"


@dataclass(frozen=True)
class BytecodeInfo:
    """What an MLIR bytecode file says about itself before any IR is read."""

    version: int
    producer: str
    dialects: tuple[str, ...]
    operations: tuple[str, ...] = ()  # op names the IR section may use, ``dialect.op``


class BytecodeFormatError(ValueError):
    """The bytes start like MLIR bytecode but their framing is broken (truncated, corrupted)."""


class _ByteReader:
    """Reads the primitives of MLIR bytecode (mlir/docs/BytecodeFormat.md)."""

    def __init__(self, data: bytes | memoryview, base: int = 0) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.base = base  # offset of ``data`` in the file, for alignment and messages

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def byte(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise BytecodeFormatError(f"file ends inside {what}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def bytes(self, length: int, what: str) -> memoryview:
        if length > self.remaining:
            raise BytecodeFormatError(f"{what} needs {length} bytes but only {self.remaining} remain")
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk

    def varint(self, what: str) -> int:
        """PrefixVarInt: the count of trailing zero bits of the first byte is the number of extra bytes."""
        first = self.byte(what)
        if first & 1:
            return first >> 1
        if first == 0:
            return int.from_bytes(self.bytes(8, what), "little")
        extra = (first & -first).bit_length() - 1
        rest = int.from_bytes(self.bytes(extra, what), "little")
        return ((rest << 8) | first) >> (extra + 1)

    def cstring(self, what: str) -> str:
        end = bytes(self.data[self.pos :]).find(b"\x00")
        if end < 0:
            raise BytecodeFormatError(f"{what} has no terminating NUL")
        text = bytes(self.data[self.pos : self.pos + end]).decode("utf-8", errors="replace")
        self.pos += end + 1
        return text

    def section(self) -> tuple[int, memoryview]:
        id_and_align = self.byte("a section header")
        section_id = id_and_align & 0x7F
        if section_id >= len(_SECTION_NAMES):
            raise BytecodeFormatError(f"invalid section id {section_id} at byte {self.base + self.pos - 1}")
        name = f"section '{_SECTION_NAMES[section_id]}'"
        length = self.varint(f"the length of {name}")
        if id_and_align & 0x80:
            alignment = self.varint(f"the alignment of {name}")
            if alignment == 0 or alignment & (alignment - 1):
                raise BytecodeFormatError(f"{name} has alignment {alignment}, not a power of two")
            while (self.base + self.pos) % alignment:
                if self.byte(f"the padding of {name}") != 0xCB:
                    raise BytecodeFormatError(f"{name} has a corrupt alignment padding")
        return section_id, self.bytes(length, name)


def _string_table(section: memoryview) -> list[bytes]:
    reader = _ByteReader(section)
    count = reader.varint("the string count")
    if count > len(section):
        raise BytecodeFormatError(f"string section claims {count} strings in {len(section)} bytes")
    sizes = [reader.varint("a string length") for _ in range(count)]
    end = len(section)
    strings: list[bytes] = []
    for size in sizes:  # sizes are stored in reverse order; each includes its NUL
        if size == 0 or size > end - reader.pos:
            raise BytecodeFormatError("string section: a string length exceeds the section")
        strings.append(bytes(section[end - size : end - 1]))
        end -= size
    if end != reader.pos:
        raise BytecodeFormatError("string section: trailing data between string lengths and strings")
    strings.reverse()
    return strings


def _identifier(strings: list[bytes], index: int, what: str, allow_empty: bool = False) -> str:
    if index >= len(strings):
        raise BytecodeFormatError(f"dialect section: invalid string index {index} for {what}")
    raw = strings[index]
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        name = ""
    if not (_IDENTIFIER.fullmatch(name) or (allow_empty and not raw)):
        raise BytecodeFormatError(f"{what} {raw!r} is not an identifier")
    return name


def _dialects_and_ops(
    section: memoryview, strings: list[bytes], version: int, base: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Dialect names and ``dialect.op`` names from the dialect section (all identifiers, or an error)."""
    reader = _ByteReader(section, base)
    count = reader.varint("the dialect count")
    if count > len(section):
        raise BytecodeFormatError(f"dialect section claims {count} dialects in {len(section)} bytes")
    names = []
    for _ in range(count):
        if version < _DIALECT_VERSIONING:
            index, versioned = reader.varint("a dialect name"), False
        else:
            encoded = reader.varint("a dialect name")
            index, versioned = encoded >> 1, bool(encoded & 1)
        names.append(_identifier(strings, index, "dialect name"))
        if versioned:
            section_id, _ = reader.section()
            if section_id != _DIALECT_VERSIONS_SECTION:
                raise BytecodeFormatError("dialect section: expected a dialect version entry")
    if version >= _OP_COUNT:
        reader.varint("the op name count")
    ops = []
    while reader.remaining:
        dialect = reader.varint("an op name group")
        if dialect >= len(names):
            raise BytecodeFormatError(f"dialect section: invalid dialect index {dialect}")
        n_ops = reader.varint("an op name group size")
        if n_ops > reader.remaining:
            raise BytecodeFormatError(f"dialect section: {n_ops} op names in {reader.remaining} bytes")
        for _ in range(n_ops):
            index = reader.varint("an op name")
            if version >= _NATIVE_PROPERTIES:
                index >>= 1  # the low bit says whether the op was registered
            op = _identifier(strings, index, "op name", allow_empty=True)
            ops.append(f"{names[dialect]}.{op}" if op else names[dialect])
    return tuple(names), tuple(ops)


def read_bytecode_info(data: bytes) -> BytecodeInfo:
    """Version, producer and dialects of MLIR bytecode; raises :class:`BytecodeFormatError`.

    Checks the framing of every top-level section, so truncation anywhere is caught.
    """
    if not data.startswith(MLIR_BYTECODE_MAGIC):
        raise BytecodeFormatError("no MLIR bytecode magic number")
    reader = _ByteReader(data)
    reader.pos = len(MLIR_BYTECODE_MAGIC)
    version = reader.varint("the bytecode version")
    producer = reader.cstring("the producer string")
    sections: dict[int, tuple[memoryview, int]] = {}
    while reader.remaining:
        section_id, payload = reader.section()
        if section_id in sections:
            raise BytecodeFormatError(f"section '{_SECTION_NAMES[section_id]}' appears twice")
        sections[section_id] = (payload, reader.pos - len(payload))
    required = (*_REQUIRED_SECTIONS, _PROPERTIES_SECTION) if version >= _NATIVE_PROPERTIES else _REQUIRED_SECTIONS
    missing = [_SECTION_NAMES[s] for s in required if s not in sections]
    if missing:
        raise BytecodeFormatError(f"missing section(s) {', '.join(missing)} (truncated?)")
    strings = _string_table(sections[_STRING_SECTION][0])
    dialect_section, dialect_base = sections[_DIALECT_SECTION]
    dialects, operations = _dialects_and_ops(dialect_section, strings, version, dialect_base)
    return BytecodeInfo(version, producer, dialects, operations)


def _text_uses_stablehlo(text: str) -> bool:
    """Whether MLIR text has StableHLO-family ops, types or attributes (outside comments)."""
    code = []
    last = 0
    for m in _STRING_OR_COMMENT.finditer(text):
        code.append(text[last : m.start()])
        token = m.group()
        if token.startswith('"') and _GENERIC_OP.match(text, m.start()):
            return True
        code.append('""' if token.startswith('"') else "")
        last = m.end()
    code.append(text[last:])
    stripped = "".join(code)
    return bool(_PRETTY_OP.search(stripped) or _DIALECT_SYMBOL.search(stripped))


@dataclass(frozen=True)
class Source:
    """A program as the user gave it: raw content plus where it came from.

    ``dialects`` is set for bytecode (read from its dialect section) and lets
    routing avoid guessing from substrings of binary data.
    """

    content: str | bytes
    filename: str
    format: InputFormat
    dialects: tuple[str, ...] | None = None

    @property
    def is_stablehlo(self) -> bool:
        """Whether the program needs the StableHLO ingress before upstream MLIR can read it."""
        if self.format in (InputFormat.PORTABLE_ARTIFACT, InputFormat.JAX_EXPORT):
            return True
        if isinstance(self.content, bytes):
            if self.dialects is None:
                try:
                    dialects = read_bytecode_info(self.content).dialects
                except BytecodeFormatError:
                    return False
            else:
                dialects = self.dialects
            return not STABLEHLO_DIALECTS.isdisjoint(dialects)
        return _text_uses_stablehlo(self.content)


def _is_jax_export(data: bytes) -> str | None:
    """``None`` if ``data`` deserializes as a ``jax.export`` artifact, else why not."""
    try:
        from jax import export as jax_export

        jax_export.deserialize(bytearray(data))
    except ImportError as exc:  # flatbuffers is a declared dependency; say so if it is missing
        return f"reading jax.export artifacts needs {exc.name or 'flatbuffers'}"
    except Exception as exc:  # noqa: BLE001 - anything a malformed flatbuffer raises
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def _describe_binary(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "contains NUL bytes"
    except UnicodeDecodeError as exc:
        return f"not UTF-8 at byte {exc.start}"


def detect_format(data: bytes, filename: str = "<input>") -> InputFormat:
    """The format of ``data``; unrecognizable or broken binaries are a :class:`TilewrightError`."""
    return source_from_bytes(data, filename).format


def source_from_bytes(data: bytes, filename: str) -> Source:
    """Classify raw bytes (from a file, stdin or the Python API) into a :class:`Source`."""
    loc = SourceLocation(filename)
    if data.startswith(MLIR_BYTECODE_MAGIC):
        try:
            info = read_bytecode_info(data)
        except BytecodeFormatError as exc:
            raise TilewrightError(f"truncated or corrupt MLIR bytecode: {exc}", loc) from None
        fmt = InputFormat.PORTABLE_ARTIFACT if "vhlo" in info.dialects else InputFormat.MLIR_BYTECODE
        return Source(data, filename, fmt, info.dialects)
    if b"\x00" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return Source(text.removeprefix("\ufeff"), filename, InputFormat.MLIR_TEXT)
    why_not = _is_jax_export(data)
    if why_not is None:
        return Source(data, filename, InputFormat.JAX_EXPORT)
    if len(data) >= 8 and data[4:8] != b"\x00\x00\x00\x00" and int.from_bytes(data[:4], "little") < len(data):
        # A flatbuffer starts with the offset of its root table: likely a damaged jax.export artifact.
        raise TilewrightError(f"corrupt jax.export artifact or unrecognized binary input ({why_not})", loc)
    raise TilewrightError(
        "unrecognized input format: not MLIR text "
        f"({_describe_binary(data)}), not MLIR bytecode (no 'ML\\xefR' magic), not a jax.export artifact",
        loc,
    )


def read_source(path: str | Path) -> Source:
    """Read a user's file (``-`` is stdin), with clear errors for what is not a file."""
    name = str(path)
    if name == "-":
        data = sys.stdin.buffer.read()
        if not data.strip():
            raise TilewrightError("input is empty", SourceLocation("<stdin>"))
        return source_from_bytes(data, "<stdin>")
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


def _exported_bytes(obj: Any) -> bytes | None:
    """The serialized form of a ``jax.export.Exported``, recognized without importing jax."""
    if hasattr(obj, "mlir_module_serialized") and callable(getattr(obj, "serialize", None)):
        return bytes(obj.serialize())
    return None


def as_source(source: Any, filename: str | None = None) -> Source:
    """Normalize what the Python API accepts: a path, MLIR text, raw bytes, or a ``jax.export.Exported``."""
    if isinstance(source, Source):
        return source
    if isinstance(source, Path):
        return read_source(source)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data.strip():
            raise TilewrightError("input is empty", SourceLocation(filename or "<bytes>"))
        return source_from_bytes(data, filename or "<bytes>")
    exported = _exported_bytes(source)
    if exported is not None:
        return source_from_bytes(exported, filename or f"<jax.export {getattr(source, 'fun_name', '')}>")
    if not isinstance(source, str):
        raise TilewrightError(
            f"cannot compile a {type(source).__name__}: expected a path, MLIR text, bytes, "
            "an mlir.ir.Module or a jax.export.Exported"
        )
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
