"""The comparators JAX emits for ``stablehlo.sort``, recognized as an integer key order.

:mod:`sort_network` sorts 64-bit integers (``key << 32 | position``), so it
needs each comparator as a map from the first operand's elements to a signed
32-bit key whose ``<`` is the comparator. Only one-key comparators on the
first operand are recognized (the other operands are carried along):

- ``compare LT|GT, a, b, SIGNED|UNSIGNED`` on integers of 8 to 64 bits
  (``jnp.sort``, ``lax.sort_key_val`` on integers; 64-bit keys are their own
  key, for :mod:`sort_network` to sort alone);
- ``compare LT|GT, a, b, TOTALORDER`` on f16/bf16/f32 (the total order:
  -NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN, by the bits);
- the same after JAX's canonicalization of both sides (``jnp.sort``,
  ``jnp.argsort``, ``lax.sort`` on floats): ``select(x != x, NaN,
  select(x == 0, 0.0, x))``, so every zero ties with every zero and every
  NaN with every NaN (above +inf); their order in the result is then their
  order in the input (stable), which the position in the low half keeps.

``GT`` (or ``LT`` with the arguments swapped) is a descending order: the key
is complemented. Anything else (several keys, 64-bit floats, booleans, other
expressions) is not recognized: :func:`match_key` returns None and the sort
keeps the general merge sort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import arith

_FLOAT_TYPES = (ir.F32Type, ir.F16Type, ir.BF16Type)


@dataclass(frozen=True)
class SortKey:
    """How the first operand's elements become signed 32-bit keys."""

    kind: str  # "signed", "unsigned", "float"
    width: int  # the element's bits (8, 16, 32)
    canonical: bool  # floats: zeros tie and NaNs tie (JAX's comparator)
    descending: bool


def _owner(value: Any) -> ir.Operation | None:
    owner = value.owner
    if not isinstance(owner, ir.Operation) and hasattr(owner, "operation"):
        owner = owner.operation
    return owner if isinstance(owner, ir.Operation) else None


def _direction(op: ir.Operation) -> tuple[str, str]:
    """A ``stablehlo.compare``'s direction and compare type, as plain words."""
    direction = str(op.attributes["comparison_direction"]).split()[-1].rstrip(">")
    compare_type = str(op.attributes["compare_type"]).split()[-1].rstrip(">") if "compare_type" in op.attributes else ""
    return direction, compare_type


def _splat(value: Any) -> float | None:
    """The float a splat ``stablehlo.constant`` defining ``value`` holds, or None."""
    op = _owner(value)
    if op is None or op.name != "stablehlo.constant":
        return None
    attr = ir.DenseElementsAttr(op.attributes["value"])
    if not attr.is_splat:
        return None
    splat = attr.get_splat_value()
    return ir.FloatAttr(splat).value if isinstance(splat, ir.FloatAttr) else None


def _is_compare(value: Any, direction: str, lhs: Any, rhs: Any | None) -> bool:
    """``value = compare direction, lhs, rhs, FLOAT`` (``rhs`` None: a zero constant)."""
    op = _owner(value)
    if op is None or op.name != "stablehlo.compare" or _direction(op) != (direction, "FLOAT"):
        return False
    a, b = op.operands
    if a != lhs:
        return False
    if rhs is None:
        zero = _splat(b)
        return zero == 0.0
    return b == rhs


def _canonical_of(value: Any) -> Any | None:
    """The ``x`` of ``select(x != x, +NaN, select(x == 0, 0.0, x))``, or None."""
    outer = _owner(value)
    if outer is None or outer.name != "stablehlo.select":
        return None
    is_nan, nan, inner_value = outer.operands
    nan_value = _splat(nan)
    if nan_value is None or not math.isnan(nan_value) or math.copysign(1.0, nan_value) < 0:
        return None  # a negative NaN would put the NaNs first: not JAX's order
    inner = _owner(inner_value)
    if inner is None or inner.name != "stablehlo.select":
        return None
    is_zero, zero, x = inner.operands
    if _splat(zero) != 0.0 or not _is_compare(is_zero, "EQ", x, None) or not _is_compare(is_nan, "NE", x, x):
        return None
    return x


def match_key(comparator: ir.Region, count: int) -> SortKey | None:
    """The key order ``comparator`` (of a sort of ``count`` operands) is, or None."""
    blocks = list(comparator.blocks)
    if len(blocks) != 1 or len(blocks[0].arguments) != 2 * count:
        return None
    block = blocks[0]
    ops = list(block.operations)
    if not ops or ops[-1].name != "stablehlo.return" or len(ops[-1].operands) != 1:
        return None
    if any(len(op.regions) or op.name.split(".")[0] != "stablehlo" for op in ops):
        return None
    compare = _owner(ops[-1].operands[0])
    if compare is None or compare.name != "stablehlo.compare":
        return None
    direction, compare_type = _direction(compare)
    if direction not in ("LT", "GT"):
        return None
    lhs, rhs = compare.operands
    a, b = block.arguments[0], block.arguments[1]
    elem = ir.RankedTensorType(a.type).element_type
    canonical = False
    if compare_type == "TOTALORDER" and (lhs, rhs) not in ((a, b), (b, a)):
        lhs, rhs = _canonical_of(lhs), _canonical_of(rhs)
        canonical = True
    if (lhs, rhs) == (b, a):
        direction = "GT" if direction == "LT" else "LT"
    elif (lhs, rhs) != (a, b):
        return None
    descending = direction == "GT"
    if isinstance(elem, ir.IntegerType):
        it = ir.IntegerType(elem)
        if it.width not in (8, 16, 32, 64) or compare_type not in ("SIGNED", "UNSIGNED"):
            return None
        if (compare_type == "UNSIGNED") != it.is_unsigned:
            return None
        return SortKey("unsigned" if it.is_unsigned else "signed", it.width, False, descending)
    if any(isinstance(elem, t) for t in _FLOAT_TYPES) and compare_type == "TOTALORDER":
        width = 32 if isinstance(elem, ir.F32Type) else 16
        return SortKey("float", width, canonical, descending)
    return None


