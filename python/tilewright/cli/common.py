"""What every tilewright command shares: error reporting and crash isolation.

Input errors are :class:`TilewrightError` and print as ``file:line:col:
error: ...`` with exit code 1. The MLIR/LLVM libraries are built with
assertions, so a bug (ours or upstream's) can abort the process; the work
therefore runs in a forked child, and the parent turns a crash into one line
naming the stage that crashed, instead of a native stack dump.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable

EXIT_OK = 0
EXIT_ERROR = 1


def _stage_writer(fd: int) -> Callable[[str], None]:
    def report(stage: str) -> None:
        try:
            os.write(fd, (stage + "\n").encode())
        except OSError:
            pass

    return report


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
    """Run ``work`` in a forked child; a signal there becomes an internal-error message."""
    if os.environ.get("TILEWRIGHT_NO_FORK") or not hasattr(os, "fork"):
        return guarded(work, prog)
    stage_r, stage_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        import faulthandler

        faulthandler.disable()  # the parent reports crashes; no Python stack dumps
        os.close(stage_r)
        os.close(err_r)
        os.dup2(err_w, 2)
        from tilewright.diagnostics import set_stage_listener

        set_stage_listener(_stage_writer(stage_w))
        code = EXIT_ERROR
        try:
            code = guarded(work, prog)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code if isinstance(code, int) else EXIT_ERROR)
    os.close(stage_w)
    os.close(err_w)
    stderr_text = _read_all(err_r)
    stages = _read_all(stage_r).split()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        stage = stages[-1] if stages else "startup"
        assertion = next((line for line in stderr_text.splitlines() if "Assertion" in line), "")
        detail = f": {assertion.split(': ', 1)[-1]}" if assertion else ""
        _print_error(f"{prog}: internal error: crashed with {sig} in stage '{stage}'{detail}")
        return EXIT_ERROR
    sys.stderr.write(stderr_text)
    return os.WEXITSTATUS(status)


def _read_all(fd: int) -> str:
    chunks = []
    with os.fdopen(fd, "rb") as f:
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")
