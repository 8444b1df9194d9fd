"""Crash isolation: run work in a forked child and say how it ended.

The MLIR/LLVM libraries are built with assertions, so a bug (tilewright's or
upstream's) can abort the process. The CLIs and the conformance runner
therefore run the work in a forked child. The child reports the compiler stage
it enters (:func:`tilewright.diagnostics.enter_stage`) and, when the work
returns, its exit code, on a pipe; its stderr is captured. The parent decides
from ``waitpid`` alone:

* the child reported its exit code and exited with it: the work **finished**;
* a signal ended it: it **crashed** (``crashed with SIGABRT in stage 'S'``);
* it exited without reporting (native code called ``exit()``, as LLVM's fatal
  errors do): it **crashed** too (``exited with status 1 in stage 'S'``);
* the parent killed it at the deadline: it **timed out**.

The captured stderr never decides; its first ``Assertion`` line is only shown
as the detail of a crash.

Fork safety: ``fork()`` copies the calling thread only, so a lock that another
thread held (XLA's thread pools once JAX has run, a ``multiprocessing`` queue's
feeder thread) stays locked in the child forever. The process that forks must
be single-threaded: the CLIs fork at startup, before JAX is imported; the
conformance runner forks from workers started with ``spawn`` that import
jaxlib's MLIR but never JAX, and keep no threads. :func:`run_forked` refuses
to fork a process with other threads (:class:`ForkUnsafeError`), so the
deadlock JAX warns about cannot happen.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from tilewright.diagnostics import set_stage_listener

EXIT_ERROR = 1
_STDERR_CAP = 1 << 20  # with cap_stderr, a stderr past 1 MiB is cut down to its last 64 KiB
_STDERR_TAIL = 1 << 16


class ForkUnsafeError(RuntimeError):
    """This process runs other threads, so a forked child could deadlock."""


def thread_count() -> int:
    """Threads of this process, native ones included (Linux /proc; elsewhere Python's own)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def can_fork() -> bool:
    """Whether :func:`run_forked` may fork here: ``os.fork`` exists and this process is single-threaded."""
    return hasattr(os, "fork") and thread_count() == 1


class Channel:
    """The child's side of the report pipe: the stage it is in, messages for the parent."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def stage(self, name: str) -> None:
        self._write(f"stage {name}")

    def send(self, text: str) -> None:
        """A one-line message (e.g. JSON) for the parent: :attr:`ChildOutcome.messages`."""
        self._write("send " + text.replace("\n", " "))

    def finish(self, code: int) -> None:
        """Tell the parent the work returned ``code`` (only :func:`run_forked`'s child calls this)."""
        self._write(f"exit {code}")

    def _write(self, line: str) -> None:
        data = (line + "\n").encode()
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError:  # the parent is gone: nobody to tell
            pass


@dataclass
class ChildOutcome:
    """How a forked child ended (see the module docstring for the classification)."""

    status: int  # os.waitpid's status
    finished: bool  # the work returned and the child exited with its code
    timed_out: bool
    stage: str  # the last stage the child entered ("startup" if none)
    stderr: str  # the child's stderr (and stdout, if merged)
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timeout: float | None = None

    @property
    def exit_code(self) -> int | None:
        """The work's exit code, when it finished."""
        return os.waitstatus_to_exitcode(self.status) if self.finished else None

    @property
    def signal_name(self) -> str | None:
        if not os.WIFSIGNALED(self.status):
            return None
        number = os.WTERMSIG(self.status)
        try:
            return signal.Signals(number).name
        except ValueError:
            return f"signal {number}"

    @property
    def reason(self) -> str:
        """One line for a child that did not finish; empty when it did."""
        if self.finished:
            return ""
        where = f"in stage '{self.stage}'"
        if self.timed_out:
            return f"timeout after {self.timeout:g}s {where}"
        if self.signal_name is not None:
            return f"crashed with {self.signal_name} {where}"
        return f"exited with status {os.waitstatus_to_exitcode(self.status)} {where}"

    @property
    def assertion(self) -> str:
        """The first failed assertion on stderr (its message), or ""; detail to show, never a verdict."""
        line = next((line for line in self.stderr.splitlines() if "Assertion" in line), "")
        return line.split(": ", 1)[-1] if line else ""


def run_forked(
    work: Callable[[Channel], int],
    *,
    timeout: float | None = None,
    merge_stdout: bool = False,
    cap_stderr: bool = False,
) -> ChildOutcome:
    """Run ``work(channel)`` in a forked child; its return value is the child's exit code.

    Stages the child enters are reported through ``channel`` (the child's stage
    listener), as is anything it ``send``\\ s. Its stderr (with ``merge_stdout``,
    its stdout too) is captured; ``cap_stderr`` keeps only the tail of a huge one.
    Past ``timeout`` seconds the child is killed. If the parent is interrupted
    while waiting (Ctrl-C, ``SystemExit``), the child is killed and reaped first.
    """
    if not hasattr(os, "fork"):
        raise ForkUnsafeError("this platform cannot fork")
    threads = thread_count()
    if threads != 1:
        raise ForkUnsafeError(f"will not fork a process running {threads} threads: the child could deadlock")
    report_r, report_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        os.close(err_r)
        _child(work, report_w, err_w, merge_stdout)  # never returns
    os.close(report_w)
    os.close(err_w)
    deadline = started + timeout if timeout is not None else None
    try:
        report, stderr, timed_out = _drain(pid, report_r, err_r, deadline, cap_stderr)
        _, status = os.waitpid(pid, 0)
    except BaseException:
        _kill(pid)
        os.waitpid(pid, 0)
        raise
    stages = [line[6:] for line in report if line.startswith("stage ")]
    exits = [line[5:] for line in report if line.startswith("exit ")]
    finished = (
        not timed_out and bool(exits) and os.WIFEXITED(status) and os.waitstatus_to_exitcode(status) == int(exits[-1])
    )
    return ChildOutcome(
        status=status,
        finished=finished,
        timed_out=timed_out,
        stage=stages[-1] if stages else "startup",
        stderr=stderr,
        messages=[line[5:] for line in report if line.startswith("send ")],
        seconds=time.monotonic() - started,
        timeout=timeout,
    )


def _child(work: Callable[[Channel], int], report_fd: int, err_fd: int, merge_stdout: bool) -> None:
    """The forked child: run ``work``, report its exit code, leave with ``os._exit`` whatever happens."""
    code = EXIT_ERROR
    channel = Channel(report_fd)
    try:
        import faulthandler

        faulthandler.disable()  # the parent reports crashes; no Python stack dumps
        os.dup2(err_fd, 2)
        if merge_stdout:
            os.dup2(err_fd, 1)
        set_stage_listener(channel.stage)
        try:
            code = work(channel)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_ERROR)
        code = code if isinstance(code, int) and 0 <= code < 256 else EXIT_ERROR
        sys.stdout.flush()
        sys.stderr.flush()
        channel.finish(code)
    except BaseException:  # noqa: BLE001 - not finished: the parent says how it ended
        traceback.print_exc()
        code = EXIT_ERROR
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _drain(
    pid: int, report_r: int, err_r: int, deadline: float | None, cap_stderr: bool
) -> tuple[list[str], str, bool]:
    """Read the report pipe and stderr until both close, or until the deadline (then kill the child)."""
    buffers: dict[int, list[bytes]] = {report_r: [], err_r: []}
    open_fds = [report_r, err_r]
    timed_out = False
    try:
        while open_fds:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                _kill(pid)
                timed_out = True
                break
            ready, _, _ = select.select(open_fds, [], [], remaining)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.remove(fd)
                    continue
                buffers[fd].append(chunk)
                if cap_stderr and fd == err_r and sum(map(len, buffers[fd])) > _STDERR_CAP:
                    buffers[fd] = [b"".join(buffers[fd])[-_STDERR_TAIL:]]
    finally:
        os.close(report_r)
        os.close(err_r)
    report = b"".join(buffers[report_r]).decode(errors="replace").splitlines()
    return report, b"".join(buffers[err_r]).decode(errors="replace"), timed_out
