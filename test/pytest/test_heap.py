"""The JIT's heap policy (target/cpu/heap.py): compiled temporaries are not page-faulted on every call."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

# The zoo's MLP at 1000 rows: its temporaries (packed B per K slab, packed A and C, the 1000x4096
# hidden layer: tens of MiB) are malloc'd and freed per call, more than glibc's own dynamic
# thresholds keep. (At 256 rows the packed path now fuses the GELU and packs B per slab: too few
# temporaries left for the policy to show.)
FAULTS_PER_CALL = textwrap.dedent(
    """
    import resource
    import numpy as np
    import jax
    import tilewright

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 1024)).astype(np.float32)
    w1 = (rng.standard_normal((1024, 4096)) / 32).astype(np.float32)
    w2 = (rng.standard_normal((4096, 1024)) / 64).astype(np.float32)
    mlp = jax.jit(lambda x, w1, w2: jax.nn.gelu(x @ w1) @ w2)
    exe = tilewright.compile(mlp.lower(x, w1, w2).as_text(), threads=1)
    np.testing.assert_allclose(exe(x, w1, w2), mlp(x, w1, w2), rtol=1e-3, atol=1e-3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        exe(x, w1, w2)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 5)
    """
)


def faults_per_call(keep_heap: str) -> int:
    env = {**os.environ, "TILEWRIGHT_KEEP_HEAP": keep_heap, "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", FAULTS_PER_CALL], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def test_repeated_calls_fault_no_temporaries() -> None:
    # A result array (4 MiB, numpy's) is new on every call: up to ~1000 faults are the output's.
    kept = faults_per_call("1")
    assert kept < 1100, kept
    # Without the policy the same calls fault every temporary page again (the test can fail).
    released = faults_per_call("0")
    assert released > kept + 5000, (released, kept)
