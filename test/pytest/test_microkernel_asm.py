"""The matmul microkernel as the CPU runs it: the innermost k loop of the generated assembly,
for an AVX2 and an AVX-512 CPU, compiled on any x86 host (``--cpu``).

Per k step the mr x nr kernel must load ``nr / lanes`` vectors of B (aligned: the packed panels
are 64-byte aligned), broadcast ``mr`` elements of A and issue ``mr * nr / lanes`` FMAs, with
every accumulator in a register: no vector move to or from the stack in the loop. LLVM may
unroll the loop, so the counts are checked as one multiple of the per-step figures.
"""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np

import pytest
from conftest import stablehlo_of
from tilewright.compiler import CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.schedule.cpu import config_for
from tilewright.target.cpu.host import KNOWN_CPUS, targeting

# An AVX2 CPU and AVX-512 CPUs (Zen 4: 512-bit FMAs on 256-bit halves), by LLVM name.
CPUS = ["znver3", "skylake-avx512", "znver4"]

# Shapes taking the packed path (K over kc: the packs, the kc x nr micro-panel of B) and the
# unpacked one (small, odd: B read in place, partial tiles padded).
PACKED, UNPACKED = (384, 384, 384), (97, 131, 77)


def assembly(cpu: str, m: int, n: int, k: int) -> str:
    a, b = np.zeros((m, k), np.float32), np.zeros((k, n), np.float32)
    text = stablehlo_of(jnp.matmul, a, b)
    return start(as_source(text), CompileOptions(cpu=cpu, threads=1)).run_until("asm")


def hot_loop(asm: str) -> str:
    """The body of the self-looping basic block with the most FMAs: the microkernel's k loop."""
    best, best_fmas = "", -1
    for block in re.split(r"\n(?=\.LBB\d+_\d+:)", asm):
        label = re.match(r"(\.LBB\d+_\d+):", block)
        if label is None:
            continue
        body = block.split("\n# %bb.")[0]  # up to the block's fall-through successor
        if not re.search(rf"\n\s+j\w+\s+{re.escape(label.group(1))}\b", body):
            continue
        fmas = len(re.findall(r"\bvfmadd\d+ps\b", body))
        if fmas > best_fmas:
            best, best_fmas = body, fmas
    return best


def count(pattern: str, text: str) -> int:
    return len(re.findall(pattern, text, re.MULTILINE))


def expected(cpu: str) -> tuple[int, int, int, str]:
    """(FMAs, broadcasts, B loads) per k step and the register kind, from the library's tiles."""
    with targeting(KNOWN_CPUS[cpu]):
        cfg = config_for()
    vectors = cfg.nr // cfg.lanes
    return cfg.mr * vectors, cfg.mr, vectors, "zmm" if cfg.lanes == 16 else "ymm"


def check_kernel(loop: str, cpu: str) -> int:
    """The per-step counts hold up to one unroll factor, which is returned."""
    fmas, broadcasts, _, reg = expected(cpu)
    assert loop, "no k loop with FMAs found"
    # No spill or reload: LLVM marks them ("# 32-byte Reload", "Folded Spill"), and no vector
    # register moves to or from the stack (%rbp may be a plain base register: frame pointers
    # are omitted).
    assert not re.search(r"(Spill|Reload)$", loop, re.MULTILINE), loop
    assert not re.search(r"^\s+v\w+\s+[^\n]*\(%rsp\b", loop, re.MULTILINE), loop
    got = count(rf"^\s+vfmadd\d+ps\s+[^\n]*%{reg}\d+\s*(#.*)?$", loop)
    assert got % fmas == 0 and got > 0, f"{got} FMAs on {reg}, not a multiple of {fmas}:\n{loop}"
    unroll = got // fmas
    assert count(r"^\s+vbroadcastss\s", loop) == unroll * broadcasts, loop
    assert count(r"\bvfmadd\d+ps\b", loop) == got, "FMAs on another register width"
    return unroll


@pytest.mark.parametrize("cpu", CPUS)
def test_packed_microkernel(cpu):
    """Packed path: the B micro-panel read with aligned full-width loads, nothing else loaded
    but A's broadcasts (and at most one 64-bit load that feeds two of them)."""
    loop = hot_loop(assembly(cpu, *PACKED))
    unroll = check_kernel(loop, cpu)
    _, _, loads, reg = expected(cpu)
    assert count(rf"^\s+vmovaps\s+[^\n%]*\(%\w+[^\n]*\),\s*%{reg}\d+", loop) == unroll * loads, loop
    assert count(rf"^\s+vmovups\s+[^\n]*%{reg}", loop) == 0, "unaligned vector loads of the packed panels"


@pytest.mark.parametrize("cpu", CPUS)
def test_unpacked_microkernel(cpu):
    """Unpacked path (97 x 131 x 77): the full-tile kernel holds its accumulators too."""
    check_kernel(hot_loop(assembly(cpu, *UNPACKED)), cpu)


@pytest.mark.xfail(
    strict=True,
    reason="tuned for Haswell, LLVM loads A's last two elements of a 6-row panel with one vmovsd and "
    "splats the second with vpermps, whose index vector it spills: one 32-byte reload per k step "
    "(Zen's generic tuning, znver3 above, keeps it in registers)",
)
def test_haswell_tuned_kernel_has_no_reload():
    check_kernel(hot_loop(assembly("haswell", *PACKED)), "haswell")
