"""``stablehlo.triangular_solve`` as substitution loops.

Solves ``op(a) x = b`` (``left_side``) or ``x op(a) = b`` for every batch
element, ``op`` being the identity, a transpose or (for real types, the
same) an adjoint. Only the triangle ``lower`` names is read. With ``A =
op(a)``, each unknown ``p`` (a row of ``x`` on the left, a column on the
right) is solved in dependency order:

    left:   x[p, c] = (b[p, c] - sum_k A[p, k] x[k, c]) / A[p, p]
    right:  x[c, p] = (b[c, p] - sum_k x[c, k] A[k, p]) / A[p, p]

over the already solved ``k``: forward (``p = 0, 1, ...``) when ``A`` is lower
triangular on the left or upper triangular on the right, backward otherwise.
``x`` starts as a copy of ``b`` and is overwritten in place, so ``b[p, c]``
is still there when row ``p`` is solved. No division with ``unit_diagonal``.
"""

from __future__ import annotations

from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith, scf

from tilewright.ingress.legalize import _build as b

_FLOATS = (ir.F16Type, ir.BF16Type, ir.F32Type, ir.F64Type)


def lower_triangular_solve(op: Any) -> None:
    """Replace one ``stablehlo.triangular_solve`` by loops (see the module docstring)."""
    a, rhs = op.operands
    attrs = op.attributes
    left = ir.BoolAttr(attrs["left_side"]).value
    lower = ir.BoolAttr(attrs["lower"]).value
    unit = ir.BoolAttr(attrs["unit_diagonal"]).value
    transpose = str(attrs["transpose_a"]).split()[-1].rstrip(">")
    if transpose not in ("NO_TRANSPOSE", "TRANSPOSE", "ADJOINT"):
        raise b.unsupported(op, f"transpose_a = {transpose}")
    transposed = transpose != "NO_TRANSPOSE"  # the adjoint of a real matrix is its transpose
    _solve(op, a, rhs, left=left, lower=lower, unit=unit, transposed=transposed)


# jax.jit on CPU calls LAPACK's trsm through these FFI targets instead of
# emitting stablehlo.triangular_solve; the flags are LAPACK's characters.
LAPACK_TRSM = ("lapack_strsm_ffi", "lapack_dtrsm_ffi")


def lower_custom_call(op: Any) -> None:
    """Replace the LAPACK triangular-solve custom calls; leave any other custom call alone."""
    target = ir.StringAttr(op.attributes["call_target_name"]).value
    if target not in LAPACK_TRSM:
        return
    if len(op.operands) != 2 or len(op.results) != 1:
        raise b.unsupported(op, f"{target} with {len(op.operands)} operands and {len(op.results)} results")
    config = op.attributes["mhlo.backend_config"] if "mhlo.backend_config" in op.attributes else None
    flags: dict[str, str] = {}
    if config is not None:
        for named in ir.DictAttr(config):
            if named.name in ("side", "uplo", "trans_x", "diag"):
                flags[named.name] = chr(ir.IntegerAttr(named.attr).value)
    if set(flags) != {"side", "uplo", "trans_x", "diag"}:
        raise b.unsupported(op, f"{target} without side/uplo/trans_x/diag in mhlo.backend_config")
    a, rhs = op.operands
    _solve(
        op,
        a,
        rhs,
        left=flags["side"] == "L",
        lower=flags["uplo"] == "L",
        unit=flags["diag"] == "U",
        transposed=flags["trans_x"] != "N",
    )


def _solve(op: Any, a: Any, rhs: Any, *, left: bool, lower: bool, unit: bool, transposed: bool) -> None:
    a_type = b.static_tensor_type(op, a, "the matrix")
    b_type = b.static_tensor_type(op, rhs, "the right-hand side")
    elem = a_type.element_type
    if not isinstance(elem, _FLOATS):
        raise b.unsupported(op, f"element type {elem} (real floating-point types only)")
    rank = b_type.rank
    m = a_type.shape[-1]
    batch = list(b_type.shape[:-2])
    n = b_type.shape[-1] if left else b_type.shape[-2]
    if a_type.rank != rank or list(a_type.shape[:-2]) != batch or a_type.shape[-2] != m:
        raise b.unsupported(op, f"matrix {a_type} for right-hand side {b_type}")
    effective_lower = lower != transposed
    forward = effective_lower if left else not effective_lower
    if m == 0 or n == 0 or 0 in batch:
        b.replace_op(op, [rhs])
        return

    def solve(bivs: list[Any], carried: list[Any]) -> list[Any]:
        def a_at(i: Any, j: Any) -> Any:  # op(a)[i, j]
            return b.tensor_extract(a, [*bivs, j, i] if transposed else [*bivs, i, j])

        def x_index(p: Any, c: Any) -> list[Any]:
            return [*bivs, p, c] if left else [*bivs, c, p]

        def per_unknown(step: list[Any], state: list[Any]) -> list[Any]:
            p = step[0] if forward else arith.subi(b.const_index(m - 1), step[0])
            lo, hi = (b.const_index(0), p) if forward else (arith.addi(p, b.const_index(1)), b.const_index(m))
            diag = a_at(p, p)

            def per_column(cs: list[Any], xs: list[Any]) -> list[Any]:
                (x,) = xs
                c = cs[0]
                dot = scf.ForOp(lo, hi, b.const_index(1), [b.tensor_extract(x, x_index(p, c))])
                with ir.InsertionPoint(dot.body):
                    k = dot.induction_variable
                    coef = a_at(p, k) if left else a_at(k, p)
                    term = arith.mulf(coef, b.tensor_extract(x, x_index(k, c)))
                    b.yield_([arith.subf(dot.inner_iter_args[0], term)])
                value = dot.results[0] if unit else arith.divf(dot.results[0], diag)
                return [b.tensor_insert(value, x, x_index(p, c))]

            return b.loop_nest([n], state, per_column)

        return b.loop_nest([m], carried, per_unknown)

    (result,) = b.loop_nest(batch, [rhs], solve)
    b.replace_op(op, [result])
