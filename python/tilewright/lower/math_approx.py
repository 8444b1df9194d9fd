"""Vector ``exp``/``tanh`` as polynomials: ``math.exp``/``math.tanh`` on ``vector<..xf32>``.

LLVM scalarizes a vector ``llvm.intr.exp`` into one ``expf`` call per element,
which made the exponentials of softmax (attention) and the ``tanh`` of GELU the
slowest part of otherwise vectorized kernels. Upstream's polynomial
approximation patterns are not reachable from the MLIR 22 Python wheels (no pass,
no transform op), so this pass rewrites the vector forms into ``arith``/``math.fma``
ops that stay vectors all the way to the machine code.

Accuracy (checked against numpy in ``test_math_approx.py``):

* ``exp``: Cody-Waite range reduction ``x = n ln2 + r`` with ``|r| <= ln2/2``
  and a degree-7 (Cephes ``expf``) polynomial, about 1 ulp. The scale ``2^n`` is
  applied as two factors ``2^(n/2)`` so results down to the subnormals keep
  gradual underflow; overflow gives ``+inf``, ``-inf`` gives 0, NaN stays NaN.
* ``tanh``: for ``|x| < 0.625`` the odd Cephes ``tanhf`` polynomial (no
  cancellation near 0); above, ``1 - 2 / (exp(2|x|) + 1)`` with the sign of ``x``,
  which saturates to +-1. A few ulp.

Scalars (loops the schedule did not vectorize) keep libm, which is exact to
half an ulp; other element types keep the upstream lowering.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlir import ir
from mlir.dialects import arith, math

_LN2_HI = 0.693359375  # exact in 9 bits: n * _LN2_HI has no rounding error
_LN2_LO = -2.12194440e-4
_LOG2E = 1.44269504088896341
# Below, exp(x) underflows to 0 even as a subnormal; above, 2^n overflows to inf.
_EXP_LOWER = -104.0
_EXP_UPPER = 89.0
_EXP_POLY = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)
_TANH_SMALL = 0.625
_TANH_POLY = (-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1)


class _Emitter:
    """Builds elementwise ops of one vector type in front of the op being replaced."""

    def __init__(self, vector_type: ir.VectorType) -> None:
        self.type = vector_type
        self.int_type = ir.VectorType.get(vector_type.shape, ir.IntegerType.get_signless(32))

    def const(self, value: float) -> ir.Value:
        f32 = self.type.element_type
        return arith.constant(self.type, ir.DenseElementsAttr.get_splat(self.type, ir.FloatAttr.get(f32, value)))

    def iconst(self, value: int) -> ir.Value:
        i32 = self.int_type.element_type
        return arith.constant(
            self.int_type, ir.DenseElementsAttr.get_splat(self.int_type, ir.IntegerAttr.get(i32, value))
        )

    def horner(self, x: ir.Value, coefficients: Sequence[float]) -> ir.Value:
        """``c0 x^(k-1) + ... + c(k-1)`` with one FMA per coefficient."""
        acc = self.const(coefficients[0])
        for c in coefficients[1:]:
            acc = math.fma(acc, x, self.const(c))
        return acc

    def pow2(self, n: ir.Value) -> ir.Value:
        """``2^n`` for an i32 vector ``n`` in [-126, 127] (exponent bits, no arithmetic)."""
        biased = arith.addi(n, self.iconst(127))
        return arith.bitcast(self.type, arith.shli(biased, self.iconst(23)))

    def exp(self, x: ir.Value) -> ir.Value:
        return self.keep_nan(x, self.exp_of_number(x))

    def exp_of_number(self, x: ir.Value) -> ir.Value:
        """``exp`` for non-NaN ``x`` (a NaN comes out as a number: the callers select it away)."""
        xc = arith.minnumf(arith.maxnumf(x, self.const(_EXP_LOWER)), self.const(_EXP_UPPER))
        n = math.floor(math.fma(xc, self.const(_LOG2E), self.const(0.5)))
        r = math.fma(n, self.const(-_LN2_HI), xc)
        r = math.fma(n, self.const(-_LN2_LO), r)
        # e^r = 1 + r + r^2 P(r)
        p = self.horner(r, _EXP_POLY)
        y = math.fma(arith.mulf(r, r), p, arith.addf(r, self.const(1.0)))
        # n in [-150, 129]: two halves keep each 2^k a normal number.
        ni = arith.fptosi(self.int_type, n)
        half = arith.shrsi(ni, self.iconst(1))
        return arith.mulf(arith.mulf(y, self.pow2(half)), self.pow2(arith.subi(ni, half)))

    def tanh(self, x: ir.Value) -> ir.Value:
        ax = math.absf(x)
        # small |x|: x + x^3 P(x^2)
        z = arith.mulf(x, x)
        small = math.fma(arith.mulf(x, z), self.horner(z, _TANH_POLY), x)
        # large |x|: 1 - 2 / (e^(2|x|) + 1), saturating to 1 when e^(2|x|) = inf
        e = self.exp_of_number(arith.addf(ax, ax))
        large = arith.subf(self.const(1.0), arith.divf(self.const(2.0), arith.addf(e, self.const(1.0))))
        large = math.copysign(large, x)
        is_small = arith.cmpf(arith.CmpFPredicate.OLT, ax, self.const(_TANH_SMALL))
        return self.keep_nan(x, arith.select(is_small, small, large))

    def keep_nan(self, x: ir.Value, result: ir.Value) -> ir.Value:
        is_nan = arith.cmpf(arith.CmpFPredicate.UNO, x, x)
        return arith.select(is_nan, x, result)


_REWRITES = {"math.exp": _Emitter.exp, "math.tanh": _Emitter.tanh}


def _is_f32_vector(t: ir.Type) -> bool:
    return isinstance(t, ir.VectorType) and isinstance(t.element_type, ir.F32Type) and not any(t.scalable_dims)


def approximate_vector_math(root: ir.Operation) -> int:
    """Replace every f32-vector ``math.exp``/``math.tanh`` under ``root``; returns how many."""
    targets: list[ir.Operation] = []

    def collect(op: ir.Operation) -> ir.WalkResult:
        if op.name in _REWRITES and _is_f32_vector(op.results[0].type):
            targets.append(op.operation)
        return ir.WalkResult.ADVANCE

    root.walk(collect)
    for op in targets:
        with ir.InsertionPoint(op), op.location:
            emitter = _Emitter(ir.VectorType(op.results[0].type))
            replacement = _REWRITES[op.name](emitter, op.operands[0])
        op.results[0].replace_all_uses_with(replacement)
        op.erase()
    return len(targets)


def approximate_vector_math_pass(op: ir.Operation, pass_: object) -> None:
    """``PassManager.add`` entry point."""
    with op.context:
        approximate_vector_math(op)
