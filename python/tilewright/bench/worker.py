"""A peer implementation in a process of its own, driven over a pipe by ``tilewright bench``.

Started as a script (``python worker.py``), never imported as part of the
``tilewright`` package: the parent gives each peer the environment it needs
(OpenBLAS variables removed for numpy, ``XLA_FLAGS`` for XLA) before any
library reads it, and IREE's compiler bindings cannot share a process with
upstream MLIR's. So this file imports nothing from tilewright.

Protocol: length-prefixed pickles on stdin/stdout (stdout is moved to stderr,
so library chatter cannot corrupt the stream). Requests:

- ``{"op": "setup", "peer": ..., "threads": N, ...}`` -> ``{"ok", "result", "info", "compile_s"}``:
  prepares the peer (compiles, lays operands out) and runs it once; ``result``
  is what the parent checks against tilewright's before any timing.
- ``{"op": "batch", "calls": n}`` -> ``{"ok", "wall_s", "cpu_s"}``: n calls back to back.
- ``{"op": "quit"}``.
"""

from __future__ import annotations

import importlib.metadata
import os
import pickle
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

_HEADER = struct.Struct("<Q")


def send(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    """The next message, or ``None`` at end of stream (the other side is gone)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class Peer:
    """A prepared implementation: ``call()`` runs the program once on resident inputs."""

    call: Callable[[], Any]
    info: dict[str, Any]
    compile_s: float | None = None

    def first_result(self) -> list[Any]:
        raise NotImplementedError


class NumpyPeer(Peer):
    """numpy.matmul (OpenBLAS) on operands laid out as (batch, M, K) x (batch, K, N) before timing."""

    def __init__(self, request: dict[str, Any]) -> None:
        import numpy as np
        from threadpoolctl import threadpool_info, threadpool_limits

        self._limiter = threadpool_limits(limits=request["threads"], user_api="blas")  # held for the process
        plan = request["plan"]
        inputs = request["inputs"]
        lhs = np.transpose(inputs[plan["lhs_arg"]], plan["lhs_perm"]).reshape(plan["lhs_shape"])
        rhs = np.transpose(inputs[plan["rhs_arg"]], plan["rhs_perm"]).reshape(plan["rhs_shape"])
        self._lhs = np.ascontiguousarray(lhs)
        self._rhs = np.ascontiguousarray(rhs)
        self._result_shape = tuple(plan["result_shape"])
        self.call = lambda: np.matmul(self._lhs, self._rhs)
        blas = [
            {k: entry.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "threading_layer")}
            for entry in threadpool_info()
            if entry.get("user_api") == "blas"
        ]
        self.info = {"numpy": np.__version__, "blas": blas}

    def first_result(self) -> list[Any]:
        return [self.call().reshape(self._result_shape)]


class XlaPeer(Peer):
    """The StableHLO program compiled by XLA CPU (jaxlib), inputs resident on the CPU device."""

    def __init__(self, request: dict[str, Any]) -> None:
        import jax
        import jaxlib
        from jax._src import xla_bridge
        from jax._src.lib import xla_client

        backend = xla_bridge.get_backend("cpu")
        device = backend.devices()[0]
        start = time.perf_counter()
        executable = backend.compile_and_load(
            request["program"], xla_client.DeviceList((device,)), xla_client.CompileOptions()
        )
        self.compile_s = time.perf_counter() - start
        buffers = [jax.device_put(a, device) for a in request["inputs"]]
        for b in buffers:
            b.block_until_ready()

        def call() -> list[Any]:
            outputs = executable.execute_sharded(buffers).disassemble_into_single_device_arrays()
            arrays = [per_device[0] for per_device in outputs]
            for a in arrays:
                a.block_until_ready()
            return arrays

        self.call = call
        self.info = {
            "jaxlib": jaxlib.__version__,
            "platform": backend.platform_version,
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
        }

    def first_result(self) -> list[Any]:
        import numpy as np

        return [np.asarray(a) for a in self.call()]


class IreePeer(Peer):
    """The StableHLO program compiled by IREE for llvm-cpu (host CPU); local-sync for one thread."""

    def __init__(self, request: dict[str, Any]) -> None:
        import iree.compiler as iree_compiler
        import iree.runtime as rt

        threads = request["threads"]
        flags = ["--iree-llvmcpu-target-cpu=host"]
        start = time.perf_counter()
        vmfb = iree_compiler.compile_str(
            request["program"], target_backends=["llvm-cpu"], input_type="stablehlo", extra_args=flags
        )
        self.compile_s = time.perf_counter() - start
        driver = "local-sync" if threads == 1 else "local-task"
        if driver == "local-task":
            rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
        config = rt.Config(driver)
        context = rt.SystemContext(config=config)
        module = rt.VmModule.copy_buffer(context.instance, vmfb)
        context.add_vm_module(module)
        function = context.modules[module.name][request["entry"]]
        arguments = [rt.asdevicearray(config.device, a) for a in request["inputs"]]
        self.call = lambda: function(*arguments)
        self.info = {
            "iree": importlib.metadata.version("iree-base-runtime"),
            "driver": driver,
            "compile_flags": flags,
            "task_topology_max_group_count": threads if driver == "local-task" else None,
        }

    def first_result(self) -> list[Any]:
        import numpy as np

        out = self.call()
        outputs = list(out) if isinstance(out, tuple | list) else [out]
        return [np.asarray(o.to_host() if hasattr(o, "to_host") else o) for o in outputs]


PEERS: dict[str, type[Peer]] = {"numpy": NumpyPeer, "jax": XlaPeer, "iree": IreePeer}


def _batch(peer: Peer, calls: int) -> dict[str, Any]:
    call = peer.call
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    for _ in range(calls):
        call()
    wall1, cpu1 = time.perf_counter(), _cpu_seconds()
    return {"ok": True, "wall_s": wall1 - wall0, "cpu_s": cpu1 - cpu0}


def _headline(message: str) -> str:
    """The line of a (possibly long, compiler-generated) message that says what went wrong."""
    lines = [ln.strip() for ln in message.strip().splitlines() if ln.strip()]
    return next((ln for ln in lines if "error:" in ln), lines[0] if lines else "")


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    peer: Peer | None = None
    while True:
        request = receive(requests)
        if request is None or request.get("op") == "quit":
            return
        try:
            if request["op"] == "setup":
                peer = PEERS[request["peer"]](request)
                result = peer.first_result()
                reply = {"ok": True, "result": result, "info": peer.info, "compile_s": peer.compile_s}
            elif request["op"] == "batch":
                assert peer is not None, "batch before setup"
                reply = _batch(peer, request["calls"])
            else:
                reply = {"ok": False, "error": f"unknown request {request['op']!r}"}
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as a message
            if os.environ.get("TILEWRIGHT_DEBUG"):
                traceback.print_exc()
            reply = {"ok": False, "error": f"{type(exc).__name__}: {_headline(str(exc))}"}
        send(replies, reply)


def main() -> int:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by a library goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
