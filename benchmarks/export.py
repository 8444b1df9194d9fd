"""Write the benchmark programs as StableHLO text exported from JAX (f32, x64 disabled).

    python benchmarks/export.py                # rewrites the main suite's benchmarks/programs/*.mlir
    python benchmarks/export.py --suite zoo    # the model zoo (zoo.py): programs/zoo_*.mlir
    python benchmarks/export.py zoo_sort       # named programs of either suite

Each program is ``jax.jit(fn).lower(*example_inputs(name)).as_text()``. The inputs
themselves are not committed (the GPT block's weights alone are 12 MB): run.py
regenerates them with :func:`example_inputs`, scaled like trained weights so the
numbers stay in a range where f32 results of different implementations agree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from zoo import ZOO  # benchmarks/ is on the path when run.py or this script runs

PROGRAMS_DIR = Path(__file__).parent / "programs"

GPT_SEQ, GPT_D_MODEL, GPT_HEADS = 256, 512, 8


def matmul(a, b):
    return a @ b


def conv3x3(x, w):
    """NHWC input, HWIO filter, SAME padding, stride 1."""
    return lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def attention(q, k, v):
    """One head: softmax(Q·Kᵀ·scale)·V."""
    scale = np.float32(1.0 / np.sqrt(q.shape[-1]))
    return jax.nn.softmax(q @ k.T * scale, axis=-1) @ v


def causal_attention(q, k, v):
    """One causal head: the scores above the diagonal masked to -inf before the softmax."""
    scale = np.float32(1.0 / np.sqrt(q.shape[-1]))
    scores = q @ k.T * scale
    scores = jnp.where(jnp.tril(jnp.ones(scores.shape, bool)), scores, -jnp.inf)
    return jax.nn.softmax(scores, axis=-1) @ v


def multihead_attention(q, k, v):
    """Heads over [batch, heads, seq, dim], as jnp.einsum writes it."""
    scale = np.float32(1.0 / np.sqrt(q.shape[-1]))
    scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) * scale
    return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(scores, axis=-1), v)


def _layernorm(x, g, b, eps: float = 1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) * lax.rsqrt(var + eps) * g + b


def gpt_block(x, ln1_g, ln1_b, w_qkv, b_qkv, w_o, b_o, ln2_g, ln2_b, w_fc, b_fc, w_proj, b_proj):
    """Pre-norm transformer block: causal multi-head attention, GELU MLP (4x), two residuals."""
    t, d = x.shape
    hd = d // GPT_HEADS
    h = _layernorm(x, ln1_g, ln1_b)
    q, k, v = jnp.split(h @ w_qkv + b_qkv, 3, axis=-1)
    q, k, v = (a.reshape(t, GPT_HEADS, hd).transpose(1, 0, 2) for a in (q, k, v))
    scores = (q @ k.transpose(0, 2, 1)) * np.float32(1.0 / np.sqrt(hd))
    scores = jnp.where(jnp.tril(jnp.ones((t, t), bool)), scores, -jnp.inf)
    y = (jax.nn.softmax(scores, axis=-1) @ v).transpose(1, 0, 2).reshape(t, d)
    x = x + y @ w_o + b_o
    h = _layernorm(x, ln2_g, ln2_b)
    return x + jax.nn.gelu(h @ w_fc + b_fc) @ w_proj + b_proj


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _matmul_inputs(m: int, n: int, k: int) -> Callable[[np.random.Generator], list[np.ndarray]]:
    return lambda rng: [_normal(rng, m, k), _normal(rng, k, n)]


def _attention_inputs(seq: int, dim: int) -> Callable[[np.random.Generator], list[np.ndarray]]:
    return lambda rng: [_normal(rng, seq, dim) for _ in range(3)]


def _gpt_inputs(rng: np.random.Generator) -> list[np.ndarray]:
    t, d = GPT_SEQ, GPT_D_MODEL

    def ln() -> list[np.ndarray]:
        return [1 + _normal(rng, d, scale=0.1), _normal(rng, d, scale=0.1)]

    return [
        _normal(rng, t, d),
        *ln(),
        _normal(rng, d, 3 * d, scale=d**-0.5),
        _normal(rng, 3 * d, scale=0.1),
        _normal(rng, d, d, scale=d**-0.5),
        _normal(rng, d, scale=0.1),
        *ln(),
        _normal(rng, d, 4 * d, scale=d**-0.5),
        _normal(rng, 4 * d, scale=0.1),
        _normal(rng, 4 * d, d, scale=(4 * d) ** -0.5),
        _normal(rng, d, scale=0.1),
    ]


# name -> (function, input maker, shape description for the results table)
PROGRAMS: dict[str, tuple[Callable, Callable[[np.random.Generator], list[np.ndarray]], str]] = {
    "matmul_1024": (matmul, _matmul_inputs(1024, 1024, 1024), "M=N=K=1024"),
    "matmul_1000x999x1001": (matmul, _matmul_inputs(1000, 999, 1001), "M=1000 N=999 K=1001"),
    "matmul_97x131x77": (matmul, _matmul_inputs(97, 131, 77), "M=97 N=131 K=77"),
    "matmul_2048": (matmul, _matmul_inputs(2048, 2048, 2048), "M=N=K=2048"),
    "conv3x3_56x56x64": (
        conv3x3,
        lambda rng: [_normal(rng, 1, 56, 56, 64), _normal(rng, 3, 3, 64, 64, scale=(9 * 64) ** -0.5)],
        "NHWC 1x56x56x64, HWIO 3x3x64x64, SAME",
    ),
    "attention_1024x64": (attention, _attention_inputs(1024, 64), "seq 1024, head 64"),
    "attention_4096x64": (attention, _attention_inputs(4096, 64), "seq 4096, head 64"),
    "attention_causal_4096x64": (causal_attention, _attention_inputs(4096, 64), "causal, seq 4096, head 64"),
    "attention_2x8x1024x64": (
        multihead_attention,
        lambda rng: [_normal(rng, 2, 8, 1024, 64) for _ in range(3)],
        "[batch, heads, seq, dim] = 2x8x1024x64, einsum",
    ),
    "gpt_block": (gpt_block, _gpt_inputs, f"seq {GPT_SEQ}, d {GPT_D_MODEL}, {GPT_HEADS} heads"),
}


# suite -> program names (run.py's --suite; "all" is both)
SUITES: dict[str, list[str]] = {"main": list(PROGRAMS), "zoo": list(ZOO)}
SUITES["all"] = SUITES["main"] + SUITES["zoo"]


def example_inputs(name: str, seed: int = 0) -> list[np.ndarray]:
    """The arguments of program ``name`` of either suite (seeded; f32 but for the zoo's token ids)."""
    if name in ZOO:
        return ZOO[name].inputs(seed)
    return PROGRAMS[name][1](np.random.default_rng(seed))


def shape_of(name: str) -> str:
    """The shape description of program ``name`` for results tables."""
    return ZOO[name].describe() if name in ZOO else PROGRAMS[name][2]


def export(name: str) -> str:
    fn = ZOO[name].fn if name in ZOO else PROGRAMS[name][0]
    with jax.enable_x64(False):  # f32 programs, as users export them; the caller's setting is kept
        return jax.jit(fn).lower(*example_inputs(name)).as_text()


def main(argv: list[str]) -> int:
    suite = "main"
    if argv[:1] == ["--suite"] and len(argv) >= 2:
        suite, argv = argv[1], argv[2:]
        if suite not in SUITES:
            print(f"export.py: error: unknown suite '{suite}' (known: {', '.join(SUITES)})")
            return 1
    names = argv or SUITES[suite]
    unknown = [n for n in names if n not in SUITES["all"]]
    if unknown:
        print(f"export.py: error: unknown program(s) {', '.join(unknown)} (known: {', '.join(SUITES['all'])})")
        return 1
    PROGRAMS_DIR.mkdir(exist_ok=True)
    for name in names:
        text = export(name)
        if "f64" in text:
            raise SystemExit(f"export.py: error: {name} has f64 values; x64 must stay disabled")
        (PROGRAMS_DIR / f"{name}.mlir").write_text(text)
        print(f"wrote {PROGRAMS_DIR / name}.mlir")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
