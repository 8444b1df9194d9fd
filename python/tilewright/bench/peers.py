"""The implementations tilewright is compared with, each in a worker process of its own.

- ``numpy``: ``numpy.matmul`` (OpenBLAS), only when the entry's payload is one
  ``dot_general``/``dot`` of its arguments (possibly transposed, as JAX writes
  ``a @ b.T``): the operands are laid out as (batch, M, K) x (batch, K, N)
  before timing, so only the BLAS call is measured.
- ``jax``: the same StableHLO program compiled by XLA CPU (jaxlib).
- ``iree``: the same StableHLO program compiled by IREE for ``llvm-cpu`` with
  ``--iree-llvmcpu-target-cpu=host`` (optional: ``pip install tilewright[bench]``).

Why separate processes: each peer's environment must be its own. OpenBLAS
reads ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` once at load (they force a
slow kernel on the development machines, so the numpy worker drops them), XLA
reads ``XLA_FLAGS`` once per process, and IREE's compiler bindings cannot be
loaded next to upstream MLIR's. Workers inherit the CPU affinity, so
``taskset -c 0 tilewright bench ...`` pins all of them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tilewright.diagnostics import SourceLocation, TilewrightError

PEER_NAMES: tuple[str, ...] = ("numpy", "jax", "iree")
WORKER_SCRIPT = Path(__file__).with_name("worker.py")
# Set on this machine to force a generic (slow) OpenBLAS kernel; removed for the numpy worker only.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# numpy.matmul reaches BLAS only for these element types.
BLAS_ELEMENT_TYPES = ("f32", "f64", "complex<f32>", "complex<f64>")


def bench_error(message: str) -> TilewrightError:
    """A user error of the command itself: ``tilewright bench: error: ...``."""
    return TilewrightError(message, SourceLocation("tilewright bench"))


def parse_compare(text: str) -> list[str]:
    """``"numpy,jax"`` -> ``["numpy", "jax"]``; unknown names are a user error."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PEER_NAMES]
    if unknown:
        raise bench_error(f"--compare: unknown peer '{unknown[0]}' (known: {', '.join(PEER_NAMES)})")
    return list(dict.fromkeys(names))


def iree_available() -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("iree.compiler", "iree.runtime"))
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class StableHLOProgram:
    """The user's program as StableHLO text (what XLA and IREE compile) and the numpy plan, if any."""

    text: str
    numpy_plan: dict[str, Any] | None
    numpy_reason: str  # why numpy does not apply (empty if it does)


def read_stablehlo(source: Any, entry: str) -> StableHLOProgram | None:
    """Parse the user's StableHLO (any accepted format) in jaxlib's MLIR; ``None`` if not StableHLO."""
    if not source.is_stablehlo:
        return None
    from tilewright.ingress.stablehlo import jax_context, parse_stablehlo

    ctx = jax_context()
    module = parse_stablehlo(source, ctx)
    with ctx:
        plan, reason = _numpy_plan(module, entry)
        text = module.operation.get_asm()
    return StableHLOProgram(text, plan, reason)


def _element(type_: Any) -> str:
    return str(type_.element_type)


