"""User-facing errors and MLIR diagnostic capture.

Every error a user can cause is a :class:`TilewrightError`: the CLI prints it as
``file:line:col: error: message`` and exits with status 1. Diagnostics that
MLIR emits while parsing, verifying or running passes are captured (not
printed to stderr by MLIR itself) so they can be re-reported with the user's
file name and turned into one of these errors.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceLocation:
    """A position in a user's file; ``line``/``col`` are 1-based, 0 if unknown."""

    filename: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.filename}:{self.line}:{self.col}"
        return self.filename


@dataclass
class Diagnostic:
    """One MLIR diagnostic, detached from the context that produced it."""

    severity: str  # "error" | "warning" | "note" | "remark"
    message: str
    location: SourceLocation | None
    notes: list[Diagnostic] = field(default_factory=list)

    def format(self, default_file: str = "<input>") -> str:
        loc = self.location or SourceLocation(default_file)
        lines = [f"{loc}: {self.severity}: {self.message}"]
        for note in self.notes:
            lines.append(note.format(default_file))
        return "\n".join(lines)


class TilewrightError(Exception):
    """An error in the user's input or request, reported without a traceback."""

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        diagnostics: list[Diagnostic] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.diagnostics = diagnostics or []

    def format(self) -> str:
        """Render as compiler-style lines: captured diagnostics first, else the message."""
        if self.diagnostics:
            return "\n".join(d.format(str(self.location or "<input>")) for d in self.diagnostics)
        if self.location is not None:
            return f"{self.location}: error: {self.message}"
        return f"error: {self.message}"

    def __str__(self) -> str:
        return self.format()

    def summary(self) -> str:
        """One line: the first error diagnostic's message, else the message (for warnings)."""
        first = next((d for d in self.diagnostics if d.severity == "error"), None)
        return (first.message if first is not None else self.message).splitlines()[0]


