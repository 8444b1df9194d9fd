"""The CUDA tools the NVVM target uses outside MLIR: ``ptxas`` (PTX -> cubin) and libdevice
(the ``__nv_*`` math functions kernels may call), found on ``PATH`` or under ``CUDA_HOME``.

Nothing else of CUDA is needed to compile; a missing tool is an error naming it and where it
was looked for, raised only by the stages that need it (``--emit ptx`` needs neither unless a
kernel calls libdevice).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tilewright.diagnostics import TilewrightError

LIBDEVICE = Path("nvvm") / "libdevice" / "libdevice.10.bc"
FALLBACK_ROOT = Path("/usr/local/cuda")  # where the CUDA toolkit installs itself


def _cuda_roots() -> list[Path]:
    roots = [Path(os.environ[v]) for v in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT") if os.environ.get(v)]
    found = shutil.which("ptxas")
    if found:
        roots.append(Path(found).resolve().parent.parent)
    roots.append(FALLBACK_ROOT)
    return roots


def ptxas() -> str:
    """``ptxas``: ``$CUDA_HOME/bin/ptxas`` if set, else the one on ``PATH``, else ``/usr/local/cuda``'s."""
    home = os.environ.get("CUDA_HOME")
    candidates = [Path(home) / "bin" / "ptxas"] if home else []
    found = shutil.which("ptxas")
    candidates += [Path(found)] if found else []
    candidates.append(FALLBACK_ROOT / "bin" / "ptxas")
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise TilewrightError(
        "ptxas not found (needed for --emit cubin|artifact with --target nvvm): put the CUDA toolkit's bin "
        "directory on PATH or set CUDA_HOME (--emit ptx needs no CUDA tool)"
    )


def libdevice() -> Path:
    """libdevice's bitcode: under ``$CUDA_HOME`` (or the toolkit ``ptxas`` comes from)."""
    for root in _cuda_roots():
        if (root / LIBDEVICE).is_file():
            return root / LIBDEVICE
    raise TilewrightError(
        f"libdevice ({LIBDEVICE}) not found: a kernel calls CUDA math functions (__nv_*); set CUDA_HOME to "
        "a CUDA toolkit"
    )
