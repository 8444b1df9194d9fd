//===- TwRaiseAttention.td - transform.tw.raise_attention --*- tablegen -*-===//
//
// Included by TwTransformOps.td; the C++ is in TwRaiseAttention.cpp, the
// matcher (shared with the tw-raise-attention pass) in
// transforms/lib/RaiseAttention.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_DIALECT_TRANSFORM_RAISE_ATTENTION
#define TILEWRIGHT_DIALECT_TRANSFORM_RAISE_ATTENTION

def RaiseAttentionOp : Op<Transform_Dialect, "tw.raise_attention",
    [FunctionalStyleTransformOpTrait, MemoryEffectsOpInterface,
     TransformEachOpTrait, TransformOpInterface,
     ReportTrackingListenerFailuresOpTrait]> {
  let summary = "Raises softmax(Q.K^T * scale [+ mask]).V to tw.attention";
  let description = [{
    Each target is the P.V contraction of an attention as tilewright's linalg
    stage holds it: a Q.K^T contraction, a scale, an optional causal,
    tensor or additive mask, a max and a sum over the keys, exp and the
    division by the sum, then P.V (named matmuls or contraction generics,
    any batch or head dims, f16/bf16 with f32 accumulation). The chain
    becomes one `tw.attention` (transposes of Q, K, V and a constant scaling
    of Q or K folded into its maps and scale); ops only the chain used are
    erased.

    Returns the `tw.attention` ops. Consumes the target handle.

    A silenceable failure, naming the target and why the chain does not
    match (the `tw-raise-attention` pass leaves such chains alone).
  }];
  let arguments = (ins TransformHandleTypeInterface:$target);
  let results = (outs TransformHandleTypeInterface:$attention);
  let assemblyFormat =
      "$target attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{
    ::mlir::DiagnosedSilenceableFailure applyToOne(
        ::mlir::transform::TransformRewriter &rewriter,
        ::mlir::Operation *target,
        ::mlir::transform::ApplyToEachResultList &results,
        ::mlir::transform::TransformState &state);
  }];
}

#endif // TILEWRIGHT_DIALECT_TRANSFORM_RAISE_ATTENTION
