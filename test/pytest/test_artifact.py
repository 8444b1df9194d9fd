"""Artifacts (``--emit artifact``) and their runtime without a compiler: the CPU one end to end
in a process that cannot import MLIR or jax; the NVVM one's host side (manifest, argument
packing, launch sequence) against a recording fake of the CUDA driver; the manifest checks."""

from __future__ import annotations

import ctypes
import io
import json
import subprocess
import sys
import textwrap
import zipfile

import jax
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.compiler import CompileOptions, start
from tilewright.diagnostics import TilewrightError
from tilewright.ingress.formats import as_source
from tilewright.runtime import artifact as twa
from tilewright.target.artifact import pack


def _artifact(fn, *args, target: str = "cpu") -> bytes:
    options = CompileOptions(target=target, threads=1 if target == "cpu" else None)
    return start(as_source(stablehlo_of(fn, *args)), options).run_until("artifact")


def _mlp(x, w):
    return jax.nn.gelu(x @ w), x.sum(axis=1)


BLOCK_MLIR = textwrap.dedent(
    """
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("mlir", "jax", "jaxlib"):
                raise ImportError("blocked: " + name)
    sys.meta_path.insert(0, Block())
    import numpy as np
    from tilewright.runtime.artifact import load
    data = np.load(sys.argv[2])
    y, s = load(sys.argv[1])(data["x"], data["w"])
    np.testing.assert_allclose(y, data["y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s, data["s"], rtol=1e-5, atol=1e-5)
    assert not [m for m in sys.modules if m.split(".")[0] in ("mlir", "jax", "jaxlib")]
    print("ok")
    """
)


