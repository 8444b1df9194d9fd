"""Running a compiled artifact (``tilewright compile --emit artifact -o model.twa``) without a
compiler: numpy and ctypes for ``--target cpu``, plus ``cuda-bindings`` (the ``gpu`` extra) for
``--target nvvm``. Nothing here imports MLIR or jax.

An artifact is one zip file (or a directory with the same files): ``manifest.json`` and what
it names. The manifest (``format``, ``version``) says the target, the entry's input and
result types and, per target:

- ``cpu``: ``library`` (a shared object exporting ``symbol``, the entry's C interface, which
  takes a pointer to a memref descriptor per input, then per result);
- ``nvvm``: ``cubin``/``ptx`` (one module of kernels), ``kernels`` (each one's parameters:
  ``ptr`` or a scalar dtype), ``buffers`` (inputs, results, temporaries, constants stored as
  ``.npy``) and ``sequence``, the host's work in order: ``alloc``, ``launch`` (kernel,
  grid, block, shared bytes, arguments), ``copy``, ``free``.

Every check is a :class:`~tilewright.diagnostics.TilewrightError` naming the artifact: another
format version, a missing file or kernel, a launch whose arguments do not fit its kernel, a
wrong input shape or dtype, no GPU.
"""

from __future__ import annotations

import ctypes
import io
import json
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.runtime import check_inputs
from tilewright.runtime.artifact_device import DeviceArray, DevicePool, device_pointer
from tilewright.runtime.memref import descriptor_for, empty_aligned
from tilewright.target.artifact import FORMAT, MANIFEST, VERSION
from tilewright.types import Signature, TensorType

TARGETS = ("cpu", "nvvm")
SCALAR_CTYPES: dict[str, type] = {
    "f32": ctypes.c_float,
    "f64": ctypes.c_double,
    "i32": ctypes.c_int32,
    "i64": ctypes.c_int64,
    "i16": ctypes.c_int16,
    "i8": ctypes.c_int8,
}


def _read_files(source: str | Path | bytes) -> tuple[dict[str, bytes], str]:
    if isinstance(source, bytes):
        with zipfile.ZipFile(io.BytesIO(source)) as z:
            return {n: z.read(n) for n in z.namelist()}, "<artifact>"
    path = Path(source)
    where = str(path)
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}, where
    if not path.is_file():
        raise TilewrightError("artifact not found", SourceLocation(where))
    try:
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist()}, where
    except zipfile.BadZipFile:
        raise TilewrightError(
            "not a tilewright artifact (neither a zip file nor a directory)", SourceLocation(where)
        ) from None


@dataclass
class Artifact:
    """A read and checked artifact: its manifest and files."""

    manifest: dict[str, Any]
    files: dict[str, bytes]
    where: str

    @property
    def target(self) -> str:
        return self.manifest["target"]

    @property
    def entry(self) -> str:
        return self.manifest["entry"]

    @property
    def signature(self) -> Signature:
        def types(key: str) -> tuple[TensorType, ...]:
            return tuple(TensorType(tuple(t["shape"]), t["element"]) for t in self.manifest[key])

        return Signature(types("inputs"), types("results"))

    def error(self, message: str) -> TilewrightError:
        return TilewrightError(message, SourceLocation(self.where))

    def file(self, name: str) -> bytes:
        if name not in self.files:
            raise self.error(f"the artifact lacks '{name}', which its manifest names")
        return self.files[name]


