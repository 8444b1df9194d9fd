// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// Max-pool gradient, window 3 stride 2 padding 1: the result starts as the
// init value; per source element, a loop over the window carries the selected
// position, its value and whether any in-bounds position was seen (padding is
// never selected); then the scatter computation adds the source element there.
// CHECK-LABEL: func.func @maxpool_grad
// CHECK: %[[INIT:[^ ]+]] = linalg.generic
// CHECK: scf.for %[[S:[^ ]+]] = %{{.*}} to %{{[^ ]+}} step %{{.*}} iter_args(%[[ACC:[^ ]+]] = %[[INIT]]) -> (tensor<7xf32>)
// CHECK:   %[[START:[^ ]+]] = arith.subi %{{.*}}, %{{.*}} : index
// CHECK:   %[[SEL:[^ ]+]]:3 = scf.for %[[W:[^ ]+]] = {{.*}} -> (index, f32, i1)
// CHECK:     %[[POS:[^ ]+]] = arith.addi %[[START]], %[[W]] : index
// CHECK:     arith.cmpi slt, %[[POS]]
// CHECK:     scf.if %{{.*}} -> (index, f32)
// CHECK:       tensor.extract %{{.*}}[%[[POS]]] : tensor<7xf32>
// CHECK:       arith.cmpf oge
// CHECK:       arith.select
// CHECK:   scf.if %[[SEL]]#2 -> (tensor<7xf32>)
// CHECK:     tensor.extract %[[ACC]][%[[SEL]]#0] : tensor<7xf32>
// CHECK:     tensor.extract %{{.*}}[%[[S]]] : tensor<4xf32>
// CHECK:     arith.addf
// CHECK:     tensor.insert %{{.*}} into %[[ACC]][%[[SEL]]#0] : tensor<7xf32>
func.func @maxpool_grad(%x: tensor<7xf32>, %g: tensor<4xf32>) -> tensor<7xf32> {
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) <{window_dimensions = array<i64: 3>, window_strides = array<i64: 2>, padding = dense<[[1, 1]]> : tensor<1x2xi64>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<7xf32>, tensor<4xf32>, tensor<f32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}
