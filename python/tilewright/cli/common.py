"""What every tilewright command shares: error reporting and crash isolation.

Input errors are :class:`TilewrightError` and print as ``file:line:col:
error: ...`` with exit code 1. The MLIR/LLVM libraries are built with
assertions, so a bug (ours or upstream's) can abort the process; the work
therefore runs in a forked child (:mod:`tilewright.isolation`), and the parent
turns a crash into one line naming the stage that crashed, instead of a native
stack dump.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

EXIT_OK = 0
EXIT_ERROR = 1


def _print_error(text: str) -> None:
    sys.stdout.flush()
    print(text, file=sys.stderr)


def guarded(work: Callable[[], int], prog: str) -> int:
    """Run ``work``, printing user errors and unexpected exceptions as one message."""
    from tilewright.diagnostics import TilewrightError

    try:
        return work()
    except TilewrightError as exc:
        _print_error(exc.format())
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - never show users a traceback
        if os.environ.get("TILEWRIGHT_DEBUG"):
            traceback.print_exc()
        _print_error(f"{prog}: internal error: {type(exc).__name__}: {exc}")
        return EXIT_ERROR


def run_isolated(work: Callable[[], int], prog: str) -> int:
    """Run ``work`` in a forked child; a crash there becomes one internal-error message.

    The CLIs call this at startup, before JAX or MLIR has started a thread. A
    process that runs threads already (a test, a notebook calling ``main()``) is
    not forked: the work runs in it, as with ``TILEWRIGHT_NO_FORK=1``.
    """
    from tilewright.isolation import can_fork, run_forked

    if os.environ.get("TILEWRIGHT_NO_FORK") or not can_fork():
        return guarded(work, prog)
    try:
        outcome = run_forked(lambda _channel: guarded(work, prog))
    except KeyboardInterrupt:  # the child was stopped with the parent
        return 130
    if outcome.finished:
        sys.stderr.write(outcome.stderr)
        return outcome.exit_code
    if outcome.signal_name is None:  # native code exited by itself: what it printed is all there is to show
        sys.stderr.write(outcome.stderr)
    detail = f": {outcome.assertion}" if outcome.assertion else ""
    _print_error(f"{prog}: internal error: {outcome.reason}{detail}")
    return EXIT_ERROR