def read(source: str | Path | bytes) -> Artifact:
    """Read an artifact (a path to the zip file or directory, or its bytes) and check its manifest."""
    files, where = _read_files(source)
    artifact = Artifact({}, files, where)
    try:
        manifest = json.loads(artifact.file(MANIFEST))
    except json.JSONDecodeError as exc:
        raise artifact.error(f"malformed {MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise artifact.error(f"not a tilewright artifact (its {MANIFEST} has no format '{FORMAT}')")
    if manifest.get("version") != VERSION:
        raise artifact.error(
            f"artifact format version {manifest.get('version')}, but this runtime reads version {VERSION}: "
            "compile it again with this tilewright"
        )
    artifact.manifest = manifest
    for key in ("target", "entry", "inputs", "results"):
        if key not in manifest:
            raise artifact.error(f"{MANIFEST} lacks '{key}'")
    if manifest["target"] not in TARGETS:
        raise artifact.error(f"unknown target '{manifest['target']}' (known: {', '.join(TARGETS)})")
    if manifest["target"] == "nvvm":
        check_nvvm_manifest(artifact)
    return artifact


def check_nvvm_manifest(artifact: Artifact) -> None:
    """Every launch names a kernel of the manifest, and passes one argument of the right kind
    per kernel parameter; every buffer it names exists."""
    m = artifact.manifest
    kernels = {k["name"]: k for k in m.get("kernels", [])}
    buffers = {b["id"] for b in m.get("buffers", [])}
    for step in m.get("sequence", []):
        if step["op"] != "launch":
            for key in ("buffer", "src", "dst"):
                if key in step and step[key] not in buffers:
                    raise artifact.error(
                        f"a '{step['op']}' step names buffer {step[key]}, which is not in the manifest"
                    )
            continue
        kernel = kernels.get(step["kernel"])
        if kernel is None:
            raise artifact.error(f"the host sequence launches kernel '{step['kernel']}', which is not in the manifest")
        params, args = kernel["params"], step["args"]
        if len(params) != len(args):
            raise artifact.error(
                f"kernel '{step['kernel']}' takes {len(params)} parameters, its launch passes {len(args)}"
            )
        unknown = [p for p in params if p != "ptr" and p not in SCALAR_CTYPES and p not in ("f16", "bf16")]
        if unknown:
            raise artifact.error(f"kernel '{step['kernel']}' has a parameter of unknown kind '{unknown[0]}'")
        for i, (param, arg) in enumerate(zip(params, args, strict=True)):
            if (param == "ptr") != ("buffer" in arg) or ("buffer" in arg and arg["buffer"] not in buffers):
                raise artifact.error(
                    f"argument {i} of the launch of '{step['kernel']}' does not fit parameter '{param}'"
                )


def load(source: str | Path | bytes, *, driver: Any = None) -> Any:
    """A callable running the artifact on numpy arrays (results as numpy arrays; one or a tuple).

    ``driver``: for ``nvvm`` artifacts, the GPU driver to use (default: CUDA, through
    ``cuda-bindings`` or ctypes, :mod:`.artifact_cuda`); tests pass a recording fake."""
    artifact = read(source)
    if artifact.target == "cpu":
        return CpuArtifactProgram(artifact)
    if driver is None:
        from tilewright.runtime.artifact_cuda import default_driver

        driver = default_driver()
    return GpuArtifactProgram(artifact, driver)


class CpuArtifactProgram:
    """A CPU artifact: its shared object loaded (from a private temporary copy) and its entry's
    C interface called, ``entry(in_0*, ..., out_0*, ...)`` with pointers to memref descriptors
    of the numpy arrays (results allocated here)."""

    def __init__(self, artifact: Artifact) -> None:
        m = artifact.manifest
        self.artifact = artifact
        self.signature = artifact.signature
        self._dir = tempfile.TemporaryDirectory(prefix="tilewright-artifact-")
        path = Path(self._dir.name) / "model.so"
        path.write_bytes(artifact.file(m["library"]))
        try:
            self._library = ctypes.CDLL(str(path))
        except OSError as exc:
            raise artifact.error(f"cannot load the artifact's shared object: {exc}") from None
        symbol = m.get("symbol", "_mlir_ciface_" + artifact.entry)
        try:
            address = ctypes.cast(getattr(self._library, symbol), ctypes.c_void_p).value
        except AttributeError:
            raise artifact.error(f"the artifact's shared object has no function '{symbol}'") from None
        count = len(self.signature.inputs) + len(self.signature.results)
        self._function = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * count)(address)

    def __call__(self, *args: Any) -> Any:
        sig = self.signature
        inputs = check_inputs(sig, args, self.artifact.entry)
        outputs = [empty_aligned(t.shape, t.dtype) for t in sig.results]
        descriptors = [descriptor_for(a) for a in (*inputs, *outputs)]
        self._function(*[ctypes.addressof(d) for d in descriptors])
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


class Driver(Protocol):
    """What the GPU program needs of a driver (CUDA's, or a test's recording fake)."""

    def load_module(self, cubin: bytes | None, ptx: bytes | None) -> Any: ...
    def function(self, module: Any, name: str) -> Any: ...
    def alloc(self, nbytes: int) -> int: ...
    def free(self, pointer: int) -> None: ...
    def copy_to_device(self, pointer: int, array: np.ndarray) -> None: ...
    def copy_to_host(self, array: np.ndarray, pointer: int) -> None: ...
    def copy_on_device(self, dst: int, src: int, nbytes: int) -> None: ...
    def launch(self, function: Any, grid: Sequence[int], block: Sequence[int], smem: int, params: int) -> None: ...
    def synchronize(self) -> None: ...