def test_cpu_artifact_runs_without_mlir(tmp_path, rng):
    x = rng.standard_normal((7, 97)).astype(np.float32)
    w = rng.standard_normal((97, 13)).astype(np.float32)
    path = tmp_path / "mlp.twa"
    path.write_bytes(_artifact(_mlp, x, w))
    y, s = jax.jit(_mlp)(x, w)
    np.savez(tmp_path / "data.npz", x=x, w=w, y=np.asarray(y), s=np.asarray(s))
    script = tmp_path / "run.py"
    script.write_text(BLOCK_MLIR)
    proc = subprocess.run(
        [sys.executable, str(script), str(path), str(tmp_path / "data.npz")], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_cpu_artifact_directory_and_input_checks(tmp_path, rng):
    x = rng.standard_normal((1, 1000)).astype(np.float32)
    data = _artifact(lambda v: jax.nn.softmax(v, axis=-1), x)
    directory = tmp_path / "softmax"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(directory)
    program = twa.load(directory)
    np.testing.assert_allclose(program(x), np.asarray(jax.nn.softmax(x, axis=-1)), rtol=1e-5, atol=1e-7)
    with pytest.raises(TilewrightError, match=r"argument #0 of '@main' has type tensor<1x999xf32>"):
        program(x[:, :999])
    with pytest.raises(TilewrightError, match="takes 1 argument"):
        program(x, x)


def _rewrite(data: bytes, change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    change(manifest, files)
    return pack(manifest, files)


@pytest.fixture(scope="module")
def softmax_nvvm() -> bytes:
    x = np.zeros((7, 1000), np.float32)
    return _artifact(lambda v: jax.nn.softmax(v, axis=-1), x, target="nvvm")


def test_manifest_checks(softmax_nvvm, tmp_path):
    def version(m, f):
        m["version"] = 99

    def no_cubin(m, f):
        del f["kernels.cubin"], f["kernels.ptx"]

    def unknown_kernel(m, f):
        m["kernels"] = m["kernels"][1:]

    def one_argument_less(m, f):
        next(s for s in m["sequence"] if s["op"] == "launch")["args"].pop()

    cases = [
        (version, "format version 99, but this runtime reads version 1"),
        (no_cubin, "neither a cubin nor PTX"),
        (unknown_kernel, "launches kernel 'main_kernel', which is not in the manifest"),
        (one_argument_less, r"kernel 'main_kernel' takes \d+ parameters, its launch passes \d+"),
    ]
    for change, message in cases:
        with pytest.raises(TilewrightError, match=message):
            twa.load(_rewrite(softmax_nvvm, change), driver=RecordingDriver())
    bad = tmp_path / "bad.twa"
    bad.write_bytes(b"not a zip")
    with pytest.raises(TilewrightError, match="not a tilewright artifact"):
        twa.read(bad)


class RecordingDriver:
    """The CUDA driver's calls recorded; memory is host memory, launches run nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.live: dict[int, ctypes.Array] = {}

    def load_module(self, cubin, ptx):
        self.calls.append(("load_module", cubin[:4] if cubin else None))
        return "module"

    def function(self, module, name):
        return name

    def alloc(self, nbytes):
        buffer = ctypes.create_string_buffer(nbytes)
        self.live[ctypes.addressof(buffer)] = buffer
        self.calls.append(("alloc", nbytes, ctypes.addressof(buffer)))
        return ctypes.addressof(buffer)

    def free(self, pointer):
        del self.live[pointer]
        self.calls.append(("free", pointer))

    def copy_to_device(self, pointer, array):
        ctypes.memmove(pointer, array.ctypes.data, array.nbytes)
        self.calls.append(("htod", pointer, array.nbytes))

    def copy_to_host(self, array, pointer):
        ctypes.memmove(array.ctypes.data, pointer, array.nbytes)
        self.calls.append(("dtoh", pointer, array.nbytes))

    def copy_on_device(self, dst, src, nbytes):
        self.calls.append(("dtod", dst, src, nbytes))

    def launch(self, function, grid, block, smem, params):
        self.calls.append(("launch", function, tuple(grid), tuple(block), smem, params))
        self.last_params = params

    def synchronize(self):
        self.calls.append(("sync",))


def test_gpu_host_sequence_with_a_recording_driver(softmax_nvvm, rng):
    manifest = twa.read(softmax_nvvm).manifest
    driver = RecordingDriver()
    launched: list[list[int]] = []
    original = driver.launch

    def launch(function, grid, block, smem, params):
        kernel = next(k for k in manifest["kernels"] if k["name"] == function)
        words = (ctypes.c_void_p * len(kernel["params"])).from_address(params)
        launched.append(
            [
                ctypes.c_uint64.from_address(w).value if p == "ptr" else None
                for w, p in zip(words, kernel["params"], strict=True)
            ]
        )
        original(function, grid, block, smem, params)

    driver.launch = launch
    program = twa.load(softmax_nvvm, driver=driver)
    x = rng.standard_normal((7, 1000)).astype(np.float32)
    out = program(x)
    assert out.shape == (7, 1000) and out.dtype == np.float32
    assert driver.calls[0] == ("load_module", b"\x7fELF")
    launches = [c for c in driver.calls if c[0] == "launch"]
    expected = [s for s in manifest["sequence"] if s["op"] == "launch"]
    assert [(c[1], c[2], c[3]) for c in launches] == [
        (s["kernel"], tuple(s["grid"]), tuple(s["block"])) for s in expected
    ]
    # The input is uploaded once, the result read back once; nothing is freed: the pool keeps it.
    assert [c[2] for c in driver.calls if c[0] == "htod"] == [x.nbytes]
    assert [c[2] for c in driver.calls if c[0] == "dtoh"] == [out.nbytes]
    assert not [c for c in driver.calls if c[0] == "free"]
    # Every pointer argument of every launch is a buffer of the call (input, result or temporary),
    # and the last kernel writes the result that is read back.
    allocated = {c[2] for c in driver.calls if c[0] == "alloc"}
    assert all(p in allocated for args in launched for p in args if p is not None)
    result = next(c[1] for c in driver.calls if c[0] == "dtoh")
    assert result in launched[-1]
    # A second call allocates nothing: its input, temporaries and result reuse the pooled blocks.
    first = len(driver.calls)
    assert program(x).shape == out.shape  # (launches run nothing here: the values are not checked)
    assert not [c for c in driver.calls[first:] if c[0] in ("alloc", "free")]
    # trim() gives every block back to the driver.
    held = program.pool.held_bytes
    assert program.pool.trim() == held == sum(c[1] for c in driver.calls if c[0] == "alloc")
    assert not driver.live


class CudaArray:
    """A device array as cupy/torch expose it (the CUDA array interface)."""

    def __init__(self, pointer, shape, typestr="<f4"):
        self.__cuda_array_interface__ = {"shape": shape, "typestr": typestr, "data": (pointer, False), "version": 3}


def test_device_arrays_are_used_in_place(softmax_nvvm):
    driver = RecordingDriver()
    program = twa.load(softmax_nvvm, driver=driver)
    pointer = driver.alloc(7 * 1000 * 4)
    result = program(CudaArray(pointer, (7, 1000)), device_outputs=True)
    assert not [c for c in driver.calls if c[0] in ("htod", "dtoh")]
    assert result.__cuda_array_interface__["shape"] == (7, 1000) and result.numpy().shape == (7, 1000)
    # A result left on the device goes back to the pool with the object; the next call reuses it.
    first_result = result.pointer
    second = program(CudaArray(pointer, (7, 1000)), device_outputs=True)
    assert second.pointer != first_result  # both alive: distinct blocks
    del result, second
    assert program(CudaArray(pointer, (7, 1000)), device_outputs=True).pointer in driver.live
    with pytest.raises(TilewrightError, match=r"argument #0 of '@main' is a device array float32\[7, 999\]"):
        program(CudaArray(pointer, (7, 999)))


def _no_cuda(monkeypatch) -> None:
    """Neither cuda-bindings nor a driver library, as on this CI."""
    monkeypatch.setitem(sys.modules, "cuda", None)
    monkeypatch.setitem(sys.modules, "cuda.bindings", None)
    real = ctypes.CDLL

    def cdll(name, *args, **kwargs):
        if "libcuda" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(ctypes, "CDLL", cdll)


def test_no_cuda_driver_is_a_clear_error(softmax_nvvm, monkeypatch):
    _no_cuda(monkeypatch)
    with pytest.raises(
        TilewrightError, match=r"no CUDA driver: libcuda\.so\.1 not found and cuda-bindings not installed"
    ):
        twa.load(softmax_nvvm)


def test_compile_nvvm_executable_runs_the_artifact(monkeypatch):
    """tilewright.compile(target="nvvm") gives the artifact runtime's callable (here: no GPU)."""
    _no_cuda(monkeypatch)
    x = np.ones((7, 97), np.float32)
    with pytest.raises(TilewrightError, match="no CUDA driver"):
        tilewright.compile(stablehlo_of(lambda v: v * 2, x), target="nvvm")


@pytest.mark.parametrize(
    ("arch", "capability", "runs"),
    [
        ("sm_80", (8, 0), True),
        ("sm_80", (9, 0), True),
        ("sm_90", (8, 6), False),
        ("sm_90a", (9, 0), True),
        ("sm_90a", (10, 0), False),
    ],
)
def test_arch_against_the_gpu(softmax_nvvm, arch, capability, runs):
    from tilewright.runtime.artifact_cuda import runs_on

    assert runs_on(arch, capability) is runs
    driver = RecordingDriver()
    driver.compute_capability = lambda: capability
    data = _rewrite(softmax_nvvm, lambda m, f: m.update(arch=arch))
    if runs:
        twa.load(data, driver=driver)
        return
    major, minor = capability
    with pytest.raises(
        TilewrightError, match=rf"compiled for {arch}, but the GPU has compute capability {major}\.{minor}"
    ):
        twa.load(data, driver=driver)
    assert not [c for c in driver.calls if c[0] == "load_module"]
