// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' \
// RUN:   | FileCheck %s --implicit-check-not=math.expm1

// expm1 on real floats: Kahan's (u - 1) * x / log(u) with u = exp(x), not exp(x) - 1. No
// `math.expm1` anywhere in the output (the implicit CHECK-NOT: upstream lowers it as exp(x) - 1).
// CHECK-LABEL: func.func @expm1
// CHECK:         math.exp %{{.*}} : f32
// CHECK:         math.log
// CHECK:         arith.cmpf oeq
// CHECK:         arith.select
// CHECK:         return
func.func @expm1(%x: tensor<7xf32>) -> tensor<7xf32> {
  %0 = stablehlo.exponential_minus_one %x : tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

// f16 goes through f32.
// CHECK-LABEL: func.func @expm1_f16
// CHECK:         arith.extf {{.*}} : f16 to f32
// CHECK:         math.exp {{.*}} : f32
// CHECK:         arith.truncf {{.*}} : f32 to f16
// CHECK:         return
func.func @expm1_f16(%x: tensor<7xf16>) -> tensor<7xf16> {
  %0 = stablehlo.exponential_minus_one %x : tensor<7xf16>
  return %0 : tensor<7xf16>
}

// -----

// A bitcast to the same (complex) type is the identity.
// CHECK-LABEL: func.func @same_type_bitcast
// CHECK-SAME:    (%[[X:.*]]: tensor<2xcomplex<f32>>)
// CHECK-NEXT:    return %[[X]]
func.func @same_type_bitcast(%x: tensor<2xcomplex<f32>>) -> tensor<2xcomplex<f32>> {
  %0 = stablehlo.bitcast_convert %x : (tensor<2xcomplex<f32>>) -> tensor<2xcomplex<f32>>
  return %0 : tensor<2xcomplex<f32>>
}
