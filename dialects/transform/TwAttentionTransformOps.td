//===- TwAttentionTransformOps.td - flash attention steps ---*- tablegen -*-===//
//
// The transform ops of the flash schedule: tw.attention becomes its online
// form (so the keys tile as an ordinary reduction), the causal key loop
// stops at the last block a query block sees, and the tiled online op
// decomposes back into linalg generics the vectorizer knows. Included by
// TwTransformOps.td (one extension, one generated op list).
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_DIALECT_TRANSFORM_ATTENTION_OPS
#define TILEWRIGHT_DIALECT_TRANSFORM_ATTENTION_OPS

def ConvertToOnlineAttentionOp : Op<Transform_Dialect,
    "tw.convert_to_online_attention",
    [DeclareOpInterfaceMethods<TransformOpInterface>,
     DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "tw.attention -> fills + tw.online_attention + normalization";
  let description = [{
    Rewrites each `tw.attention` into the running state it accumulates:
    `acc` (f32 for f16/bf16 outputs) filled with 0, `max` with -inf, `sum`
    with 0, one `tw.online_attention` over all keys, and a `linalg.generic`
    that writes acc / sum (0 where sum is 0: rows that see no key) into the
    original output. Tiling the online op's key dim then gives flash
    attention. Returns the online op, the normalization and the three fills.
    Consumes the target.

    A silenceable failure, naming the payload, for anything but tw.attention.
  }];
  let arguments = (ins TransformHandleTypeInterface:$target);
  let results = (outs TransformHandleTypeInterface:$online,
                      TransformHandleTypeInterface:$normalize,
                      TransformHandleTypeInterface:$fills);
  let assemblyFormat = "$target attr-dict `:` functional-type(operands, results)";
}

def DecomposeAttentionOp : Op<Transform_Dialect, "tw.decompose_attention",
    [DeclareOpInterfaceMethods<TransformOpInterface>,
     DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "tw.online_attention -> linalg.generic + arith/math";
  let description = [{
    Rewrites each (typically key-tiled) `tw.online_attention` into linalg:
    the scores contraction (f32 accumulation), the scale, mask and causal
    selects, the new running max (reduction over the keys), p = exp(s - max)
    and alpha = exp(old max - max) with max = -inf read as 0 (so fully
    masked rows give 0, never NaN), the rescaled sum plus the row sums of p,
    the rescaled acc plus p·V. A step whose batch dims are 1 and whose
    operands are row-major without them (K may be Kᵀ) becomes 2-D, the
    contractions named linalg.matmul (K's block transposed first unless it
    is Kᵀ); other steps keep their batch dims, contractions as generics.

    Returns, for the vectorization schedule: the scores contraction, the p·V
    contraction, the key block's transpose (none when K is Kᵀ or the step
    is batched), the ops over a query block's rows (scores fill, scale and
    mask, max, p, sum, acc rescale: rows x keys or rows x e, row by row
    they vectorize) and the ops over the rows' state (alpha, sum rescale:
    one value per row). Consumes the target.

    A silenceable failure, naming the payload, for anything but
    tw.online_attention.
  }];
  let arguments = (ins TransformHandleTypeInterface:$target);
  let results = (outs TransformHandleTypeInterface:$scores,
                      TransformHandleTypeInterface:$pv,
                      TransformHandleTypeInterface:$transposes,
                      TransformHandleTypeInterface:$rows,
                      TransformHandleTypeInterface:$state);
  let assemblyFormat = "$target attr-dict `:` functional-type(operands, results)";
}

def SkipInvisibleKeysOp : Op<Transform_Dialect, "tw.skip_invisible_keys",
    [DeclareOpInterfaceMethods<TransformOpInterface>,
     DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "ends a causal key loop at the last key block a query block sees";
  let description = [{
    `loop` is the `scf.for` over key blocks that tiling a causal
    `tw.online_attention` along its key dim made (lower bound 0). Key block
    [j, j + tn) is visible to query rows [i, i + tm) iff j <= i + tm - 1 +
    diagonal, so the loop's upper bound becomes min(ub, i + tm + diagonal):
    blocks past the diagonal are skipped, not computed and masked. The loop
    keeps its handle.

    A silenceable failure, naming the payload, when the loop is not such a
    key loop (not scf.for, no causal tw.online_attention in its body whose
    keys are sliced at the induction variable).
  }];
  let arguments = (ins TransformHandleTypeInterface:$loop);
  let assemblyFormat = "$loop attr-dict `:` type($loop)";
}

#endif // TILEWRIGHT_DIALECT_TRANSFORM_ATTENTION_OPS
