"""The GPU set run on a GPU: each program compiled for ``--target nvvm`` (the arch of the GPU
found) runs through the artifact runtime and must match the same program compiled for the CPU
(itself checked against JAX by the numerics tests). Skipped, with the runtime's reason, where
no GPU is visible (CI); ``benchmarks/gpu/run.py`` is the same check for a machine that has a
GPU but no compiler."""

from __future__ import annotations

import numpy as np
from test_nvvm import GPU_SET

import pytest
import tilewright
from tilewright.diagnostics import TilewrightError
from tilewright.runtime.inputs import random_inputs

# Relative to the largest magnitude of the CPU result (f16 programs round every stored value).
TOLERANCE = {"matmul_f16": 2e-2, "matmul_f16_tensor_cores": 2e-2}


@pytest.fixture(scope="module")
def gpu_arch() -> str:
    """The visible GPU's arch (``sm_80`` for compute capability 8.x, ``sm_90`` for 9.x); skips
    the module when the runtime finds no GPU."""
    from tilewright.runtime.artifact_cuda import default_driver

    try:
        driver = default_driver()
    except TilewrightError as exc:
        pytest.skip(f"no GPU to run on: {exc.message}")
    major = driver.compute_capability()[0]
    return "sm_90" if major >= 9 else "sm_80"


@pytest.mark.parametrize("name", sorted(GPU_SET))
def test_gpu_set_runs_on_the_gpu(name, gpu_arch):
    source = GPU_SET[name]()
    gpu = tilewright.compile(source, target="nvvm", gpu_arch=gpu_arch)
    cpu = tilewright.compile(source, threads=1)
    args = random_inputs(cpu.signature, seed=7)
    want = cpu(*args)
    got = gpu(*args)
    for w, g in zip(
        want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,), strict=True
    ):
        assert g.shape == w.shape and g.dtype == w.dtype
        scale = max(float(np.max(np.abs(w.astype(np.float64)))), 1e-30)
        err = float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64)))) / scale
        assert err <= TOLERANCE.get(name, 1e-4), f"{name}: relative error {err:.2e}"
