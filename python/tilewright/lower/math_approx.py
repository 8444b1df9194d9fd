"""Vector ``exp``, ``sin`` and ``cos`` as polynomials on ``vector<..xf32>``.

LLVM scalarizes a vector ``llvm.intr.exp`` (``sin``, ``cos``, ...) into one libm call per
element, which made the exponentials of softmax (attention) and the rotations of RoPE the slowest
part of otherwise vectorized kernels. The CPU lowering (``tilewright.target.cpu.lowering``,
``VECTOR_MATH``) takes each function from here or from upstream's polynomials (the C++ extension's
``tw-math-approximation``), whichever measured better (``benchmarks/math_accuracy.py``; README,
"Vector math"): these are the ones that won.

Accuracy (float64 reference, every 512th float32 bit pattern; ``test_math_approx.py``,
``test_math_functions.py``):

* ``exp``: Cody-Waite range reduction ``x = n ln2 + r`` with ``|r| <= ln2/2``
  and a degree-7 (Cephes ``expf``) polynomial, 1.23 ulp. The scale ``2^n`` is
  applied as two factors ``2^(n/2)`` so results down to the subnormals keep
  gradual underflow (upstream's flushes them to 0); overflow gives ``+inf``,
  ``-inf`` gives 0, NaN stays NaN.
* ``sin``/``cos``: ``x = n pi/2 + y``, ``|y| <= pi/4``, by a three-part Cody-Waite reduction
  with FMAs, then Cephes' ``sinf``/``cosf`` polynomials by quadrant: 1.53 ulp. Upstream's
  reduces with one float ``pi/2`` (and by ``floor``: ``sin`` of a tiny negative number goes
  through ``cos`` near ``pi/2``), off by up to 10^37 ulps near the zeros. A vector with a lane
  beyond 2^18 (or inf/NaN) calls libm lane by lane, exact there.

Scalars (loops the schedule did not vectorize) keep libm, which is exact to
half an ulp; other element types keep the upstream lowering.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from mlir import ir
from mlir.dialects import arith, math, scf, vector

_LN2_HI = 0.693359375  # exact in 9 bits: n * _LN2_HI has no rounding error
_LN2_LO = -2.12194440e-4
_LOG2E = 1.44269504088896341
# Below, exp(x) underflows to 0 even as a subnormal; above, 2^n overflows to inf.
_EXP_LOWER = -104.0
_EXP_UPPER = 89.0
_EXP_POLY = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)
# pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 (+ 1e-23): each a float32, so with FMAs x - n pi/2 loses nothing
# for |n| < 2^17 or so (the first product is exact, the rest carry the low bits).
_PIO2_1 = 1.5707963705062866
_PIO2_2 = -4.371138828673793e-08
_PIO2_3 = -1.7151245100058819e-15
_TWO_OVER_PI = 0.6366197723675814
# Above, the reduction loses bits (and libm takes over, see _Emitter.libm_above).
_TRIG_LIBM_ABOVE = 262144.0
# Cephes sinf/cosf on [-pi/4, pi/4]: sin y = y + y^3 S(y^2), cos y = 1 - y^2/2 + y^4 C(y^2).
_SIN_POLY = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
_COS_POLY = (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)


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
        # A NaN comes out of the clamp as a number: put it back.
        return self.keep_nan(x, arith.mulf(arith.mulf(y, self.pow2(half)), self.pow2(arith.subi(ni, half))))

    def sin(self, x: ir.Value) -> ir.Value:
        return self.libm_above(x, _TRIG_LIBM_ABOVE, math.sin, lambda v: self.sin_cos(v, quadrant_offset=0.0))

    def cos(self, x: ir.Value) -> ir.Value:
        return self.libm_above(x, _TRIG_LIBM_ABOVE, math.cos, lambda v: self.sin_cos(v, quadrant_offset=1.0))

    def libm_above(
        self,
        x: ir.Value,
        bound: float,
        scalar: Callable[[ir.Value], ir.Value],
        fast: Callable[[ir.Value], ir.Value],
    ) -> ir.Value:
        """``fast(x)``, unless a lane has ``|x| > bound`` (or is inf/NaN): then ``scalar`` (libm)
        lane by lane, for the whole vector. Arguments that large are rare; libm stays exact there."""
        i1 = ir.IntegerType.get_signless(1)
        lanes = 1
        for size in self.type.shape:
            lanes *= size
        flat_type = ir.VectorType.get([lanes], self.type.element_type)
        large = arith.cmpf(arith.CmpFPredicate.UGT, math.absf(x), self.const(bound))
        if self.type.rank > 1:
            large = vector.shape_cast(ir.VectorType.get([lanes], i1), large)
        any_large = vector.reduction(i1, vector.CombiningKind.OR, large)
        branch = scf.IfOp(any_large, [self.type], has_else=True)
        with ir.InsertionPoint(branch.then_block):
            flat = vector.shape_cast(flat_type, x) if self.type.rank > 1 else x
            index = ir.IndexType.get()
            lane_loop = scf.ForOp(
                arith.constant(index, 0), arith.constant(index, lanes), arith.constant(index, 1), [flat]
            )
            with ir.InsertionPoint(lane_loop.body):
                i = lane_loop.induction_variable
                dynamic = [ir.ShapedType.get_dynamic_size()]
                lane = vector.extract(flat, [i], dynamic)
                updated = vector.insert(scalar(lane), lane_loop.inner_iter_args[0], [i], dynamic)
                scf.yield_([updated])
            result = lane_loop.results[0]
            scf.yield_([vector.shape_cast(self.type, result) if self.type.rank > 1 else result])
        with ir.InsertionPoint(branch.else_block):
            scf.yield_([fast(x)])
        return branch.results[0]

    def sin_cos(self, x: ir.Value, quadrant_offset: float) -> ir.Value:
        """``sin(x + quadrant_offset * pi/2)``: ``x = n pi/2 + y`` with ``|y| <= pi/4`` (three-part
        Cody-Waite reduction), then +-sin(y) or +-cos(y) by the quadrant ``n mod 4``."""
        n = math.floor(math.fma(x, self.const(_TWO_OVER_PI), self.const(0.5)))
        y = math.fma(n, self.const(-_PIO2_1), x)
        y = math.fma(n, self.const(-_PIO2_2), y)
        y = math.fma(n, self.const(-_PIO2_3), y)
        z = arith.mulf(y, y)
        sin_y = math.fma(arith.mulf(y, z), self.horner(z, _SIN_POLY), y)
        cos_y = math.fma(arith.mulf(z, z), self.horner(z, _COS_POLY), math.fma(z, self.const(-0.5), self.const(1.0)))
        # n mod 4 in floats (an i32 conversion of a huge n would be poison); inf/NaN give NaN via y.
        q = arith.addf(n, self.const(quadrant_offset))
        q = math.fma(math.floor(arith.mulf(q, self.const(0.25))), self.const(-4.0), q)
        qi = arith.fptosi(self.int_type, q)
        odd = arith.cmpi(arith.CmpIPredicate.ne, arith.andi(qi, self.iconst(1)), self.iconst(0))
        result = arith.select(odd, cos_y, sin_y)
        # Quadrants 2 and 3 negate: flip the sign bit.
        sign = arith.shli(arith.andi(qi, self.iconst(2)), self.iconst(30))
        return arith.bitcast(self.type, arith.xori(arith.bitcast(self.int_type, result), sign))

    def keep_nan(self, x: ir.Value, result: ir.Value) -> ir.Value:
        is_nan = arith.cmpf(arith.CmpFPredicate.UNO, x, x)
        return arith.select(is_nan, x, result)


_REWRITES = {"exp": _Emitter.exp, "sin": _Emitter.sin, "cos": _Emitter.cos}

FUNCTIONS: tuple[str, ...] = tuple(_REWRITES)
"""The math ops (by mnemonic) this module has polynomials for."""


def _is_f32_vector(t: ir.Type) -> bool:
    return isinstance(t, ir.VectorType) and isinstance(t.element_type, ir.F32Type) and not any(t.scalable_dims)


def approximate_vector_math(root: ir.Operation, functions: Collection[str] = FUNCTIONS) -> int:
    """Replace every f32-vector ``math.<f>`` under ``root`` for ``f`` in ``functions``; returns how many."""
    unknown = set(functions) - set(_REWRITES)
    if unknown:
        raise ValueError(f"no vector polynomial for {sorted(unknown)} (have: {', '.join(FUNCTIONS)})")
    names = {f"math.{f}" for f in functions}
    targets: list[ir.Operation] = []

    def collect(op: ir.Operation) -> ir.WalkResult:
        if op.name in names and _is_f32_vector(op.results[0].type):
            targets.append(op.operation)
        return ir.WalkResult.ADVANCE

    root.walk(collect)
    for op in targets:
        with ir.InsertionPoint(op), op.location:
            emitter = _Emitter(ir.VectorType(op.results[0].type))
            replacement = _REWRITES[op.name.removeprefix("math.")](emitter, op.operands[0])
        op.results[0].replace_all_uses_with(replacement)
        op.erase()
    return len(targets)


def vector_math_pass(functions: Collection[str] = FUNCTIONS) -> Callable[[ir.Operation, object], None]:
    """A ``PassManager.add`` entry point approximating ``functions``."""
    chosen = tuple(functions)

    def run(op: ir.Operation, pass_: object) -> None:
        with op.context:
            approximate_vector_math(op, chosen)

    return run


approximate_vector_math_pass = vector_math_pass()
"""``PassManager.add`` entry point for every function of :data:`FUNCTIONS`."""
