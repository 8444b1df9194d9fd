"""f16 matmuls on tensor cores (``schedule/nvvm/tensorcore.py``, ``target/nvvm/tensorcore.py``)
without a GPU: the library's mma.sync row takes what it can (and only that), ``ptxas -v`` accepts
the kernels for sm_80 and sm_90 with no spills and at most 255 registers, the accumulator
hoisting moves exactly the disjoint read/write pairs out of a loop, and the kernels agree with JAX
in the GPU emulator, which runs each warp's ``nvgpu.mma.sync`` on its lanes' fragments."""

from __future__ import annotations

import re
import warnings

import jax
import ml_dtypes
import numpy as np
from mlir import ir

import pytest
from conftest import ptxas_report, stablehlo_of
from tilewright.target.nvvm.tensorcore import hoist_accumulators

MMA = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [
        ((32, 64), (64, 32)),  # 32x32 block, 2x2 warps of 16x16, 2 k steps of 32
        ((256, 96), (96, 128)),  # 2 blocks of 128x128, 2x4 warps of 64x32, 3 k steps of 32
        ((128, 48), (48, 96)),  # 32x32 blocks (96 = 3 x 32), k steps of 16
        ((2, 64, 48), (2, 48, 32)),  # batch matmul, one batch per grid z
    ],
)
def test_emulated_against_jax(rng, a_shape, b_shape):
    """Every k loop runs at least twice, so the hoisted accumulator fragments are carried across
    iterations (writing each fragment back to another's place after the loop fails all three)."""
    from gpu_emulator import emulate

    a, b = rng.standard_normal(a_shape).astype(np.float16), rng.standard_normal(b_shape).astype(np.float16)
    source = stablehlo_of(lambda x, y: x @ y, a, b)
    assert MMA in _compile(source, "sm_80")["ptx"]
    (got,) = emulate(source, [a, b])
    expected = np.asarray(jax.jit(lambda x, y: x @ y)(a, b), np.float32)
    np.testing.assert_allclose(got.astype(np.float32), expected, rtol=2e-3, atol=2e-3)


def _compile(source: str, arch: str) -> dict[str, object]:
    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import as_source

    compilation = start(as_source(source), CompileOptions(target="nvvm", gpu_arch=arch))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        compilation.run_until("ptx")
    return compilation.artifacts


def _matmul(a_shape, b_shape, dtype=np.float16) -> str:
    return stablehlo_of(lambda x, y: x @ y, np.zeros(a_shape, dtype), np.zeros(b_shape, dtype))


def _ptxas_v(ptx: str, arch: str, tmp_path) -> dict[str, tuple[int, int]]:
    """kernel -> (registers, spill bytes) from ``ptxas -v``."""
    out = ptxas_report(ptx, arch)
    found = {}
    for kernel, body in re.findall(r"Compiling entry function '(\w+)'(.*?)(?=Compiling entry|\Z)", out, re.S):
        spills = sum(int(n) for n in re.findall(r"(\d+) bytes spill", body))
        found[kernel] = (int(re.search(r"Used (\d+) registers", body).group(1)), spills)
    return found


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_f16_matmul_4096_on_mma_sync_ptxas_accepts_without_spills(arch, tmp_path):
    ptx = _compile(_matmul((4096, 4096), (4096, 4096)), arch)["ptx"]
    assert MMA in ptx and "ldmatrix.sync.aligned.m8n8.x4.shared.b16" in ptx
    assert re.findall(r"\.shared \.align 16 \.b8 \w+\[(\d+)\]", ptx) == ["8192", "8192"]  # 16 KiB of 48
    kernels = _ptxas_v(ptx, arch, tmp_path)
    assert len(kernels) == 2, kernels  # the matmul, then the f32 -> f16 rounding
    for name, (registers, spills) in kernels.items():
        assert spills == 0 and registers <= 255, (name, registers, spills)


def test_batch_matmul_on_mma_sync(tmp_path):
    """2 x (64x48 @ 48x32): 32x32 block tiles, k steps of 16 (32 does not divide 48)."""
    artifacts = _compile(_matmul((2, 64, 48), (2, 48, 32)), "sm_80")
    assert MMA in artifacts["ptx"]
    assert "blocks in (%c1, %c2, %c2)" in artifacts["nvvm"].replace("_0", "")
    assert all(spills == 0 for _, spills in _ptxas_v(artifacts["ptx"], "sm_80", tmp_path).values())


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "dtype"),
    [
        ((97, 33), (33, 64), np.float16),  # partial tiles: no tile divides 97
        ((64, 40), (40, 64), np.float16),  # K = 40: no k step divides it
        ((64, 64), (64, 64), ml_dtypes.bfloat16),  # bf16: not taken yet
        ((64, 64), (64, 64), np.float32),
    ],
)
def test_what_the_row_leaves_goes_to_simt(a_shape, b_shape, dtype):
    artifacts = _compile(_matmul(a_shape, b_shape, dtype), "sm_80")
    assert "mma.sync" not in artifacts["ptx"]
    assert "fma.rn.f32" in artifacts["ptx"]


def test_sm_90a_falls_back_to_mma_sync_when_no_wgmma_row_takes_it():
    # 64x64 (the wgmma row's 128x128 block tile does not divide it; test_nvvm_wgmma.py has more)
    assert MMA in _compile(_matmul((64, 64), (64, 64)), "sm_90a")["ptx"]


LOOP = """
func.func @f(%m: memref<64x32xf32>, %lb: index, %ub: index, %step: index) {{
  %c0 = arith.constant 0 : index
  %c{second} = arith.constant {second} : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %lb to %ub step %step {{
    %a = vector.transfer_read %m[%c0, %c0], %pad {{in_bounds = [true, true]}} : memref<64x32xf32>, vector<16x8xf32>
    %b = vector.transfer_read %m[%c0, %c{second}], %pad {{in_bounds = [true, true]}}
      : memref<64x32xf32>, vector<16x8xf32>
    %a2 = arith.addf %a, %a : vector<16x8xf32>
    %b2 = arith.addf %b, %b : vector<16x8xf32>
    vector.transfer_write %a2, %m[%c0, %c0] {{in_bounds = [true, true]}} : vector<16x8xf32>, memref<64x32xf32>
    vector.transfer_write %b2, %m[%c0, %c{second}] {{in_bounds = [true, true]}} : vector<16x8xf32>, memref<64x32xf32>
  }}
  return
}}
"""


@pytest.mark.parametrize(("second", "hoisted"), [(8, 2), (4, 0)])
def test_hoist_accumulators_only_disjoint_pairs(second, hoisted):
    """Fragments at columns 0 and 8 (16x8 each) are disjoint: both pairs leave the loop as
    iter_args; at columns 0 and 4 they overlap: nothing moves."""
    with ir.Context(), ir.Location.unknown():
        module = ir.Module.parse(LOOP.format(second=second))
        loop = next(op for op in module.body.operations[0].regions[0].blocks[0].operations if op.name == "scf.for")
        assert hoist_accumulators(loop.operation) == hoisted
        assert module.operation.verify()
        text = str(module)
        assert text.count("iter_args") == (1 if hoisted else 0)
        if hoisted:  # reads before the loop, writes after it
            assert text.index("vector.transfer_read") < text.index("scf.for") < text.index("vector.transfer_write")
