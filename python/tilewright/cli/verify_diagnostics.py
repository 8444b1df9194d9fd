"""``--verify-diagnostics``: check emitted diagnostics against ``expected-*`` comments.

Directives follow upstream MLIR's syntax::

    // expected-error {{substring}}          on this line
    // expected-error@+1 {{substring}}       N lines below (or @-N above)
    // expected-error@above {{substring}}    the previous line (@below: next)
    // expected-error@12 {{substring}}       absolute line 12
    // expected-warning / -note / -remark    other severities

Every error, warning and remark must be expected, and every directive must be
met; notes are only checked when a directive expects them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tilewright.diagnostics import Diagnostic

_DIRECTIVE = re.compile(
    r"expected-(?P<severity>error|warning|note|remark)(?:@(?P<where>above|below|[+-]\d+|\d+))?\s*\{\{(?P<msg>.*?)\}\}"
)


@dataclass
class Expected:
    severity: str
    line: int
    message: str
    directive_line: int
    matched: bool = False


def parse_directives(text: str, first_line: int = 1) -> list[Expected]:
    expected = []
    for offset, line in enumerate(text.splitlines()):
        lineno = first_line + offset
        for m in _DIRECTIVE.finditer(line):
            where = m.group("where")
            if where is None:
                target = lineno
            elif where == "above":
                target = lineno - 1
            elif where == "below":
                target = lineno + 1
            elif where[0] in "+-":
                target = lineno + int(where)
            else:
                target = int(where)
            expected.append(Expected(m.group("severity"), target, m.group("msg"), lineno))
    return expected


def _flatten(diags: list[Diagnostic]) -> list[Diagnostic]:
    flat: list[Diagnostic] = []
    for d in diags:
        flat.append(d)
        flat.extend(_flatten(d.notes))
    return flat


def verify(text: str, diagnostics: list[Diagnostic], filename: str, first_line: int = 1) -> list[str]:
    """Return error lines for mismatches (empty when everything was expected)."""
    expected = parse_directives(text, first_line)
    checks_notes = any(e.severity == "note" for e in expected)
    problems = []
    for diag in _flatten(diagnostics):
        if diag.severity == "note" and not checks_notes:
            continue
        line = diag.location.line if diag.location else 0
        match = next(
            (
                e
                for e in expected
                if not e.matched and e.severity == diag.severity and e.line == line and e.message in diag.message
            ),
            None,
        )
        if match is None:
            where = diag.location or filename
            problems.append(f"{where}: error: unexpected {diag.severity}: {diag.message}")
        else:
            match.matched = True
    for e in expected:
        if not e.matched:
            problems.append(
                f'{filename}:{e.directive_line}:1: error: expected {e.severity} "{e.message}" '
                f"on line {e.line} was not produced"
            )
    return problems
