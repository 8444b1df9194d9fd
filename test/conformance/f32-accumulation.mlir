// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// An f16 dot_general accumulates in f32 and rounds once: operands extended, an f32 matmul
// (no f16 addition anywhere), one truncation of the result.
// CHECK-LABEL: func.func @dot_f16
// CHECK-COUNT-2: arith.extf %{{.*}} : f16 to f32
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<7x1000xf32>, tensor<1000x97xf32>) outs(%{{.*}} : tensor<7x97xf32>)
// CHECK-NOT:     arith.addf %{{.*}} : f16
// CHECK:         arith.truncf %{{.*}} : f32 to f16
// CHECK:         return %{{.*}} : tensor<7x97xf16>
func.func @dot_f16(%a: tensor<7x1000xf16>, %b: tensor<1000x97xf16>) -> tensor<7x97xf16> {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<7x1000xf16>, tensor<1000x97xf16>) -> tensor<7x97xf16>
  return %0 : tensor<7x97xf16>
}

// -----

// A bf16 convolution likewise.
// CHECK-LABEL: func.func @conv_bf16
// CHECK-COUNT-2: arith.extf %{{.*}} : bf16 to f32
// CHECK:         linalg.conv_2d_nhwc_hwcf {{.*}} outs(%{{.*}} : tensor<1x5x5x4xf32>)
// CHECK:         arith.truncf %{{.*}} : f32 to bf16
func.func @conv_bf16(%x: tensor<1x7x7x3xbf16>, %w: tensor<3x3x3x4xbf16>) -> tensor<1x5x5x4xbf16> {
  %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x7x7x3xbf16>, tensor<3x3x3x4xbf16>) -> tensor<1x5x5x4xbf16>
  return %0 : tensor<1x5x5x4xbf16>
}

// -----

// f32 results and f32 contractions are left as they are.
// CHECK-LABEL: func.func @dot_f16_to_f32
// CHECK-NOT:     arith.truncf
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<7x13xf16>, tensor<13x5xf16>) outs(%{{.*}} : tensor<7x5xf32>)
func.func @dot_f16_to_f32(%a: tensor<7x13xf16>, %b: tensor<13x5xf16>) -> tensor<7x5xf32> {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<7x13xf16>, tensor<13x5xf16>) -> tensor<7x5xf32>
  return %0 : tensor<7x5xf32>
}
