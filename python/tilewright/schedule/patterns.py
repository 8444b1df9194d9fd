"""Pattern sets for ``apply_patterns``: each is one upstream ``transform.apply_patterns.*`` op.

A :class:`Pattern` names the op (without the ``transform.apply_patterns.``
prefix) and its arguments in the op's own assembly syntax (e.g.
``"lowering_strategy = outerproduct"``, as written in ``.mlir`` scripts), so
every pattern set the pinned MLIR registers, including ones added later by
extensions, can be used without a wrapper here. The functions below are the sets CPU schedules need,
with their lowering strategies spelled as Python strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from tilewright.schedule.handles import ScheduleError, caller_location

PREFIX = "transform.apply_patterns."


@dataclass(frozen=True)
class Pattern:
    """One pattern-set op: ``name`` like ``"vector.lower_contraction"``, ``args`` in its assembly syntax."""

    name: str
    args: str = ""

    @property
    def op_name(self) -> str:
        return self.name if self.name.startswith(PREFIX) else PREFIX + self.name


def as_pattern(p: Pattern | str) -> Pattern:
    """Accept a :class:`Pattern` or its bare name (``"canonicalization"``, ``"tensor.fold_tensor_empty"``)."""
    return p if isinstance(p, Pattern) else Pattern(p)


def _enum(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ScheduleError(f"unknown {what} '{value}' (known: {', '.join(allowed)})", caller_location())
    return value


def canonicalization() -> Pattern:
    """All registered canonicalization patterns (``transform.apply_patterns.canonicalization``)."""
    return Pattern("canonicalization")


CONTRACTION_LOWERINGS = ("dot", "llvmintr", "outerproduct", "parallelarith")


def lower_contraction(strategy: str = "outerproduct") -> Pattern:
    """``vector.contract`` -> ``outerproduct`` (FMAs), ``dot``, ``llvmintr`` (matrix intrinsics), ``parallelarith``."""
    s = _enum(strategy, CONTRACTION_LOWERINGS, "contraction lowering")
    return Pattern("vector.lower_contraction", f"lowering_strategy = {s}")


def lower_outerproduct() -> Pattern:
    """``vector.outerproduct`` -> ``vector.fma`` / broadcasts."""
    return Pattern("vector.lower_outerproduct")


def lower_transfer(max_transfer_rank: int = 1) -> Pattern:
    """``vector.transfer_read/write`` -> loads/stores of at most ``max_transfer_rank`` dims."""
    return Pattern("vector.lower_transfer", f"max_transfer_rank = {max_transfer_rank}")


TRANSPOSE_LOWERINGS = ("eltwise", "llvmintr", "shuffle_1d", "shuffle_16x16")


def lower_transpose(strategy: str = "eltwise", avx2: bool = False) -> Pattern:
    """``vector.transpose`` lowering; ``avx2=True`` adds the AVX2 8x8 shuffle specialization."""
    s = _enum(strategy, TRANSPOSE_LOWERINGS, "transpose lowering")
    return Pattern(
        "vector.lower_transpose", f"lowering_strategy = {s}" + (" avx2_lowering_strategy = true" if avx2 else "")
    )


MULTI_REDUCTION_LOWERINGS = ("innerparallel", "innerreduction")


def lower_multi_reduction(strategy: str = "innerparallel") -> Pattern:
    """``vector.multi_reduction`` -> ``innerparallel`` or ``innerreduction`` form."""
    s = _enum(strategy, MULTI_REDUCTION_LOWERINGS, "multi-reduction lowering")
    return Pattern("vector.lower_multi_reduction", f"lowering_strategy = {s}")


def transfer_permutation_patterns() -> Pattern:
    """Turn permuted transfers into minor-identity transfers plus transposes/broadcasts."""
    return Pattern("vector.transfer_permutation_patterns")


def lower_shape_cast() -> Pattern:
    return Pattern("vector.lower_shape_cast")


def lower_broadcast() -> Pattern:
    return Pattern("vector.lower_broadcast")


def lower_masks() -> Pattern:
    return Pattern("vector.lower_masks")


def lower_masked_transfers() -> Pattern:
    return Pattern("vector.lower_masked_transfers")


def cast_away_vector_leading_one_dim() -> Pattern:
    return Pattern("vector.cast_away_vector_leading_one_dim")


def reduction_to_contract() -> Pattern:
    """Fold ``multi_reduction(mul)`` chains into ``vector.contract``."""
    return Pattern("vector.reduction_to_contract")


def fold_arith_extension() -> Pattern:
    """Fold ``arith.extf`` of contraction operands into mixed-precision ``vector.contract``."""
    return Pattern("vector.fold_arith_extension")


def split_transfer_full_partial(strategy: str = "linalg-copy") -> Pattern:
    """Split transfers into an in-bounds fast path and a partial slow path."""
    s = _enum(strategy, ("none", "vector-transfer", "linalg-copy", "force-in-bounds"), "split-transfer strategy")
    return Pattern("vector.split_transfer_full_partial", f'split_transfer_strategy = "{s}"')


def transfer_to_scf(max_transfer_rank: int = 1, full_unroll: bool = False) -> Pattern:
    args = f"max_transfer_rank = {max_transfer_rank}" + (" full_unroll = true" if full_unroll else "")
    return Pattern("vector.transfer_to_scf", args)


def rank_reducing_subview_patterns() -> Pattern:
    return Pattern("vector.rank_reducing_subview_patterns")


def fold_tensor_empty() -> Pattern:
    return Pattern("tensor.fold_tensor_empty")


def fold_tensor_subset_ops() -> Pattern:
    return Pattern("tensor.fold_tensor_subset_ops")


def fold_tensor_subset_ops_into_vector_transfers() -> Pattern:
    """Fold ``extract_slice``/``insert_slice`` around transfers into the transfers (after vectorization)."""
    return Pattern("tensor.fold_tensor_subset_ops_into_vector_transfers")


def merge_consecutive_insert_extract_slice() -> Pattern:
    return Pattern("tensor.merge_consecutive_insert_extract_slice")


def reassociative_reshape_folding() -> Pattern:
    return Pattern("tensor.reassociative_reshape_folding")


def tiling_canonicalization() -> Pattern:
    """Canonicalizations that clean up after tiling (``affine.min``, slices of loops)."""
    return Pattern("linalg.tiling_canonicalization")


def fold_unit_extent_dims_via_slices() -> Pattern:
    return Pattern("linalg.fold_unit_extent_dims_via_slices")


def fold_unit_extent_dims_via_reshapes() -> Pattern:
    return Pattern("linalg.fold_unit_extent_dims_via_reshapes")


def decompose_pack_unpack() -> Pattern:
    return Pattern("linalg.decompose_pack_unpack")


def decompose_pad() -> Pattern:
    return Pattern("linalg.decompose_pad")


def pad_vectorization() -> Pattern:
    return Pattern("linalg.pad_vectorization")


def fold_into_pack_and_unpack() -> Pattern:
    return Pattern("tensor.fold_into_pack_and_unpack")


def fold_add_into_dest() -> Pattern:
    return Pattern("linalg.fold_add_into_dest")


def for_loop_canonicalization() -> Pattern:
    """``scf.for`` canonicalizations (loops of one iteration, ``affine.min`` of the IV)."""
    return Pattern("scf.for_loop_canonicalization")


def math_approximation(*ops: str) -> Pattern:
    """``transform.apply_patterns.tw.math_approximation`` (the C++ extension): upstream's polynomials
    for the math ops named (``"erf"``, ``"log"``, ...; all it has when none), scalars and vectors."""
    names = ", ".join(f'"{op}"' for op in ops)
    return Pattern("tw.math_approximation", f"ops = [{names}]" if ops else "")


def vector_lowering(
    contraction: str = "outerproduct",
    transpose: str = "eltwise",
    multi_reduction: str = "innerparallel",
    max_transfer_rank: int = 1,
    avx2: bool = False,
) -> list[Pattern]:
    """The usual sequence that lowers high-level vector ops towards LLVM-ready 1-D vectors."""
    return [
        lower_contraction(contraction),
        lower_outerproduct(),
        transfer_permutation_patterns(),
        lower_multi_reduction(multi_reduction),
        split_transfer_full_partial("linalg-copy"),
        transfer_to_scf(max_transfer_rank, full_unroll=True),
        lower_transfer(max_transfer_rank),
        lower_shape_cast(),
        lower_transpose(transpose, avx2=avx2),
    ]
