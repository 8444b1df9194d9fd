"""``--emit artifact``: everything a deployment needs to run the program, in one file that the
runtime (:mod:`tilewright.runtime.artifact`) reads without MLIR. The format (:data:`FORMAT`,
:data:`VERSION`, :func:`pack`) is defined here, where it is written; this module imports no MLIR,
so the runtime reads the same definitions.

- ``cpu``: the ``obj`` stage linked into a shared object (``cc -shared``), with the one MLIR
  runtime function compiled code may call (``memrefCopy``, for copies of strided views) built
  in, so the object needs nothing but libc and libm. Parallel loops would need MLIR's async
  runtime library (which links all of LLVM): a CPU artifact is compiled for one thread.
- ``nvvm``: the kernels' cubin and PTX, and the host sequence (:mod:`.nvvm.host`).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tilewright.diagnostics import InternalError, TilewrightError

if TYPE_CHECKING:
    from tilewright.compiler import Compilation

FORMAT = "tilewright-artifact"
VERSION = 1  # the runtime refuses another version (tilewright.runtime.artifact)
MANIFEST = "manifest.json"


def pack(manifest: dict[str, Any], files: dict[str, bytes]) -> bytes:
    """The artifact as one zip file's bytes: the manifest first, then ``files``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST, json.dumps(manifest, indent=1))
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


# memrefCopy(elemSize, src, dst) of MLIR's C runner utils, for unranked memrefs of any rank.
MEMREF_COPY_C = r"""
#include <stdint.h>
#include <string.h>
typedef struct { int64_t rank; void *descriptor; } UnrankedMemRef;
typedef struct { char *allocated; char *aligned; int64_t offset; int64_t sizes_and_strides[]; } Ranked;
static void copy_dim(int64_t rank, int64_t dim, int64_t elem, const int64_t *sizes, const int64_t *src_strides,
                     const int64_t *dst_strides, const char *src, char *dst) {
  if (dim == rank) { memcpy(dst, src, (size_t)elem); return; }
  for (int64_t i = 0; i < sizes[dim]; ++i)
    copy_dim(rank, dim + 1, elem, sizes, src_strides, dst_strides, src + i * src_strides[dim] * elem,
             dst + i * dst_strides[dim] * elem);
}
void memrefCopy(int64_t elem, UnrankedMemRef *src, UnrankedMemRef *dst) {
  Ranked *s = (Ranked *)src->descriptor, *d = (Ranked *)dst->descriptor;
  int64_t rank = src->rank;
  copy_dim(rank, 0, elem, s->sizes_and_strides, s->sizes_and_strides + rank, d->sizes_and_strides + rank,
           s->aligned + s->offset * elem, d->aligned + d->offset * elem);
}
"""


def manifest_header(compilation: Compilation) -> dict[str, Any]:
    sig = compilation.signature

    def types(ts: Any) -> list[dict[str, Any]]:
        return [{"shape": list(t.shape), "element": t.element} for t in ts]

    return {
        "format": FORMAT,
        "version": VERSION,
        "target": compilation.options.target,
        "entry": compilation.options.entry,
        "source": compilation.filename,
        "inputs": types(sig.inputs),
        "results": types(sig.results),
    }


def cpu_artifact(compilation: Compilation) -> bytes:
    """The shared object of the ``obj`` stage, and its manifest."""
    if "mlirAsyncRuntime" in compilation.artifacts["llvm-ir"]:
        raise TilewrightError(
            "a CPU artifact runs on one thread (parallel loops need MLIR's async runtime library): "
            "compile it with --threads 1 (threads=1)"
        )
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise TilewrightError("--emit artifact for the CPU links a shared object: no C compiler (cc) on PATH")
    with tempfile.TemporaryDirectory(prefix="tilewright-artifact-") as tmp:
        obj, support, out = Path(tmp) / "model.o", Path(tmp) / "support.c", Path(tmp) / "model.so"
        obj.write_bytes(compilation.artifacts["obj"])
        support.write_text(MEMREF_COPY_C)
        argv = [cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(obj), str(support), "-lm", "-Wl,-z,defs"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise InternalError("artifact", f"linking the shared object failed: {' '.join(proc.stderr.split()[:40])}")
        library = out.read_bytes()
    manifest = manifest_header(compilation)
    manifest.update(
        cpu=compilation.options.cpu_model.name,
        library="model.so",
        symbol="_mlir_ciface_" + compilation.options.entry,
    )
    return pack(manifest, {"model.so": library})


def nvvm_artifact(compilation: Compilation) -> bytes:
    """The cubin and PTX of the kernels, the host sequence, and the manifest."""
    from tilewright.target.nvvm.host import host_manifest

    with compilation.context:
        host, files = host_manifest(
            compilation.module.operation, compilation.options.entry, compilation.signature, compilation.filename
        )
    manifest = manifest_header(compilation)
    manifest.update(arch=compilation.options.arch, cubin="kernels.cubin", ptx="kernels.ptx", **host)
    files.update(
        {"kernels.cubin": compilation.artifacts["cubin"], "kernels.ptx": compilation.artifacts["ptx"].encode()}
    )
    return pack(manifest, files)