def _splat_int(vt: ir.VectorType, value: int) -> Any:
    elem = ir.IntegerType(vt.element_type)
    value = (value + (1 << (elem.width - 1))) % (1 << elem.width) - (1 << (elem.width - 1))  # as signed
    return arith.constant(vt, ir.DenseElementsAttr.get_splat(vt, ir.IntegerAttr.get(elem, value)))


def _float_bits(key: SortKey, elem: ir.Type) -> tuple[int, int, int]:
    """``(magnitude mask, +inf, the quiet NaN)`` of a float element's bits."""
    w = key.width
    exponent_bits = 8 if w == 32 or isinstance(elem, ir.BF16Type) else 5
    inf = ((1 << exponent_bits) - 1) << (w - 1 - exponent_bits)
    return (1 << (w - 1)) - 1, inf, inf | (1 << (w - 2 - exponent_bits))


def keys32(key: SortKey, v: Any) -> Any:
    """``vector<W x elem>`` (signless; floats as floats) -> ``vector<W x i32>`` keys (``i64`` for
    64-bit integers), signed ``<`` = the order."""
    vt = ir.VectorType(v.type)
    lanes = vt.shape[0]
    w = key.width
    it = ir.VectorType.get([lanes], ir.IntegerType.get_signless(w))
    i32 = ir.VectorType.get([lanes], ir.IntegerType.get_signless(max(w, 32)))
    if key.kind == "float":
        bits = arith.bitcast(it, v)
        magnitude, inf, quiet_nan = _float_bits(key, vt.element_type)
        if key.canonical:
            absolute = arith.andi(bits, _splat_int(it, magnitude))
            is_zero = arith.cmpi(arith.CmpIPredicate.eq, absolute, _splat_int(it, 0))
            bits = arith.select(is_zero, _splat_int(it, 0), bits)
            is_nan = arith.cmpi(arith.CmpIPredicate.sgt, absolute, _splat_int(it, inf))
            bits = arith.select(is_nan, _splat_int(it, quiet_nan), bits)
        bits = _flip_negative(bits, w)
    elif key.kind == "unsigned":
        bits = arith.xori(v, _splat_int(it, 1 << (w - 1)))
    else:
        bits = v
    k = bits if w >= 32 else arith.extsi(i32, bits)
    if key.descending:
        k = arith.xori(k, _splat_int(i32, -1))
    return k


def _flip_negative(bits: Any, w: int) -> Any:
    """Negative floats order backwards by their bits: flip all but the sign bit (its own inverse)."""
    it = ir.VectorType(bits.type)
    sign = arith.shrsi(bits, _splat_int(it, w - 1))
    return arith.xori(bits, arith.andi(sign, _splat_int(it, (1 << (w - 1)) - 1)))


def values_of(key: SortKey, k: Any, elem: ir.Type) -> Any:
    """The inverse of :func:`keys32`: the elements (signless ``elem``) of ``vector<W x i32>`` keys.
    Exact where equal keys mean equal bits: not for -0.0 and NaNs other than the quiet one under
    JAX's canonicalization (see :func:`breaks_ties`)."""
    lanes = ir.VectorType(k.type).shape[0]
    w = key.width
    it = ir.VectorType.get([lanes], ir.IntegerType.get_signless(w))
    if key.descending:
        k = arith.xori(k, _splat_int(ir.VectorType(k.type), -1))
    bits = k if w >= 32 else arith.trunci(it, k)
    if key.kind == "float":
        return arith.bitcast(ir.VectorType.get([lanes], elem), _flip_negative(bits, w))
    if key.kind == "unsigned":
        return arith.xori(bits, _splat_int(it, 1 << (w - 1)))
    return bits


def breaks_ties(key: SortKey, v: Any) -> Any:
    """The lanes of ``v`` (floats) whose bits the canonicalized key does not keep: -0.0 and
    NaNs but the quiet one (their order among equal keys is the input's, so a row holding
    any needs the positions)."""
    vt = ir.VectorType(v.type)
    it = ir.VectorType.get(vt.shape, ir.IntegerType.get_signless(key.width))
    bits = arith.bitcast(it, v)
    magnitude, inf, quiet_nan = _float_bits(key, vt.element_type)
    negative_zero = arith.cmpi(arith.CmpIPredicate.eq, bits, _splat_int(it, 1 << (key.width - 1)))
    is_nan = arith.cmpi(arith.CmpIPredicate.sgt, arith.andi(bits, _splat_int(it, magnitude)), _splat_int(it, inf))
    other_nan = arith.andi(is_nan, arith.cmpi(arith.CmpIPredicate.ne, bits, _splat_int(it, quiet_nan)))
    return arith.ori(negative_zero, other_nan)
