"""The CPU target's choice of LLVM tuning (``tw-cpu-target``)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import tilewright
from conftest import stablehlo_of
from tilewright.target.cpu import TUNE_CPU_ENV, HostCpu, codegen_tune_cpu


def test_zen_hosts_are_tuned_generic(monkeypatch):
    monkeypatch.delenv(TUNE_CPU_ENV, raising=False)
    features = frozenset({"avx2", "fma"})
    assert codegen_tune_cpu(HostCpu("znver3", features)) == "generic"
    assert codegen_tune_cpu(HostCpu("znver1", features)) == "generic"
    assert codegen_tune_cpu(HostCpu("skylake-avx512", features)) is None


def test_environment_overrides_the_tuning(monkeypatch):
    monkeypatch.setenv(TUNE_CPU_ENV, "haswell")
    assert codegen_tune_cpu(HostCpu("znver3", frozenset())) == "haswell"
    monkeypatch.setenv(TUNE_CPU_ENV, "host")
    assert codegen_tune_cpu(HostCpu("znver3", frozenset())) is None


def test_compiled_functions_carry_the_tuning(monkeypatch):
    """Every generated function is tuned as chosen, and the code still computes the right thing."""
    monkeypatch.setenv(TUNE_CPU_ENV, "generic")
    x = np.linspace(-3, 3, 7 * 97, dtype=np.float32).reshape(7, 97)
    exe = tilewright.compile(stablehlo_of(lambda v: jnp.tanh(v) @ v.T, x), opt_level=2)
    llvm = exe.compilation.artifacts["llvm-dialect"]
    assert 'tune_cpu = "generic"' in llvm
    np.testing.assert_allclose(exe(x), np.tanh(x) @ x.T, rtol=1e-5, atol=1e-4)
