"""The NVVM GPU target without a GPU: every program of the GPU set compiles for sm_80 and sm_90
to PTX that ``ptxas`` accepts (the ``cubin`` stage runs it), with every linalg op mapped to
blocks and threads by the library (no launch of one thread), an artifact whose launches fit
their kernels' PTX parameters, and clear errors otherwise."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.diagnostics import TilewrightError
from tilewright.target.nvvm import toolkit

PROGRAMS = Path(__file__).resolve().parents[2] / "benchmarks" / "programs"


def _layernorm(x, g, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * g + b


def _f16_matmul() -> str:
    a = np.zeros((97, 64), np.float16)
    b = np.zeros((64, 33), np.float16)
    return stablehlo_of(lambda x, y: x @ y, a, b)


def _f16_matmul_tensor_cores() -> str:
    """Whole 128x128 tiles, 3 k slices of 32: the mma.sync row's (test_nvvm_tensorcore.py)."""
    return stablehlo_of(lambda x, y: x @ y, np.zeros((256, 96), np.float16), np.zeros((96, 128), np.float16))


def _softmax() -> str:
    return stablehlo_of(lambda x: jax.nn.softmax(x, axis=-1), np.zeros((7, 1000), np.float32))


def _layernorm_program() -> str:
    x = np.zeros((97, 256), np.float32)
    return stablehlo_of(_layernorm, x, np.zeros(256, np.float32), np.zeros(256, np.float32))


def _elementwise_chain() -> str:
    return stablehlo_of(lambda x, y: jnp.tanh(x * y + 1.0) - jnp.exp(-x), *(np.zeros((7, 97), np.float32),) * 2)


GPU_SET = {
    "matmul_f32": lambda: (PROGRAMS / "matmul_97x131x77.mlir").read_text(),
    "matmul_f16": _f16_matmul,
    "matmul_f16_tensor_cores": _f16_matmul_tensor_cores,
    "softmax": _softmax,
    "layernorm": _layernorm_program,
    "elementwise_chain": _elementwise_chain,
    "attention": lambda: (PROGRAMS / "attention_1024x64.mlir").read_text(),
    "gpt_block": lambda: (PROGRAMS / "gpt_block.mlir").read_text(),
}


def _compile(source: str, arch: str) -> tilewright.compiler.Compilation:
    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import as_source

    compilation = start(as_source(source), CompileOptions(target="nvvm", gpu_arch=arch))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a one-thread launch would warn
        compilation.run_until("artifact")
    return compilation


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", sorted(GPU_SET))
def test_gpu_set_compiles_and_ptxas_accepts(name, arch):
    compilation = _compile(GPU_SET[name](), arch)
    ptx = compilation.artifacts["ptx"]
    assert ".version 8.0" in ptx and re.search(rf"\.target {arch}\b", ptx), ptx[:200]
    cubin = compilation.artifacts["cubin"]
    assert cubin[:4] == b"\x7fELF"
    kernels = re.findall(r"\.entry (\w+)\(", ptx)
    launches = re.findall(r"gpu.launch_func\s+@kernels::@(\w+)", compilation.artifacts["nvvm"])
    assert kernels and set(launches) == set(kernels), (launches, kernels)
    for name in kernels:
        assert name.encode() in cubin
    _check_manifest_against_ptx(compilation.artifacts["artifact"], ptx)


def _check_manifest_against_ptx(data: bytes, ptx: str) -> None:
    """Each launch of the manifest passes what its kernel's PTX entry declares: one argument per
    ``.param``, a buffer exactly where the parameter is a pointer."""
    from tilewright.runtime.artifact import read

    manifest = read(data).manifest
    entries = dict(re.findall(r"\.entry (\w+)\(([^)]*)\)", ptx))
    for step in manifest["sequence"]:
        if step["op"] != "launch":
            continue
        params = [p.strip() for p in entries[step["kernel"]].split(",") if p.strip()]
        assert len(params) == len(step["args"]), step["kernel"]
        for param, arg in zip(params, step["args"], strict=True):
            assert (".ptr" in param) == ("buffer" in arg), (step["kernel"], param, arg)


def test_libdevice_is_linked_for_math():
    """exp/tanh become libdevice calls in the kernels; the PTX defines them (linked), calls no extern."""
    ptx = _compile(_elementwise_chain(), "sm_80").artifacts["ptx"]
    assert ".extern .func" not in ptx


def test_missing_ptxas_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CUDA_HOME", raising=False)
    monkeypatch.setattr(toolkit, "FALLBACK_ROOT", tmp_path / "no-cuda")
    with pytest.raises(TilewrightError, match=r"ptxas not found .* CUDA_HOME"):
        toolkit.ptxas()


def test_ptxas_from_cuda_home(monkeypatch, tmp_path):
    fake = tmp_path / "bin" / "ptxas"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setenv("CUDA_HOME", str(tmp_path))
    assert toolkit.ptxas() == str(fake)


ALIASING = """
module attributes {gpu.container_module} {
  func.func @main(%a: memref<8xf32>, %b: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    %view = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
    gpu.launch_func @kernels::@distinct blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      args(%a : memref<8xf32>, %b : memref<8xf32>)
    gpu.launch_func @kernels::@same blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      args(%a : memref<8xf32>, %view : memref<4xf32, strided<[1]>>)
    return
  }
  gpu.module @kernels {
    gpu.func @distinct(%x: memref<8xf32>, %y: memref<8xf32>) kernel { gpu.return }
    gpu.func @same(%x: memref<8xf32>, %y: memref<4xf32, strided<[1]>>) kernel { gpu.return }
  }
}
"""


def test_noalias_only_for_distinct_buffers():
    """A kernel given a buffer and a view of the same buffer must not promise noalias."""
    from mlir import ir

    from tilewright.mlir_env import new_context
    from tilewright.target.nvvm.lowering import noalias_kernel_arguments

    with new_context():
        module = ir.Module.parse(ALIASING)
        assert noalias_kernel_arguments(module.operation) == 1
        text = str(module)
    # Every kernel pointer is declared 16-byte aligned (allocations are passed, never offset pointers).
    aligned = "{llvm.align = 16 : i64"
    noalias = f"{aligned}, llvm.noalias}}"
    assert f"@distinct(%arg0: memref<8xf32> {noalias}, %arg1: memref<8xf32> {noalias})" in text
    assert f"@same(%arg0: memref<8xf32> {aligned}}}, %arg1: memref<4xf32, strided<[1]>> {aligned}}})" in text
