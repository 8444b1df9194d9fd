"""The NVVM library's SIMT matmul (``schedule/nvvm/matmul.py``: shared-memory k slices, register
tiles): numerics through the GPU emulator at odd sizes (padded partial tiles, M of 1, a batch),
each tile size forced once; ``ptxas -v`` for sm_80/sm_90 on the large tile: no spills, no local
memory, registers and shared memory within a block's budget.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
from gpu_emulator import emulate

import pytest
from conftest import assert_matches_jax, ptxas_report, stablehlo_of
from tilewright.schedule.nvvm import matmul as simt


def _matmul(a, b):
    return a @ b


@pytest.mark.parametrize(
    ("shapes", "tile"),
    [
        ([(97, 131), (131, 77)], None),  # the library's pick (the small tile), partial everywhere
        ([(1, 7), (7, 1000)], None),  # M of 1, K of 7 (padded to a slice)
        ([(3, 33, 40), (3, 40, 17)], None),  # one batch per grid z
        ([(97, 131), (131, 77)], 0),  # the 128x128 tile, 8x8 per thread, 256 threads
        ([(70, 40), (40, 65)], 1),  # 64x64, 4x4 per thread
    ],
    ids=["97x131x77", "1x7x1000", "batch3", "tile128", "tile64"],
)
def test_simt_matmul_matches_jax(shapes, tile, rng, monkeypatch):
    if tile is not None:
        monkeypatch.setattr(simt, "simt_tile", lambda op, t=simt.SIMT_TILES[tile]: t)
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        (out,) = emulate(stablehlo_of(_matmul, *args), args)
    assert_matches_jax(out, _matmul, *args, rtol=1e-4, atol=1e-4)


def test_tile_choice_fills_the_gpu():
    """The large tile where it still gives a wave of blocks; smaller ones for small problems."""
    from tilewright.schedule.info import LinalgOpInfo

    def pick(m, n, k, batch=()):
        ranges = (*batch, m, n, k)
        kinds = ("parallel",) * (len(ranges) - 1) + ("reduction",)
        return simt.simt_tile(LinalgOpInfo("linalg.matmul", 0, "main", (), (), kinds, (), ranges))

    assert pick(4096, 4096, 4096).block == (128, 128)
    assert pick(1024, 1024, 1024).block == (64, 64)  # 64 blocks of 128x128 would leave SMs idle
    assert pick(97, 77, 131).block == (32, 32)
    assert pick(512, 512, 64, batch=(16,)).block == (128, 128)  # 16 x 16 blocks
    for tile in simt.SIMT_TILES:
        assert tile.threads[0] * tile.threads[1] <= 1024
        assert tile.shared_bytes() <= 48 * 1024


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_large_tile_has_no_spills(arch):
    """2048^3 takes the 128x128 tile: 64 accumulators and two 8-wide fragments per thread fit in
    registers (no spill, no stack), 8 KiB of shared memory per block."""
    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import as_source

    a = np.zeros((2048, 2048), np.float32)
    compilation = start(as_source(stablehlo_of(_matmul, a, a)), CompileOptions(target="nvvm", gpu_arch=arch))
    compilation.run_until("ptx")
    info = ptxas_report(compilation.artifacts["ptx"], arch)
    assert "0 bytes spill stores, 0 bytes spill loads" in info, info
    assert "0 bytes stack frame" in info, info
    registers = int(re.search(r"Used (\d+) registers", info).group(1))
    assert registers <= 168, info  # 256 threads x 168 fit one block in an SM's 64K registers
    assert re.search(r"\b8192 bytes smem", info), info


def test_tile_is_a_knob():
    """The tile is a transform.tune.knob over SIMT_TILES (by block rows); selecting another
    rebuilds the schedule with it."""
    from mlir import ir

    from tilewright.mlir_env import new_context
    from tilewright.schedule.context import build_in
    from tilewright.schedule.nvvm import nvvm_schedule

    text = """
    func.func @main(%a: tensor<97x131xf32>, %b: tensor<131x77xf32>, %c: tensor<97x77xf32>)
        -> tensor<97x77xf32> {
      %r = linalg.matmul ins(%a, %b : tensor<97x131xf32>, tensor<131x77xf32>)
        outs(%c : tensor<97x77xf32>) -> tensor<97x77xf32>
      return %r : tensor<97x77xf32>
    }"""
    scripts = {}
    for knobs in (None, {"simt_matmul_0.block": 128}):
        context = new_context()
        with context, build_in(context):
            payload = ir.Module.parse(text, context)
            s = nvvm_schedule(payload, knobs=knobs)
            assert s.knobs == {"simt_matmul_0.block": ([128, 64, 32], 32 if knobs is None else 128)}
            scripts[knobs is None] = str(s.module)
    assert "tile_sizes [32, 32, 0]" in scripts[True] and "tile_sizes [128, 128, 0]" in scripts[False]
