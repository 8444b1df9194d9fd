"""Compiling for a CPU other than the host (``--cpu``, ``cpu=``): the schedule library's tiles
and LLVM's instructions both follow the named CPU, so the AVX-512 and AVX2 paths of every
library schedule are checked in assembly on any x86 host; code for a CPU whose features the
host lacks is refused by the JIT, never run."""

from __future__ import annotations

import re
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.compiler import CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.schedule.cpu import config_for
from tilewright.target.cpu.host import KNOWN_CPUS, cpu_model, host_cpu, targeting

AVX2_CPU, AVX512_CPU = "haswell", "skylake-avx512"


def f32(rng, *shape):
    return rng.standard_normal(shape, dtype=np.float32)


def attention(q, k, v):
    return jax.nn.softmax(q @ k.T * 0.125, axis=-1) @ v


def conv(x, w):
    return jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


# One program per library schedule: unpacked and packed matmuls, convolution, a fusion group, attention.
PROGRAMS = {
    "matmul-97x131x77": (jnp.matmul, [(97, 77), (77, 131)]),
    "matmul-packed-384": (jnp.matmul, [(384, 384), (384, 384)]),
    "conv-3x3": (conv, [(1, 14, 14, 16), (3, 3, 16, 32)]),
    "softmax-7x1000": (lambda x: jax.nn.softmax(x, axis=-1), [(7, 1000)]),
    "attention-128x64": (attention, [(128, 64), (128, 64), (128, 64)]),
}


def assembly(name: str, cpu: str, features: str | None = None) -> str:
    fn, shapes = PROGRAMS[name]
    rng = np.random.default_rng(0)
    text = stablehlo_of(fn, *[f32(rng, *s) for s in shapes])
    compilation = start(as_source(text), CompileOptions(cpu=cpu, cpu_features=features, threads=1))
    return compilation.run_until("asm")


def registers(asm: str, kind: str) -> int:
    return len(re.findall(rf"%{kind}\d+", asm))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_library_schedule_compiles_for_both_isas(name):
    """AVX-512 code has zmm FMAs; AVX2 code has ymm FMAs and never a zmm register."""
    wide, narrow = assembly(name, AVX512_CPU), assembly(name, AVX2_CPU)
    assert registers(wide, "zmm") > 0 and re.search(r"vfmadd\w+\s+[^\n]*%zmm", wide)
    assert registers(narrow, "zmm") == 0
    assert registers(narrow, "ymm") > 0 and re.search(r"vfmadd\w+\s+[^\n]*%ymm", narrow)


def test_the_library_tiles_for_the_target():
    """The microkernel is sized for the named CPU's registers, whatever the host."""
    with targeting(cpu_model(AVX2_CPU)):
        assert config_for().name == "avx2"
    with targeting(cpu_model(AVX512_CPU)):
        assert config_for().name == "avx512"
    with targeting(cpu_model(AVX512_CPU, "-avx512f")):
        assert config_for().name == "avx2"
    assert config_for().vector_bits == host_cpu().vector_bits  # outside: the host again


def test_features_remove_avx512():
    """``-avx512f`` on an AVX-512 CPU: the AVX2 tiles and no zmm anywhere."""
    asm = assembly("matmul-97x131x77", AVX512_CPU, "-avx512f")
    assert registers(asm, "zmm") == 0 and registers(asm, "ymm") > 0


@pytest.mark.skipif(not {"avx2", "fma"} <= host_cpu().features, reason="the host cannot run AVX2 code")
@pytest.mark.parametrize(("fn", "shapes"), [(jnp.matmul, [(7, 97), (97, 1000)]), (attention, [(97, 64)] * 3)])
def test_avx2_code_runs_right_on_this_host(rng, fn, shapes):
    args = [f32(rng, *s) for s in shapes]
    exe = tilewright.compile(stablehlo_of(fn, *args), cpu=AVX2_CPU, threads=1)
    assert exe.compilation.options.cpu_model.name == AVX2_CPU
    np.testing.assert_allclose(exe(*args), np.asarray(jax.jit(fn)(*args)), rtol=2e-5, atol=2e-5)


def test_a_cpu_the_host_cannot_run_is_refused():
    host = host_cpu()
    foreign = next((c for c in KNOWN_CPUS.values() if c.missing_on(host)), None)
    if foreign is None:
        pytest.skip("this host has every feature of every known CPU")
    x = np.ones((7, 13), np.float32)
    with pytest.raises(tilewright.TilewrightError, match=rf"compiled for CPU '{foreign.name}' cannot run") as info:
        tilewright.compile(stablehlo_of(jnp.tanh, x), cpu=foreign.name)
    assert ", ".join(foreign.missing_on(host)) in str(info.value)


def test_unknown_cpu_and_bad_features_are_errors(tmp_path):
    with pytest.raises(tilewright.TilewrightError, match=r"unknown CPU 'pentium9' \(known: host, .*znver4"):
        CompileOptions(cpu="pentium9")
    with pytest.raises(tilewright.TilewrightError, match=r"bad CPU feature 'avx512f'"):
        CompileOptions(cpu=AVX512_CPU, cpu_features="avx512f")
    program = tmp_path / "tanh.mlir"
    program.write_text(stablehlo_of(jnp.tanh, np.ones((7, 1000), np.float32)))
    cli = [sys.executable, "-m", "tilewright.cli.main", "compile", str(program), "--emit", "asm", "-o", "-"]
    done = subprocess.run([*cli, "--cpu", "pentium9"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "error: unknown CPU 'pentium9'" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run([*cli, "--cpu", AVX2_CPU], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "%ymm" in done.stdout and "%zmm" not in done.stdout


def test_cache_model_from_sysfs(tmp_path):
    """Caches come from sysfs (instruction caches skipped, the L3's sharing counted)."""
    from tilewright.target.cpu import host

    for index, (level, kind, size, shared) in enumerate(
        [
            (1, "Data", "48K", "0"),
            (1, "Instruction", "32K", "0"),
            (2, "Unified", "1024K", "0"),
            (3, "Unified", "32M", "0-7,16"),
        ]
    ):
        d = tmp_path / f"index{index}"
        d.mkdir()
        for name, value in (("level", level), ("type", kind), ("size", size), ("shared_cpu_list", shared)):
            (d / name).write_text(f"{value}\n")
    assert host._cache_sizes(tmp_path) == {"l1d": 48 << 10, "l2": 1 << 20, "l3": 32 << 20, "l3_sharing": 9}
    # The associativity and line size, where sysfs has them (the blocking's way-based formulas).
    (tmp_path / "index0" / "ways_of_associativity").write_text("12\n")
    (tmp_path / "index0" / "coherency_line_size").write_text("64\n")
    (tmp_path / "index2" / "ways_of_associativity").write_text("16\n")
    (tmp_path / "index3" / "ways_of_associativity").write_text("garbage\n")
    sizes = host._cache_sizes(tmp_path)
    assert (sizes["l1d_ways"], sizes["line_bytes"], sizes["l2_ways"], "l3_ways" in sizes) == (12, 64, 16, False)
    assert host._cache_sizes(tmp_path / "absent") == {}
    assert cpu_model("znver4").fma_lanes_per_cycle == 16  # two 256-bit halves
    assert cpu_model("znver5").fma_lanes_per_cycle == 32
    assert cpu_model(AVX2_CPU).vector_registers == 16 and cpu_model(AVX512_CPU).vector_registers == 32
