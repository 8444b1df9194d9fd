// Attention as JAX exports it on f16 arrays (q @ k.T / sqrt(d), softmax, @ v at 1x2x256x64): the
// products are f16 x f16 -> f32 (P.V a linalg.generic with extf), the softmax in f16 with an f32
// row sum. Only the C++ matcher reads this form: the default schedule asks tw-raise-attention which
// chains it raises (on a clone) and flashes those (schedule/raising.py). One parallel loop over
// (heads, 64-row query blocks), f32 online state, no 256x256 scores over the heads.
// (Before, the P.V generic was tiled alone: 178 s to compile at 1x2x1024x64.)
// REQUIRES: tw-extension
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s
// RUN: %tilewright compile %s --threads 1 --emit bufferized | FileCheck %s --check-prefix=NOSEQ

// NOSEQ-NOT: x256x256x
// NOSEQ-NOT: tw.{{(online_)?}}attention

// CHECK-LABEL: func.func public @main
// CHECK:       scf.forall (%{{.*}}, %{{.*}}) in (2, 4)
// CHECK:         memref.alloc() {{.*}} : memref<1x64x64xf32>
// CHECK:         math.exp {{.*}} : vector<256xf32>
// CHECK:         arith.divf {{.*}} : vector<64xf32>
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map3 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#map4 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#map5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#map6 = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d3, d4)>
#map7 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
module @jit_fn attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<1x2x256x64xf16>, %arg1: tensor<1x2x256x64xf16>, %arg2: tensor<1x2x256x64xf16>) -> (tensor<1x2x256x64xf16> {jax.result_info = "result"}) attributes {llvm.emit_c_interface} {
    %cst = arith.constant 8.000000e+00 : f16
    %cst_0 = arith.constant 0xFC00 : f16
    %cst_1 = arith.constant 0.000000e+00 : f32
    %0 = tensor.empty() : tensor<2x256x64xf32>
    %collapsed = tensor.collapse_shape %arg0 [[0, 1], [2], [3]] : tensor<1x2x256x64xf16> into tensor<2x256x64xf16>
    %1 = tensor.empty() : tensor<1x2x64x256xf16>
    %transposed = linalg.transpose ins(%arg1 : tensor<1x2x256x64xf16>) outs(%1 : tensor<1x2x64x256xf16>) permutation = [0, 1, 3, 2] 
    %collapsed_2 = tensor.collapse_shape %transposed [[0, 1], [2], [3]] : tensor<1x2x64x256xf16> into tensor<2x64x256xf16>
    %2 = tensor.empty() : tensor<2x256x256xf32>
    %3 = linalg.fill ins(%cst_1 : f32) outs(%2 : tensor<2x256x256xf32>) -> tensor<2x256x256xf32>
    %4 = linalg.batch_matmul ins(%collapsed, %collapsed_2 : tensor<2x256x64xf16>, tensor<2x64x256xf16>) outs(%3 : tensor<2x256x256xf32>) -> tensor<2x256x256xf32>
    %5 = tensor.empty() : tensor<1x2x256x256xf16>
    %6 = tensor.empty() : tensor<2x256x256xf16>
    %7 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%4 : tensor<2x256x256xf32>) outs(%6 : tensor<2x256x256xf16>) {
    ^bb0(%in: f32, %out: f16):
      %22 = arith.truncf %in : f32 to f16
      %23 = arith.divf %22, %cst : f16
      linalg.yield %23 : f16
    } -> tensor<2x256x256xf16>
    %expanded = tensor.expand_shape %7 [[0, 1], [2], [3]] output_shape [1, 2, 256, 256] : tensor<2x256x256xf16> into tensor<1x2x256x256xf16>
    %8 = tensor.empty() : tensor<1x2x256xf16>
    %9 = linalg.fill ins(%cst_0 : f16) outs(%8 : tensor<1x2x256xf16>) -> tensor<1x2x256xf16>
    %10 = linalg.generic {indexing_maps = [#map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x2x256x256xf16>) outs(%9 : tensor<1x2x256xf16>) {
    ^bb0(%in: f16, %out: f16):
      %22 = arith.maximumf %out, %in : f16
      linalg.yield %22 : f16
    } -> tensor<1x2x256xf16>
    %11 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded, %10 : tensor<1x2x256x256xf16>, tensor<1x2x256xf16>) outs(%5 : tensor<1x2x256x256xf16>) {
    ^bb0(%in: f16, %in_5: f16, %out: f16):
      %22 = arith.subf %in, %in_5 : f16
      %23 = math.exp %22 : f16
      linalg.yield %23 : f16
    } -> tensor<1x2x256x256xf16>
    %12 = tensor.empty() : tensor<1x2x256xf32>
    %13 = linalg.fill ins(%cst_1 : f32) outs(%12 : tensor<1x2x256xf32>) -> tensor<1x2x256xf32>
    %14 = linalg.generic {indexing_maps = [#map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%11 : tensor<1x2x256x256xf16>) outs(%13 : tensor<1x2x256xf32>) {
    ^bb0(%in: f16, %out: f32):
      %22 = arith.extf %in : f16 to f32
      %23 = arith.addf %out, %22 : f32
      linalg.yield %23 : f32
    } -> tensor<1x2x256xf32>
    %expanded_3 = tensor.expand_shape %0 [[0, 1], [2], [3]] output_shape [1, 2, 256, 64] : tensor<2x256x64xf32> into tensor<1x2x256x64xf32>
    %15 = linalg.fill ins(%cst_1 : f32) outs(%expanded_3 : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
    %16 = tensor.empty() : tensor<1x2x256x256xf32>
    %17 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%14 : tensor<1x2x256xf32>) outs(%8 : tensor<1x2x256xf16>) {
    ^bb0(%in: f32, %out: f16):
      %22 = arith.truncf %in : f32 to f16
      linalg.yield %22 : f16
    } -> tensor<1x2x256xf16>
    %18 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11, %17 : tensor<1x2x256x256xf16>, tensor<1x2x256xf16>) outs(%16 : tensor<1x2x256x256xf32>) {
    ^bb0(%in: f16, %in_5: f16, %out: f32):
      %22 = arith.divf %in, %in_5 : f16
      %23 = arith.extf %22 : f16 to f32
      linalg.yield %23 : f32
    } -> tensor<1x2x256x256xf32>
    %19 = linalg.generic {indexing_maps = [#map3, #map4, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%18, %arg2 : tensor<1x2x256x256xf32>, tensor<1x2x256x64xf16>) outs(%15 : tensor<1x2x256x64xf32>) {
    ^bb0(%in: f32, %in_5: f16, %out: f32):
      %22 = arith.extf %in_5 : f16 to f32
      %23 = arith.mulf %in, %22 : f32
      %24 = arith.addf %out, %23 : f32
      linalg.yield %24 : f32
    } -> tensor<1x2x256x64xf32>
    %20 = tensor.empty() : tensor<1x1x2x256x64xf16>
    %21 = linalg.generic {indexing_maps = [#map6, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%19 : tensor<1x2x256x64xf32>) outs(%20 : tensor<1x1x2x256x64xf16>) {
    ^bb0(%in: f32, %out: f16):
      %22 = arith.truncf %in : f32 to f16
      linalg.yield %22 : f16
    } -> tensor<1x1x2x256x64xf16>
    %collapsed_4 = tensor.collapse_shape %21 [[0], [1, 2], [3], [4]] : tensor<1x1x2x256x64xf16> into tensor<1x2x256x64xf16>
    return %collapsed_4 : tensor<1x2x256x64xf16>
  }
}