class InternalError(TilewrightError):
    """A failure inside tilewright or MLIR that valid input should never cause."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"internal error in stage '{stage}': {message}")
        self.stage = stage


_SEVERITY_NAMES = {0: "error", 1: "warning", 2: "note", 3: "remark"}


def _severity_name(severity: Any) -> str:
    name = getattr(severity, "name", None)
    if isinstance(name, str):
        return name.lower()
    return _SEVERITY_NAMES.get(int(severity), "error")


def location_of(loc: Any, default_file: str | None = None) -> SourceLocation | None:
    """Best file location for an ``ir.Location`` (from either MLIR copy).

    Call-site, fused and name locations are unwrapped to the first file
    location they contain, which is what a user wants to be pointed at.
    """
    if not hasattr(loc, "is_a_file"):  # jaxlib's older bindings: read the printed form
        return _location_from_text(str(loc), default_file)
    try:
        if loc.is_a_file():
            filename = loc.filename
            if default_file and filename in ("", "-", "<stdin>"):
                filename = default_file
            return SourceLocation(filename, loc.start_line, loc.start_col)
        if loc.is_a_callsite():
            return location_of(loc.callee, default_file)
        if loc.is_a_name():
            return location_of(loc.child_loc, default_file)
        if loc.is_a_fused():
            for inner in loc.locations:
                found = location_of(inner, default_file)
                if found is not None:
                    return found
    except Exception:  # noqa: BLE001 - an unknown location kind is not an error
        return None
    return None


_FILE_LOC = re.compile(r'"((?:[^"\\]|\\.)*)":(\d+):(\d+)')


def _location_from_text(text: str, default_file: str | None) -> SourceLocation | None:
    m = _FILE_LOC.search(text)
    if m is None:
        return None
    filename = m.group(1)
    if default_file and filename in ("", "-", "<stdin>"):
        filename = default_file
    return SourceLocation(filename, int(m.group(2)), int(m.group(3)))


def convert_diagnostic(diag: Any, default_file: str | None = None) -> Diagnostic:
    return Diagnostic(
        severity=_severity_name(diag.severity),
        message=str(diag.message),
        location=location_of(diag.location, default_file),
        notes=[convert_diagnostic(n, default_file) for n in diag.notes],
    )


class DiagnosticCollector:
    """Collects every diagnostic emitted in a context while active."""

    def __init__(self, default_file: str | None = None) -> None:
        self.default_file = default_file
        self.diagnostics: list[Diagnostic] = []

    def __call__(self, diag: Any) -> bool:
        try:
            self.diagnostics.append(convert_diagnostic(diag, self.default_file))
        except RuntimeError:  # text that is not UTF-8 (from corrupt input): keep the error, not its text
            message = "(a diagnostic whose text is not valid UTF-8: corrupt input?)"
            self.diagnostics.append(Diagnostic(_severity_name(diag.severity), message, None))
        return True  # handled: MLIR must not print it itself

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def clear(self) -> None:
        self.diagnostics.clear()


@contextlib.contextmanager
def collect_diagnostics(context: Any, default_file: str | None = None) -> Iterator[DiagnosticCollector]:
    """Capture diagnostics of ``context`` (an ``ir.Context`` of either MLIR copy)."""
    collector = DiagnosticCollector(default_file)
    handler = context.attach_diagnostic_handler(collector)
    try:
        yield collector
    finally:
        handler.detach()


def error_from_mlir(exc: Exception, collector: DiagnosticCollector, what: str, filename: str) -> TilewrightError:
    """Turn a failed MLIR call plus the diagnostics it emitted into a user error.

    The diagnostics an ``ir.MLIRError`` carries itself (``error_diagnostics``: those no
    handler took) join the collected ones, so no caller converts them by hand.
    """
    for info in getattr(exc, "error_diagnostics", None) or []:
        collector.diagnostics.append(convert_diagnostic(info, collector.default_file or filename))
    diags = list(collector.diagnostics)
    if not any(d.severity == "error" for d in diags):
        # MLIR bindings put diagnostics into the exception text when no handler took them.
        text = str(exc).strip() or f"{what} failed"
        diags.append(Diagnostic("error", text.splitlines()[0], SourceLocation(filename)))
    for d in diags:
        if d.location is None:
            d.location = SourceLocation(filename)
    return TilewrightError(f"{what} failed", SourceLocation(filename), diags)


_stage_listener: Any = None


def set_stage_listener(listener: Any) -> None:
    """Install a callable told the name of each compiler stage as it starts."""
    global _stage_listener
    _stage_listener = listener


def enter_stage(stage: str) -> None:
    """Mark the start of a stage, so a native crash inside it can be attributed."""
    if _stage_listener is not None:
        _stage_listener(stage)


_TEXT_DIAGNOSTIC = re.compile(r"^(?P<kind>Diagnostic message )?at loc\((?P<loc>.*?)\):\s*(?P<msg>.*)$")
_LOC_PARTS = re.compile(r'^"(?P<file>(?:[^"\\]|\\.)*)":(?P<line>\d+):(?P<col>\d+)')


def diagnostics_from_text(text: str, default_file: str) -> list[Diagnostic]:
    """Recover diagnostics that MLIR's bindings flattened into an exception message.

    Some entry points (the transform interpreter) raise ``ValueError`` with
    lines ``Diagnostic message at loc("f":l:c): msg`` followed by
    ``at loc(...): note`` lines; the first is the error, the rest its notes.
    """
    result: list[Diagnostic] = []
    for line in text.splitlines():
        m = _TEXT_DIAGNOSTIC.match(line.strip())
        if m is None:
            continue
        loc_match = _LOC_PARTS.match(m.group("loc"))
        location = (
            SourceLocation(loc_match.group("file"), int(loc_match.group("line")), int(loc_match.group("col")))
            if loc_match
            else SourceLocation(default_file)
        )
        if location.filename in ("-", ""):
            location = SourceLocation(default_file, location.line, location.col)
        if m.group("kind") or not result:
            result.append(Diagnostic("error", m.group("msg"), location))
        else:
            message = m.group("msg")
            if message == "target op":  # the interpreter's terse name for the payload op
                message = "when applied to this payload op"
            result[-1].notes.append(Diagnostic("note", message, location))
    return result
