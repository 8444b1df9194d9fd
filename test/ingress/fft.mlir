// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// A complex FFT of length 4: real and imaginary parts, each multiplied by
// the constant cos and sin matrices (four matmuls), recombined:
// re = xr C + xi S, im = xi C - xr S.
// CHECK-LABEL: func.func @fft4
// CHECK-DAG: %[[C:[^ ]+]] = arith.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00], [1.000000e+00, 6.12323426E-17, -1.000000e+00, -1.83697015E-16]{{.*}}> : tensor<4x4xf32>
// CHECK-DAG: %[[S:[^ ]+]] = arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 1.22464685E-16, -1.000000e+00]{{.*}}> : tensor<4x4xf32>
// CHECK: complex.re
// CHECK: complex.im
// CHECK: linalg.matmul ins(%{{.*}}, %[[C]] : tensor<2x4xf32>, tensor<4x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %[[S]] : tensor<2x4xf32>, tensor<4x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %[[C]] : tensor<2x4xf32>, tensor<4x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %[[S]] : tensor<2x4xf32>, tensor<4x4xf32>)
// CHECK: arith.addf
// CHECK: arith.subf
// CHECK: complex.create
// CHECK-NOT: stablehlo.fft
func.func @fft4(%x: tensor<2x4xcomplex<f32>>) -> tensor<2x4xcomplex<f32>> {
  %0 = stablehlo.fft %x, type = FFT, length = [4] : (tensor<2x4xcomplex<f32>>) -> tensor<2x4xcomplex<f32>>
  return %0 : tensor<2x4xcomplex<f32>>
}

// -----

// IRFFT of length 4 from 3 coefficients: one real result, cos/sin matrices
// (3x4) pre-scaled by the Hermitian weights 1, 2, 1 and by 1/4.
// CHECK-LABEL: func.func @irfft4
// CHECK-DAG: %[[C:[^ ]+]] = arith.constant dense<{{\[\[}}2.500000e-01, 2.500000e-01, 2.500000e-01, 2.500000e-01], [5.000000e-01, {{.*}}> : tensor<3x4xf64>
// CHECK: linalg.vecmat ins(%{{.*}}, %[[C]] : tensor<3xf64>, tensor<3x4xf64>)
// CHECK: linalg.vecmat
// CHECK: arith.subf
// CHECK: return %{{.*}} : tensor<4xf64>
func.func @irfft4(%x: tensor<3xcomplex<f64>>) -> tensor<4xf64> {
  %0 = stablehlo.fft %x, type = IRFFT, length = [4] : (tensor<3xcomplex<f64>>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}
