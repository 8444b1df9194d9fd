"""Regenerate the example programs: real StableHLO exported by jax.jit(f).lower(...).as_text().

python examples/export_examples.py
"""

from pathlib import Path

import jax
import numpy as np

HERE = Path(__file__).parent


def mlp(x, w1, b1, w2, b2):
    """A two-layer MLP with exact (erf) GELU, as in BERT/GPT feed-forward blocks."""
    h = jax.nn.gelu(x @ w1 + b1, approximate=False)
    return jax.nn.softmax(h @ w2 + b2, axis=-1)


def main() -> None:
    rng = np.random.default_rng(0)
    args = [
        rng.standard_normal((7, 97), np.float32),
        rng.standard_normal((97, 128), np.float32) * 0.1,
        rng.standard_normal((128,), np.float32),
        rng.standard_normal((128, 10), np.float32) * 0.1,
        rng.standard_normal((10,), np.float32),
    ]
    (HERE / "mlp.mlir").write_text(jax.jit(mlp).lower(*args).as_text())
    np.savez(HERE / "mlp_inputs.npz", *args)
    np.savez(HERE / "mlp_expected.npz", result0=np.asarray(jax.jit(mlp)(*args)))


if __name__ == "__main__":
    main()
