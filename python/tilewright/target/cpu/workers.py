"""Freeing JIT code that the async runtime's worker threads may still be returning through.

A parallel loop's task marks its token available, then returns through the rest of its
coroutine in the JIT's code (it frees its frame). The caller wakes on the token, returns,
and may free the engine, unmapping that code under the worker: SIGSEGV. It happened on
the loaded 2-core CI machine, and pinned to one core it happens every few runs.

So an engine whose code runs tasks is freed only after every worker was seen idle. Each
worker of the pool takes one task that waits at a barrier with the thread that frees. Once
all of them have arrived, every task queued before them has returned, and no worker is
inside JIT code.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import threading
from typing import Any

_RESUME = ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # the runtime's task: resume(handle)
_BARRIER_BYTES = 64  # sizeof(pthread_barrier_t) is 32 on x86-64 glibc; room to spare

_lock = threading.Lock()  # one wait at a time
_pending: list[Any] = []  # engines to free once the workers are idle
_exiting = False  # after the exit-time wait nothing runs tasks: engines are freed at once
_engines_ran_tasks = False  # whether any engine of this process could have queued tasks


@functools.cache
def _libraries() -> tuple[Any, Any]:
    """The async runtime (loaded process-wide by the CPU target) and libc, with their signatures.

    The workers' task is libc's ``pthread_barrier_wait`` itself, not a Python callback: a
    worker then needs no GIL, which a thread cannot take once the interpreter is exiting."""
    from tilewright.target.cpu.llvm import async_runtime_library

    runtime = async_runtime_library()
    runtime.mlirAsyncRuntimGetNumWorkerThreads.restype = ctypes.c_int64  # sic: upstream's name
    runtime.mlirAsyncRuntimGetNumWorkerThreads.argtypes = []
    runtime.mlirAsyncRuntimeExecute.restype = None
    runtime.mlirAsyncRuntimeExecute.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    for name in ("pthread_barrier_init", "pthread_barrier_wait", "pthread_barrier_destroy"):
        getattr(libc, name).restype = ctypes.c_int
    libc.pthread_barrier_init.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
    libc.pthread_barrier_wait.argtypes = [ctypes.c_void_p]
    libc.pthread_barrier_destroy.argtypes = [ctypes.c_void_p]
    return runtime, libc


def wait_for_idle_workers() -> None:
    """Block until every worker of the async runtime's pool has returned from what it ran.

    One task per worker, each waiting at a barrier with this thread: they can only all
    arrive once every worker has taken one, that is, finished everything queued before.
    Workers never block inside the code the library generates, so this wait is bounded by
    the tasks running now (another Python thread's program, at most)."""
    runtime, libc = _libraries()
    workers = int(runtime.mlirAsyncRuntimGetNumWorkerThreads())
    barrier = ctypes.create_string_buffer(_BARRIER_BYTES)
    if libc.pthread_barrier_init(barrier, None, workers + 1) != 0:
        raise OSError(ctypes.get_errno(), "pthread_barrier_init failed")
    task = ctypes.cast(libc.pthread_barrier_wait, ctypes.c_void_p)
    for _ in range(workers):
        runtime.mlirAsyncRuntimeExecute(ctypes.addressof(barrier), task)
    libc.pthread_barrier_wait(barrier)  # ctypes lets go of the GIL while it waits
    libc.pthread_barrier_destroy(barrier)  # glibc returns once every worker has left it


def release(engine: Any) -> None:
    """Free ``engine`` once no worker can be inside its code.

    Called from a finalizer, so from any thread at any time: when another thread is already
    waiting for the workers, the engine is left pending and freed by the next wait."""
    _pending.append(engine)
    if _exiting or not _lock.acquire(blocking=False):
        if _exiting:
            _pending.clear()
        return
    try:
        engines = _pending[:]
        del _pending[: len(engines)]
        wait_for_idle_workers()
        engines.clear()  # the last references: the engines are freed here
    finally:
        _lock.release()


@atexit.register
def _wait_at_exit() -> None:
    """Before the interpreter tears down its modules (and the engines they hold)."""
    global _exiting
    with _lock:
        if _engines_ran_tasks:
            wait_for_idle_workers()
        _exiting = True
        _pending.clear()


class JitEngine:
    """An ``ExecutionEngine`` whose code may run tasks on the async runtime's workers: freed
    only once they are idle (see the module docstring)."""

    def __init__(self, engine: Any, runs_tasks: bool) -> None:
        global _engines_ran_tasks
        self._engine = engine
        self.runs_tasks = runs_tasks
        _engines_ran_tasks = _engines_ran_tasks or runs_tasks

    def raw_lookup(self, name: str) -> int:
        return self._engine.raw_lookup(name)

    def invoke(self, name: str, *pointers: Any) -> None:
        self._engine.invoke(name, *pointers)

    def __del__(self) -> None:
        engine, self._engine = self._engine, None
        # At exit (after the exit-time wait, or once the interpreter cleared this module's
        # globals: _exiting is then True or None) nothing runs tasks any more: freed at once.
        if self.runs_tasks and engine is not None and _exiting is False:
            release(engine)
