//===- TwGpuTransformOps.td - transform.tw.* GPU ops -------*- tablegen -*-===//
//
// Included by TwTransformOps.td; the C++ is in TwGpuTransformOps.cpp. GPU
// rewrites upstream MLIR 22 has no transform op for: a warpgroup's matmul on
// Hopper's asynchronous tensor cores (wgmma.mma_async, sm_90a).
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_DIALECT_TRANSFORM_GPU_OPS
#define TILEWRIGHT_DIALECT_TRANSFORM_GPU_OPS

def RewriteMatmulAsWgmmaOp : Op<Transform_Dialect, "tw.rewrite_matmul_as_wgmma",
    [FunctionalStyleTransformOpTrait, MemoryEffectsOpInterface,
     TransformEachOpTrait, TransformOpInterface,
     ReportTrackingListenerFailuresOpTrait]> {
  let summary = "Rewrites a warpgroup's linalg.matmul as wgmma.mma_async";
  let description = [{
    Each target is a `linalg.matmul` on memrefs (C += A.B, no user maps)
    inside a `gpu.launch` or `gpu.func`, executed by one whole warpgroup (128
    threads whose linear thread ids agree above bit 7; e.g. a block of 128
    threads, or a forall mapped to `#gpu.warpgroup<x>`): M a multiple of 64,
    N a multiple of 8 up to 256, K a multiple of 16; A and B f16 (or both
    bf16) in global or workgroup memory, C f32.

    A 2-D memref cannot describe the layout wgmma reads, so the op stages A
    and B itself, into workgroup buffers whose type is that layout (the PTX
    ISA's K-major, no-swizzle core matrices of 8 rows x 16 bytes):

      A (M x K) -> memref<M/8 x K/8 x 8 x 8>: A[m][k] at [m/8][k/8][m%8][k%8]
      B (K x N) -> memref<N/8 x K/8 x 8 x 8>: B[k][n] at [n/8][k/8][n%8][k%8]

    so that in both the leading dimension byte offset (the next core matrix
    along K) is 128 and the stride dimension byte offset (the next 8 rows of
    M or N) is K/8 x 128. The rewrite:

      1. a named barrier of the warpgroup (id 1 + warpgroup, 128 threads),
         then the 128 threads copy A and B element by element into the
         staging buffers (`memref.alloc` in `#gpu.address_space<workgroup>`,
         16-byte aligned: the NVVM target makes them shared memory);
      2. `fence.proxy.async.shared::cta` (wgmma reads through the async proxy)
         and the named barrier again;
      3. per 64 rows of M, the f32 accumulator fragment (N/2 registers per
         thread) loaded from C in the PTX ISA's register layout of D:
         value j of thread t (warp w = t/32, lane l = t%32) is
         C[16w + l/4 + 8((j/2)%2)][2(l%4) + j%2 + 8(j/4)];
      4. `wgmma.fence`, one `wgmma.mma_async` m64nNk16 per 64 rows and 16 of
         K, with 64-bit shared-memory matrix descriptors built from the
         staging buffers' addresses, `commit_group`, `wait_group 0`;
      5. the fragments stored back to C.

    The matmul is erased. Consumes the target handle; returns nothing.

    A silenceable failure, naming the target, for anything else: another op,
    tensors, dynamic or unsupported shapes, element types or memory spaces,
    an accumulator of more than 128 registers per thread, staging buffers of
    more than 48 KiB (tile K first), or a matmul outside a GPU kernel.
  }];
  let arguments = (ins TransformHandleTypeInterface:$target);
  let results = (outs);
  let assemblyFormat = "$target attr-dict `:` type($target)";
  let extraClassDeclaration = [{
    ::mlir::DiagnosedSilenceableFailure applyToOne(
        ::mlir::transform::TransformRewriter &rewriter,
        ::mlir::Operation *target,
        ::mlir::transform::ApplyToEachResultList &results,
        ::mlir::transform::TransformState &state);
  }];
}

#endif // TILEWRIGHT_DIALECT_TRANSFORM_GPU_OPS
