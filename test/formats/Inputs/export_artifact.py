"""Write a jax.export artifact for the lit tests: ``export_artifact.py KIND OUT``.

KIND: ``unused`` (an argument JAX drops from @main), ``multi-platform`` (exported
for cpu and cuda: @main takes the platform index first).
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax import export


def f(x, unused, y):
    return jnp.sin(x) * 2 + y


def main() -> None:
    kind, out = sys.argv[1:]
    x = np.ones((3, 4), np.float32)
    platforms = {"unused": None, "multi-platform": ["cpu", "cuda"]}[kind]
    exported = export.export(jax.jit(f), platforms=platforms)(x, x, x)
    with open(out, "wb") as file:
        file.write(exported.serialize())


if __name__ == "__main__":
    main()
