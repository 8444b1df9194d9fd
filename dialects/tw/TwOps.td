//===- TwOps.td - tw payload ops ----------------------------*- tablegen -*-===//

#ifndef TILEWRIGHT_DIALECT_TW_OPS
#define TILEWRIGHT_DIALECT_TW_OPS

include "dialects/tw/TwBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"
include "mlir/IR/CommonAttrConstraints.td"

// The interfaces both attention ops implement: tensors in, destinations out,
// tiled by upstream's TilingInterface drivers (tile_using_for/forall, fusion).
defvar Tw_AttentionTraits = [
  AttrSizedOperandSegments,
  Pure,
  DestinationStyleOpInterface,
  DeclareOpInterfaceMethods<TilingInterface,
      ["getIterationDomain", "getLoopIteratorTypes", "getTiledImplementation",
       "getResultTilePosition", "getIterationDomainTileFromResultTile",
       "generateResultTileValue"]>
];

def Tw_AttentionOp : Tw_Op<"attention", Tw_AttentionTraits> {
  let summary = "softmax(scale * Q·Kᵀ [+ mask]) · V over one iteration domain";
  let description = [{
    Scaled dot-product attention as one op. The iteration domain is
    `(b0, ..., bB-1, m, n, d, e)`: any number of batch dims (batch, heads, a
    GQA head group...), then `m` (queries), `n` (keys), `d` (the Q·Kᵀ head
    dim) and `e` (V's feature dim); always in this order, so `m` is domain
    dim `B`, `n` is `B+1`, `d` is `B+2`, `e` is `B+3`.

    `indexing_maps` maps the domain to `query` (m, d), `key` (n, d), `value`
    (n, e), the optional `mask` (m, n) and `output` (m, e), each projected
    permutations. Operands may omit batch dims (broadcast: K/V shared by a
    group of query heads is GQA); the output holds every batch dim. Layouts
    are free: heads before or after the sequence dim are just other maps.

    out[b, m, e] = sum_n softmax_n(s[b, m, n]) * v[b, n, e] with
    s = scale * sum_d q[b, m, d] * k[b, n, d], plus the mask: a float mask
    is an additive bias, an i1 mask keeps the score where true (-inf
    elsewhere). `causal` keeps only keys with n <= m + diagonal (`diagonal`
    is 0 when absent; tiling sets it to the tile's offset difference).
    A row that sees no key (all -inf) is 0, never NaN. f16/bf16 operands
    are accumulated in f32 by the decomposition.

    TilingInterface: batch dims, m and e tile (parallel); n and d are
    reductions that this op only takes whole (convert it to
    `tw.online_attention` to tile the keys).

    ```mlir
    %o = tw.attention causal scale = 0.125 : f32 indexing_maps = [
        affine_map<(m, n, d, e) -> (m, d)>, affine_map<(m, n, d, e) -> (n, d)>,
        affine_map<(m, n, d, e) -> (n, e)>, affine_map<(m, n, d, e) -> (m, e)>]
      ins(%q, %k, %v : tensor<1024x64xf32>, tensor<1024x64xf32>, tensor<1024x64xf32>)
      outs(%init : tensor<1024x64xf32>) -> tensor<1024x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Optional<AnyRankedTensor>:$mask,
                       Optional<Index>:$diagonal,
                       AnyRankedTensor:$output,
                       F32Attr:$scale, UnitAttr:$causal,
                       AffineMapArrayAttr:$indexing_maps);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    (`causal` $causal^)? `scale` `=` $scale `indexing_maps` `=` $indexing_maps
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`diagonal` `(` $diagonal^ `)`)?
    `outs` `(` $output `:` type($output) `)` attr-dict `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The number of batch dims of the iteration domain (m is dim getNumBatchDims()).
    unsigned getNumBatchDims() {
      return getIndexingMapsArray().front().getNumDims() - 4;
    }
    MutableOperandRange getDpsInitsMutable();
    SmallVector<AffineMap> getIndexingMapsArray() {
      return llvm::to_vector(getIndexingMaps().getAsValueRange<AffineMapAttr>());
    }
  }];
}

def Tw_OnlineAttentionOp : Tw_Op<"online_attention", Tw_AttentionTraits> {
  let summary = "one step of online (flash) attention: updates acc, max, sum";
  let description = [{
    The running state of `tw.attention` over a block of keys, so tiling the
    key dim `n` is ordinary tiling of a reduction: each key block reads the
    state the previous one left in the destinations. Same domain, maps
    (query, key, value, [mask], then `acc` (m, e), `max` (m) and `sum` (m)),
    mask, `causal`/`diagonal` and `scale` as `tw.attention`. With
    s = scale * Q·Kᵀ (+ mask) over this op's keys:

        new_max = max(max, max_n s)
        alpha   = exp(max - new_max)        (0 where new_max is -inf)
        p       = exp(s - new_max)          (0 where new_max is -inf)
        sum     = alpha * sum + sum_n p
        acc     = alpha * acc + p · V

    and the attention is acc / sum (0 where sum is 0) once all keys are
    seen. `acc`, `max` and `sum` are f32 for f16/bf16 operands.

    TilingInterface: batch dims, m, e tile in parallel, n tiles as a
    reduction carried through the destinations; d is taken whole.
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Optional<AnyRankedTensor>:$mask,
                       Optional<Index>:$diagonal,
                       AnyRankedTensor:$acc, AnyRankedTensor:$max,
                       AnyRankedTensor:$sum,
                       F32Attr:$scale, UnitAttr:$causal,
                       AffineMapArrayAttr:$indexing_maps);
  let results = (outs AnyRankedTensor:$result_acc, AnyRankedTensor:$result_max,
                      AnyRankedTensor:$result_sum);
  let assemblyFormat = [{
    (`causal` $causal^)? `scale` `=` $scale `indexing_maps` `=` $indexing_maps
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`diagonal` `(` $diagonal^ `)`)?
    `outs` `(` $acc `,` $max `,` $sum `:` type($acc) `,` type($max) `,` type($sum) `)`
    attr-dict `->` type($result_acc) `,` type($result_max) `,` type($result_sum)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getNumBatchDims() {
      return getIndexingMapsArray().front().getNumDims() - 4;
    }
    MutableOperandRange getDpsInitsMutable();
    SmallVector<AffineMap> getIndexingMapsArray() {
      return llvm::to_vector(getIndexingMaps().getAsValueRange<AffineMapAttr>());
    }
  }];
}

#endif // TILEWRIGHT_DIALECT_TW_OPS
