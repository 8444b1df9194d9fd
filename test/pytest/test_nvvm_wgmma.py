"""f16/bf16 matmuls on Hopper's warpgroup MMA (``schedule/nvvm/wgmma.py``, ``target/nvvm/wgmma.py``)
without a GPU: the sm_90a row takes what it can (and only for sm_90a), the extf fold keeps the
computation (the mixed-precision matmul's body extends each operand to f32), and ``ptxas -v``
accepts the f16 4096³ kernel for sm_90a with no spills. Numerics are not checked: the GPU emulator
does not run ``wgmma`` (test_wgmma_layout.py checks the op's layouts against the PTX ISA)."""

from __future__ import annotations

import re

import ml_dtypes
from mlir import ir
from test_nvvm_tensorcore import MMA, _compile, _matmul, _ptxas_v

import pytest
from tilewright import extension
from tilewright.mlir_env import new_context, parse_module
from tilewright.schedule.nvvm.wgmma import fold_extf_into_matmul
from tilewright.schedule.tags import OP_TAG

pytestmark = pytest.mark.skipif(not extension.available(), reason="the C++ extension is not built")

WGMMA = "wgmma.mma_async.sync.aligned.m64n128k16.f32.{0}.{0}"


def test_f16_matmul_4096_on_wgmma_ptxas_accepts_without_spills(tmp_path):
    ptx = _compile(_matmul((4096, 4096), (4096, 4096)), "sm_90a")["ptx"]
    assert ptx.count(WGMMA.format("f16")) == 8  # two 64-row halves x four k16 steps of a 64 slice
    assert "mma.sync" not in ptx
    assert re.findall(r"\.shared \.align 16 \.b8 \w+\[(\d+)\]", ptx) == ["16384", "16384"]  # 32 KiB of 48
    kernels = _ptxas_v(ptx, "sm_90a", tmp_path)
    assert len(kernels) == 2, kernels  # the matmul, then the f32 -> f16 rounding
    for name, (registers, spills) in kernels.items():
        assert spills == 0 and registers <= 255, (name, registers, spills)


def test_bf16_matmul_on_wgmma(tmp_path):
    ptx = _compile(_matmul((128, 64), (64, 256), ml_dtypes.bfloat16), "sm_90a")["ptx"]
    assert ptx.count(WGMMA.format("bf16")) == 8
    assert all(spills == 0 for _, spills in _ptxas_v(ptx, "sm_90a", tmp_path).values())


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_other_archs_keep_mma_sync(arch):
    ptx = _compile(_matmul((256, 128), (128, 256)), arch)["ptx"]
    assert MMA in ptx and "wgmma" not in ptx


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [
        ((64, 64), (64, 128)),  # M = 64: the 128x128 block tile does not divide it
        ((128, 96), (96, 128)),  # K = 96: no whole k slice of 64
        ((2, 128, 64), (2, 64, 128)),  # batch matmul: not taken yet
    ],
)
def test_what_the_row_leaves_goes_to_mma_sync(a_shape, b_shape):
    ptx = _compile(_matmul(a_shape, b_shape), "sm_90a")["ptx"]
    assert MMA in ptx and "wgmma" not in ptx


FOLDABLE = """
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @f(%a: tensor<128x64xf16>, %b: tensor<64x128xf16>, %c: tensor<128x128xf32>) -> tensor<128x128xf32> {
  %ea = tensor.empty() : tensor<128x64xf32>
  %eb = tensor.empty() : tensor<64x128xf32>
  %a32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<128x64xf16>) outs(%ea : tensor<128x64xf32>) {
  ^bb0(%x: f16, %y: f32):
    %e = arith.extf %x : f16 to f32
    linalg.yield %e : f32
  } -> tensor<128x64xf32>
  %b32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<64x128xf16>) outs(%eb : tensor<64x128xf32>) {
  ^bb0(%x: f16, %y: f32):
    %e = arith.extf %x : f16 to f32
    linalg.yield %e : f32
  } -> tensor<64x128xf32>
  %r = linalg.matmul {tw.op_id = 7 : i64} ins(%a32, %b32 : tensor<128x64xf32>, tensor<64x128xf32>)
      outs(%c : tensor<128x128xf32>) -> tensor<128x128xf32>
  return %r : tensor<128x128xf32>
}
"""


def test_fold_keeps_the_extension_in_the_matmul_body():
    """The folded matmul reads the f16 tensors and its body extends both to f32 before the
    multiply-add: the products and sums of the extf form, nothing rounded to f16."""
    with new_context() as context:
        module = parse_module(FOLDABLE, "<foldable>", context)
        func = module.body.operations[0]
        matmul = next(op for op in func.regions[0].blocks[0].operations if op.operation.name == "linalg.matmul")
        new = fold_extf_into_matmul(matmul.operation)
        names = [op.operation.name for op in func.regions[0].blocks[0].operations]
        assert names.count("linalg.generic") == 0 and names.count("linalg.matmul") == 1
        assert [str(v.type) for v in new.operands] == [
            "tensor<128x64xf16>",
            "tensor<64x128xf16>",
            "tensor<128x128xf32>",
        ]
        assert ir.IntegerAttr(new.attributes[OP_TAG]).value == 7
        body = [op.operation for op in new.regions[0].blocks[0].operations]
        assert [op.name for op in body] == ["arith.extf", "arith.extf", "arith.mulf", "arith.addf", "linalg.yield"]
        assert module.operation.verify()
