"""Freeing a JIT engine whose parallel loops ran on the async runtime's workers.

A worker returns through JIT code after it marks its task's token available; freeing the
engine then unmapped that code under it (SIGSEGV in CI, and every few runs on one core).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np

import pytest

LIBRARY = Path(__file__).resolve().parents[1] / "library"
MATMUL = LIBRARY / "parallel-threads.mlir"  # a 33x40 matmul
FORALL = LIBRARY / "Inputs" / "forall-matmul.transform.mlir"  # tiled into an scf.forall


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity to share one core")
def test_engines_freed_right_after_a_parallel_call_on_one_core():
    """On one core the woken caller runs before the worker finishes returning: each engine is
    freed at once after its call. Without the wait for idle workers, this crashed within 40 engines."""
    code = textwrap.dedent(
        """
        import os, sys, numpy as np
        from pathlib import Path
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        import tilewright
        from tilewright.compiler import Executable
        exe = tilewright.compile(Path(sys.argv[1]), schedule=Path(sys.argv[2]).read_text(), threads=2)
        rng = np.random.default_rng(0)
        a, b = rng.random((33, 17), np.float32), rng.random((17, 40), np.float32)
        for _ in range(int(sys.argv[3])):
            fresh = Executable(exe.compilation)  # a new engine over the same module
            assert np.allclose(fresh(a, b), a @ b, rtol=1e-5), "wrong result"
            del fresh  # freed while the worker may still be returning through its code
        print("freed all")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(MATMUL), str(FORALL), "60"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert "freed all" in proc.stdout


def test_wait_for_idle_workers_returns_once_every_worker_arrived():
    import tilewright
    from tilewright.target.cpu import workers

    exe = tilewright.compile(MATMUL, schedule=FORALL.read_text(), threads=2)
    a, b = np.ones((33, 17), np.float32), np.ones((17, 40), np.float32)
    assert (exe(a, b) == 17).all()
    with workers._lock:
        workers.wait_for_idle_workers()  # returns (a barrier with a wrong count never would)


def test_engine_freed_while_another_thread_waits_is_kept_pending_then_freed():
    """A finalizer on a second thread does not wait for the lock: its engine waits in the
    pending list, and the next release frees both."""
    from tilewright.target.cpu import workers

    freed: list[str] = []

    class Probe:
        def __init__(self, name: str) -> None:
            self.name = name

        def __del__(self) -> None:
            freed.append(self.name)

    with workers._lock:
        other = threading.Thread(target=workers.release, args=(Probe("first"),))
        other.start()
        other.join()
        assert freed == [] and len(workers._pending) == 1
    workers.release(Probe("second"))
    assert sorted(freed) == ["first", "second"]
    assert workers._pending == []
