// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// A reduction body that calls a function (JAX's cumlogsumexp) is not
// legalized upstream: loops over the output and the window, padding skipped
// (the accumulator is kept when the position is outside), the call inlined.
// CHECK-LABEL: func.func @cumulative_logaddexp
// CHECK: scf.for %[[O:[^ ]+]] = {{.*}} -> (tensor<5xf32>)
// CHECK:   %[[ACC:[^ ]+]] = scf.for %[[W:[^ ]+]] = {{.*}} iter_args(%[[A:[^ ]+]] = %{{.*}}) -> (f32)
// CHECK:     %[[P:[^ ]+]] = arith.addi %[[O]], %[[W]] : index
// CHECK:     %[[Q:[^ ]+]] = arith.subi %[[P]], %{{.*}} : index
// CHECK:     arith.cmpi sge, %[[Q]], %{{.*}} : index
// CHECK:     %[[IN:[^ ]+]] = arith.andi
// CHECK:     math.exp
// CHECK:     %[[NEW:[^ ]+]] = arith.select %[[IN]], %{{.*}}, %[[A]] : f32
// CHECK:     scf.yield %[[NEW]] : f32
// CHECK:   tensor.insert %[[ACC]] into %{{.*}}[%[[O]]] : tensor<5xf32>
// CHECK-NOT: func.call
func.func @cumulative_logaddexp(%x: tensor<5xf32>) -> tensor<5xf32> {
  %init = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[4, 0]]> : tensor<1x2xi64>, window_dimensions = array<i64: 5>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = func.call @logaddexp(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) : (tensor<5xf32>, tensor<f32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}
func.func private @logaddexp(%a: tensor<f32>, %b: tensor<f32>) -> tensor<f32> {
  %m = stablehlo.maximum %a, %b : tensor<f32>
  %d = stablehlo.subtract %a, %b : tensor<f32>
  %ad = stablehlo.abs %d : tensor<f32>
  %n = stablehlo.negate %ad : tensor<f32>
  %e = stablehlo.exponential %n : tensor<f32>
  %l = stablehlo.log_plus_one %e : tensor<f32>
  %r = stablehlo.add %m, %l : tensor<f32>
  return %r : tensor<f32>
}

// -----

// A body of StableHLO ops is left to the legalization (a pooling op or generic).
// CHECK-LABEL: func.func @max_pool
// CHECK-NOT: scf.for
// CHECK: linalg.
func.func @max_pool(%x: tensor<9xf32>) -> tensor<4xf32> {
  %init = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %init) <{window_dimensions = array<i64: 3>, window_strides = array<i64: 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.maximum %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) : (tensor<9xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
