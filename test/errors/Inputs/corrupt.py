"""Write a (possibly damaged) artifact of a StableHLO file, for the error tests.

    corrupt.py MODE SRC OUT

MODE: ``portable`` (StableHLO portable artifact), ``bytecode`` (MLIR bytecode),
``jax-export`` / ``jax-export-poly`` (``jax.export`` of a fixed function, concrete
or shape-polymorphic), optionally followed by ``+truncate`` (keep 60 %) or
``+bad-op-name`` (a non-identifier byte inside an op name of the string table);
``garbage`` writes bytes that are no known format.
"""

import io
import sys

from tilewright.ingress.stablehlo import jax_context


def artifact(mode: str, text: str) -> bytes:
    from jaxlib.mlir import ir
    from jaxlib.mlir.dialects import stablehlo

    if mode == "portable":
        return bytes(stablehlo.serialize_portable_artifact_str(text, stablehlo.get_minimum_version()))
    if mode == "bytecode":
        with jax_context() as ctx:
            module = ir.Module.parse(text, ctx)
            out = io.BytesIO()
            module.operation.write_bytecode(out)
            return out.getvalue()
    if mode.startswith("jax-export"):
        import jax
        import jax.numpy as jnp
        import numpy as np
        from jax import export

        shape = export.symbolic_shape("b, 4") if mode.endswith("poly") else (3, 4)
        spec = jax.ShapeDtypeStruct(shape, np.float32)
        return bytes(export.export(jax.jit(lambda x: jnp.sin(x) * 2))(spec).serialize())
    if mode == "garbage":
        return bytes(range(7, 250, 3)) * 4
    raise SystemExit(f"unknown mode {mode}")


def main() -> None:
    mode, src, out = sys.argv[1:]
    base, _, damage = mode.partition("+")
    data = artifact(base, open(src).read())
    if damage == "truncate":
        data = data[: len(data) * 6 // 10]
    elif damage == "bad-op-name":
        at = data.index(b"add")
        data = data[:at] + b"a\xb0d" + data[at + 3 :]
    elif damage:
        raise SystemExit(f"unknown damage {damage}")
    open(out, "wb").write(data)


if __name__ == "__main__":
    main()