class GpuArtifactProgram:
    """An NVVM artifact on a GPU: the module loaded and the constants uploaded once; each call
    uploads the inputs (device arrays are used in place), runs the host sequence, and copies
    the results back (``device_outputs=True``: device arrays instead, returned without waiting for
    the kernels, so calls queue up as torch's do). Device memory comes from
    :attr:`pool` and stays there for the next call (``pool.trim()`` returns it)."""

    def __init__(self, artifact: Artifact, driver: Driver) -> None:
        m = artifact.manifest
        self.artifact, self.driver = artifact, driver
        self.signature = artifact.signature
        cubin = artifact.files.get(m.get("cubin", ""))
        ptx = artifact.files.get(m.get("ptx", ""))
        if cubin is None and ptx is None:
            raise artifact.error("the artifact has neither a cubin nor PTX")
        capability = getattr(driver, "compute_capability", None)
        if capability is not None and "arch" in m:
            from tilewright.runtime.artifact_cuda import runs_on

            major, minor = capability()
            if not runs_on(m["arch"], (major, minor)):
                raise artifact.error(
                    f"the artifact is compiled for {m['arch']}, but the GPU has compute capability {major}.{minor} "
                    "(recompile with --gpu-arch for it)"
                )
        self._module = driver.load_module(cubin, ptx)
        self._kernels = {k["name"]: (driver.function(self._module, k["name"]), k) for k in m["kernels"]}
        self._buffers = {b["id"]: b for b in m["buffers"]}
        self._constants: dict[int, int] = {}
        self.pool = DevicePool(driver)
        for b in m["buffers"]:
            if b["kind"] == "constant":
                data = np.load(io.BytesIO(artifact.file(b["file"])), allow_pickle=False)
                self._constants[b["id"]] = driver.alloc(max(data.nbytes, 1))
                driver.copy_to_device(self._constants[b["id"]], np.ascontiguousarray(data))

    def __call__(self, *args: Any, device_outputs: bool = False) -> Any:
        d, sig, pool = self.driver, self.signature, self.pool
        inputs = self._inputs(args)
        pointers: dict[int, int] = dict(self._constants)
        owned: list[int] = []
        results: list[tuple[int, TensorType]] = []
        for b in self._buffers.values():
            if b["kind"] == "input":
                given = inputs[b["index"]]
                if isinstance(given, int):
                    pointers[b["id"]] = given
                else:
                    pointers[b["id"]] = pool.acquire(given.nbytes)
                    owned.append(pointers[b["id"]])
                    d.copy_to_device(pointers[b["id"]], given)
            elif b["kind"] == "result":
                pointers[b["id"]] = pool.acquire(b["bytes"])
                results.append((pointers[b["id"]], sig.results[b["index"]]))
        for step in self.artifact.manifest["sequence"]:
            op = step["op"]
            if op == "alloc":
                pointers[step["buffer"]] = pool.acquire(self._buffers[step["buffer"]]["bytes"])
            elif op == "free":
                pool.release(pointers.pop(step["buffer"]))
            elif op == "copy":
                d.copy_on_device(pointers[step["dst"]], pointers[step["src"]], step["bytes"])
            elif op == "launch":
                function, kernel = self._kernels[step["kernel"]]
                values = [_param(kernel["params"][i], a, pointers) for i, a in enumerate(step["args"])]
                packed = (ctypes.c_void_p * len(values))(*[ctypes.addressof(v) for v in values])
                d.launch(function, step["grid"], step["block"], step.get("smem", 0), ctypes.addressof(packed))
            else:
                raise self.artifact.error(f"unknown host step '{op}'")
        if not device_outputs:  # device results are stream-ordered: the caller synchronizes when it reads them
            d.synchronize()
        for pointer in owned:
            pool.release(pointer)
        if device_outputs:
            outs: list[Any] = [DeviceArray(p, t, d, pool) for p, t in results]
        else:
            outs = []
            for pointer, t in results:
                array = empty_aligned(t.shape, t.dtype)
                d.copy_to_host(array, pointer)
                pool.release(pointer)
                outs.append(array)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _inputs(self, args: Sequence[Any]) -> list[np.ndarray | int]:
        """Each argument as a checked host array, or the device pointer of a device array of the
        parameter's shape and dtype (CUDA array interface or DLPack): used in place."""
        sig, entry = self.signature, self.artifact.entry
        if len(args) != len(sig.inputs):
            check_inputs(sig, args, entry)  # the error naming both counts
        pointers = [device_pointer(a, t, i, entry) for i, (a, t) in enumerate(zip(args, sig.inputs, strict=True))]
        if all(p is None for p in pointers):
            return list(check_inputs(sig, args, entry))
        out: list[np.ndarray | int] = []
        for index, (arg, t, pointer) in enumerate(zip(args, sig.inputs, pointers, strict=True)):
            if pointer is not None:
                out.append(pointer)
                continue
            try:
                out += check_inputs(Signature((t,), ()), [arg], entry)
            except TilewrightError as exc:  # name the argument by its own position
                raise TilewrightError(exc.message.replace("argument #0", f"argument #{index}", 1)) from None
        return out


def _param(param: str, arg: dict[str, Any], pointers: dict[int, int]) -> ctypes._SimpleCData:
    if param == "ptr":
        return ctypes.c_uint64(pointers[arg["buffer"]])
    if param in ("f16", "bf16"):  # passed as their 16 bits
        return ctypes.c_uint16(int(np.asarray(arg["value"], TensorType((), param).dtype).view(np.uint16)))
    return SCALAR_CTYPES[param](arg["value"])
