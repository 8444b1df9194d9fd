"""PTX (in-process, upstream's ``gpu-module-to-binary{format=isa}``) and cubin (``ptxas``).

The ``nvvm`` stage's module holds one ``gpu.module @kernels`` with its ``#nvvm.target``; its
PTX is read from the ``gpu.binary`` that serialization makes of a copy (the ``nvvm`` module
itself stays, the artifact's host sequence is read from it). Kernels that call libdevice
(``__nv_expf``...) get it linked from the CUDA toolkit (:mod:`.toolkit`).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from mlir import ir

from tilewright.diagnostics import InternalError, TilewrightError
from tilewright.pipeline import run_pipeline
from tilewright.target.nvvm import toolkit


def calls_libdevice(module: ir.Module) -> bool:
    return "@__nv_" in module.operation.get_asm(large_elements_limit=1)


def ptx_of(module: ir.Module, filename: str) -> str:
    """The PTX of ``module``'s kernels ("" when it has none)."""
    from mlir.dialects import gpu

    copy = ir.Module.parse(module.operation.get_asm(enable_debug_info=True), module.context)
    link = f" l={toolkit.libdevice()}" if calls_libdevice(copy) else ""
    run_pipeline(copy, [f"gpu-module-to-binary{{format=isa{link}}}"], filename, "stage 'ptx'")
    texts = []
    with module.context:
        for op in copy.body.operations:
            if op.operation.name == "gpu.binary":
                for obj in ir.ArrayAttr(op.operation.attributes["objects"]):
                    texts.append(gpu.ObjectAttr(obj).object.decode())
    return "\n".join(texts)


def cubin_of(ptx: str, arch: str, opt_level: int = 3) -> bytes:
    """``ptxas -arch=ARCH`` of ``ptx``: the cubin, or an error with ptxas's first lines."""
    tool = toolkit.ptxas()
    with tempfile.TemporaryDirectory(prefix="tilewright-ptxas-") as tmp:
        src, out = Path(tmp) / "kernels.ptx", Path(tmp) / "kernels.cubin"
        src.write_text(ptx)
        argv = [tool, f"-arch={arch}", f"-O{opt_level}", str(src), "-o", str(out)]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        except OSError as exc:
            raise TilewrightError(f"cannot run ptxas ({tool}): {exc.strerror}") from None
        if proc.returncode != 0:
            lines = " ".join(proc.stderr.strip().splitlines()[:3])
            raise InternalError("cubin", f"ptxas -arch={arch} rejected the PTX: {lines}")
        return out.read_bytes()