def _numpy_plan(module: Any, entry: str) -> tuple[dict[str, Any] | None, str]:
    """How numpy.matmul computes the entry, if its payload is one contraction of (transposed) arguments."""
    from jaxlib.mlir import ir as jir
    from jaxlib.mlir.dialects import stablehlo

    func = next(
        (
            op.operation
            for op in module.body.operations
            if op.operation.name == "func.func" and op.operation.attributes["sym_name"].value == entry
        ),
        None,
    )
    if func is None:
        return None, f"no function '@{entry}'"
    block = func.regions[0].blocks[0]
    # value -> (argument index, permutation): value dim j is argument dim perm[j]
    layout: dict[Any, tuple[int, list[int]]] = {
        arg: (i, list(range(jir.RankedTensorType(arg.type).rank))) for i, arg in enumerate(block.arguments)
    }
    dot = None
    for op in block.operations:
        op = op.operation
        if op.name == "stablehlo.transpose" and op.operands[0] in layout:
            index, perm = layout[op.operands[0]]
            permutation = list(jir.DenseI64ArrayAttr(op.attributes["permutation"]))
            layout[op.results[0]] = (index, [perm[p] for p in permutation])
        elif op.name in ("stablehlo.dot_general", "stablehlo.dot") and dot is None:
            dot = op
        elif op.name == "func.return":
            if dot is None or len(op.operands) != 1 or op.operands[0] != dot.results[0]:
                return None, "the entry does not return one contraction"
        else:
            return None, f"the payload is not a single contraction (it has '{op.name}')"
    if dot is None:
        return None, "the payload has no contraction"
    lhs, rhs = dot.operands[0], dot.operands[1]
    if lhs not in layout or rhs not in layout:
        return None, "a contraction operand is not a (transposed) argument"
    lhs_type, rhs_type = jir.RankedTensorType(lhs.type), jir.RankedTensorType(rhs.type)
    result_type = jir.RankedTensorType(dot.results[0].type)
    elements = {_element(lhs_type), _element(rhs_type), _element(result_type)}
    if len(elements) != 1 or next(iter(elements)) not in BLAS_ELEMENT_TYPES:
        return None, f"element types {sorted(elements)} are not one BLAS type"
    if dot.name == "stablehlo.dot":
        lhs_batch, rhs_batch, lhs_contract, rhs_contract = [], [], [lhs_type.rank - 1], [0]
    else:
        dn = stablehlo.DotDimensionNumbers(dot.attributes["dot_dimension_numbers"])
        lhs_batch, rhs_batch = list(dn.lhs_batching_dimensions), list(dn.rhs_batching_dimensions)
        lhs_contract, rhs_contract = list(dn.lhs_contracting_dimensions), list(dn.rhs_contracting_dimensions)
    lhs_free = [d for d in range(lhs_type.rank) if d not in lhs_batch + lhs_contract]
    rhs_free = [d for d in range(rhs_type.rank) if d not in rhs_batch + rhs_contract]

    def extent(t: Any, dims: list[int]) -> int:
        size = 1
        for d in dims:
            size *= t.get_dim_size(d)
        return size

    b, m, k, n = (
        extent(lhs_type, lhs_batch),
        extent(lhs_type, lhs_free),
        extent(lhs_type, lhs_contract),
        extent(rhs_type, rhs_free),
    )
    lhs_arg, lhs_perm = layout[lhs]
    rhs_arg, rhs_perm = layout[rhs]
    plan = {
        "lhs_arg": lhs_arg,
        "lhs_perm": [lhs_perm[d] for d in lhs_batch + lhs_free + lhs_contract],
        "lhs_shape": [b, m, k] if lhs_batch else [m, k],
        "rhs_arg": rhs_arg,
        "rhs_perm": [rhs_perm[d] for d in rhs_batch + rhs_contract + rhs_free],
        "rhs_shape": [b, k, n] if rhs_batch else [k, n],
        "result_shape": [result_type.get_dim_size(d) for d in range(result_type.rank)],
    }
    return plan, ""


def worker_environment(peer: str, threads: int) -> dict[str, str]:
    """The environment of one peer's worker: only that process gets these changes."""
    env = dict(os.environ)
    if peer == "numpy":
        for name in OPENBLAS_OVERRIDES:
            env.pop(name, None)
    elif peer == "jax":
        env["JAX_PLATFORMS"] = "cpu"
        env["JAX_ENABLE_X64"] = "1"  # never let jax narrow f64 inputs to f32 when placing them
        if threads == 1:
            flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flags}".strip()
    return env


class Worker:
    """One peer's worker process; requests and replies are pickled messages (see worker.py)."""

    def __init__(self, peer: str, threads: int) -> None:
        from tilewright.bench import worker as protocol

        self.peer = peer
        self._protocol = protocol
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            # -P: the script's directory (this package's modules) must not shadow anything the peer imports.
            [sys.executable, "-P", "-u", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=worker_environment(peer, threads),
        )

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request; a dead worker or an error reply becomes a :class:`PeerError`."""
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            self._protocol.send(self._process.stdin, message)
            reply = self._protocol.receive(self._process.stdout)
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:
            code = self._process.wait()
            raise PeerError(self.peer, f"worker exited with code {code}{self._stderr_tail()}")
        if not reply.get("ok"):
            raise PeerError(self.peer, reply.get("error", "unknown error"))
        return reply

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = [ln for ln in self._stderr.read().decode(errors="replace").splitlines() if ln.strip()]
        return f": {lines[-1].strip()}" if lines else ""

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._protocol.send(self._process.stdin, {"op": "quit"})
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._stderr.close()


class PeerError(Exception):
    """A peer could not compile or run the program."""

    def __init__(self, peer: str, reason: str) -> None:
        super().__init__(f"{peer}: {reason}")
        self.peer = peer
        self.reason = reason
