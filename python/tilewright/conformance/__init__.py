"""The StableHLO conformance runner behind ``tilewright conformance``.

Runs the StableHLO testdata programs (``@main`` computing values and checking
them with ``check.expect_*``) through tilewright: checks become results
(:mod:`.rewrite`), each case runs isolated in a forked child (:mod:`.runner`)
and is judged with the reference interpreter's semantics (:mod:`.checks`).
"""

from tilewright.conformance.cases import Case, discover, parse_name
from tilewright.conformance.checks import Check, compare
from tilewright.conformance.runner import CaseResult, Totals, run_case_forked, run_cases, totals

__all__ = [
    "Case",
    "CaseResult",
    "Check",
    "Totals",
    "compare",
    "discover",
    "parse_name",
    "run_case_forked",
    "run_cases",
    "totals",
]
