//===- TwTransformOps.td - transform.tw.* ops ---------------*- tablegen -*-===//
//
// The project's transform-dialect extension: scheduling steps upstream MLIR 22
// does not offer as transform ops (consumer fusion, attention raising, online
// tiling and decomposition). Each op checks its payload first and reports
// misuse as a silenceable failure naming the op and the payload.
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_DIALECT_TRANSFORM_OPS
#define TILEWRIGHT_DIALECT_TRANSFORM_OPS

include "mlir/Dialect/Transform/IR/TransformDialect.td"
include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

def FuseConsumerOp : Op<Transform_Dialect, "tw.fuse_consumer",
    [DeclareOpInterfaceMethods<TransformOpInterface>,
     DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "Fuses a consumer of a tiled loop nest's result into the nest";
  let description = [{
    `consumer` uses a result of the outermost loop of `loops` (outermost
    first, as `transform.structured.tile_using_for` or `tile_using_forall`
    return them). The consumer is tiled to the slice each iteration produces
    and computed inside the innermost loop (upstream's
    `scf::tileAndFuseConsumer`), so an elementwise epilogue of a matmul nest
    reads its tile while it is still in cache.

    Returns the fused (tiled) consumer and the loops, which are rebuilt with
    the consumer's results yielded too. Consumes `consumer` and `loops`.

    A silenceable failure, naming the consumer, when it does not use a
    result of the nest or cannot be tiled along the nest's slices.
  }];
  let arguments = (ins TransformHandleTypeInterface:$consumer,
                       Variadic<TransformHandleTypeInterface>:$loops);
  let results = (outs TransformHandleTypeInterface:$fused_consumer,
                      Variadic<TransformHandleTypeInterface>:$new_loops);
  let assemblyFormat = [{
    $consumer `into` `(` $loops `)` attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

include "dialects/transform/TwAttentionTransformOps.td"
include "dialects/transform/TwRaiseAttention.td"
include "dialects/transform/TwMathTransformOps.td"
include "dialects/transform/TwGpuTransformOps.td"

#endif // TILEWRIGHT_DIALECT_TRANSFORM_OPS
