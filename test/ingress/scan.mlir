// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// Prefix scans (jnp.cumsum & co.: a reduce_window whose window is the whole
// dimension, padded on one side) become one O(n) loop over the scanned
// dimension, on vectors, with no linalg op, no padded copy and no window loop.

// Scanned dimension not the last, rows wider than a block: the first row
// (x's, plus -0.0: folded), then one loop over the other 96 rows, each row = previous row + x's row,
// in blocks of vector<64xf32> (and the 36 left) along the contiguous dimension.
// CHECK-LABEL: func.func @cumsum_planes
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.pad
// CHECK-DAG: %[[C0:[^ ]+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:[^ ]+]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:[^ ]+]] = arith.constant 64 : index
// CHECK-DAG: %[[C97:[^ ]+]] = arith.constant 97 : index
// CHECK: %[[FIRST:[^ ]+]] = vector.transfer_read %arg0[%[[C0]], %[[C0]]]{{.*}} : tensor<97x100xf32>, vector<64xf32>
// CHECK-NEXT: vector.transfer_write %[[FIRST]]
// CHECK: vector.transfer_read %arg0[%[[C0]], %[[C64]]]{{.*}} vector<36xf32>
// CHECK: scf.for %[[I:[^ ]+]] = %[[C1]] to %[[C97]] step %[[C1]] iter_args(%[[OUT:[^ ]+]] = %{{.*}}) -> (tensor<97x100xf32>)
// CHECK-NEXT: %[[PREV:[^ ]+]] = arith.subi %[[I]], %[[C1]] : index
// CHECK-NEXT: %[[X:[^ ]+]] = vector.transfer_read %arg0[%[[I]], %[[C0]]]{{.*}} vector<64xf32>
// CHECK-NEXT: %[[P:[^ ]+]] = vector.transfer_read %[[OUT]][%[[PREV]], %[[C0]]]{{.*}} vector<64xf32>
// CHECK-NEXT: %[[S:[^ ]+]] = arith.addf %[[P]], %[[X]] : vector<64xf32>
// CHECK-NEXT: vector.transfer_write %[[S]], %[[OUT]][%[[I]], %[[C0]]]
// CHECK: vector<36xf32>
// CHECK-NOT: scf.for
// CHECK-NOT: linalg.
// CHECK: return
func.func @cumsum_planes(%x: tensor<97x100xf32>) -> tensor<97x100xf32> {
  %cst = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %init = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %init) <{base_dilations = array<i64: 1, 1>, padding = dense<[[96, 0], [0, 0]]> : tensor<2x2xi64>, window_dilations = array<i64: 1, 1>, window_dimensions = array<i64: 97, 1>, window_strides = array<i64: 1, 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<97x100xf32>, tensor<f32>) -> tensor<97x100xf32>
  return %0 : tensor<97x100xf32>
}

// -----

// Reversed (padding high), unsigned max, planes of one block (3 elements after
// the scanned dimension): the running value stays in a vector<3xi32> across
// the scan loop, which walks rows 6, 5, ..., 0; the other dimension is a loop.
// CHECK-LABEL: func.func @cummax_reverse_carried
// CHECK-SAME: tensor<2x7x3xi32>
// CHECK-NOT: linalg.
// CHECK-DAG: %[[C6:[^ ]+]] = arith.constant 6 : index
// CHECK-DAG: %[[C7:[^ ]+]] = arith.constant 7 : index
// CHECK-DAG: %[[ID:[^ ]+]] = arith.constant dense<0> : vector<3xi32>
// CHECK: scf.for %[[B:[^ ]+]] = {{.*}} -> (tensor<2x7x3xi32>)
// CHECK: scf.for %[[K:[^ ]+]] = %{{.*}} to %[[C7]] {{.*}} iter_args(%[[ACC:[^ ]+]] = %[[ID]], %[[OUT:[^ ]+]] = %{{.*}}) -> (vector<3xi32>, tensor<2x7x3xi32>)
// CHECK-NEXT: %[[I:[^ ]+]] = arith.subi %[[C6]], %[[K]] : index
// CHECK-NEXT: %[[X:[^ ]+]] = vector.transfer_read %arg0[%[[B]], %[[I]], %{{.*}}]{{.*}} vector<3xi32>
// CHECK-NEXT: %[[M:[^ ]+]] = arith.maxui %[[X]], %[[ACC]] : vector<3xi32>
// CHECK-NEXT: %[[W:[^ ]+]] = vector.transfer_write %[[M]], %[[OUT]][%[[B]], %[[I]], %{{.*}}]
// CHECK-NEXT: scf.yield %[[M]], %[[W]]
// CHECK-NOT: scf.for
// CHECK: return
func.func @cummax_reverse_carried(%x: tensor<2x7x3xui32>) -> tensor<2x7x3xui32> {
  %init = stablehlo.constant dense<0> : tensor<ui32>
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[0, 0], [0, 6], [0, 0]]> : tensor<3x2xi64>, window_dimensions = array<i64: 1, 7, 1>}> ({
  ^bb0(%a: tensor<ui32>, %b: tensor<ui32>):
    %m = stablehlo.maximum %a, %b : tensor<ui32>
    stablehlo.return %m : tensor<ui32>
  }) : (tensor<2x7x3xui32>, tensor<ui32>) -> tensor<2x7x3xui32>
  return %0 : tensor<2x7x3xui32>
}

// -----

// Scanned dimension last: per row, a loop over the 2 blocks of 16 contiguous
// elements, each scanned in registers (shifts by 1, 2, 4, 8 with the identity
// shifted in) and multiplied by the carried product (lane 15, broadcast),
// then the 5 left.
// CHECK-LABEL: func.func @cumprod_rows
// CHECK-NOT: linalg.
// CHECK-DAG: %[[ONE:[^ ]+]] = arith.constant dense<1.000000e+00> : vector<16xf32>
// CHECK: scf.for {{.*}} -> (tensor<3x37xf32>)
// CHECK: scf.for {{.*}} iter_args(%[[CARRY:[^ ]+]] = %[[ONE]], %{{.*}} = %{{.*}}) -> (vector<16xf32>, tensor<3x37xf32>)
// CHECK: %[[X:[^ ]+]] = vector.transfer_read {{.*}} vector<16xf32>
// CHECK-NEXT: %[[S1:[^ ]+]] = vector.shuffle %[[X]], %[[ONE]] [16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
// CHECK-NEXT: %[[P1:[^ ]+]] = arith.mulf %[[S1]], %[[X]]
// CHECK-NEXT: vector.shuffle %[[P1]], %[[ONE]] [16, 16, 0, 1,
// CHECK: vector.shuffle %{{.*}}, %[[ONE]] [16, 16, 16, 16, 0, 1,
// CHECK: vector.shuffle %{{.*}}, %[[ONE]] [16, 16, 16, 16, 16, 16, 16, 16, 0, 1, 2, 3, 4, 5, 6, 7]
// CHECK-NEXT: %[[P4:[^ ]+]] = arith.mulf
// CHECK-NEXT: %[[R:[^ ]+]] = arith.mulf %[[CARRY]], %[[P4]] : vector<16xf32>
// CHECK-NEXT: vector.shuffle %[[R]], %{{.*}} [15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15]
// CHECK: vector.transfer_read {{.*}} vector<5xf32>
// CHECK: vector.shuffle %{{.*}} [0, 0, 0, 0, 0] : vector<16xf32>, vector<16xf32>
// CHECK-NOT: scf.for
// CHECK: return
func.func @cumprod_rows(%x: tensor<3x37xf32>) -> tensor<3x37xf32> {
  %init = stablehlo.constant dense<1.000000e+00> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[0, 0], [36, 0]]> : tensor<2x2xi64>, window_dimensions = array<i64: 1, 37>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %m = stablehlo.multiply %a, %b : tensor<f32>
    stablehlo.return %m : tensor<f32>
  }) : (tensor<3x37xf32>, tensor<f32>) -> tensor<3x37xf32>
  return %0 : tensor<3x37xf32>
}

// -----

// cumlogsumexp as JAX writes it (logaddexp, x + y where x - y is NaN), reversed,
// one block: lane i combined with lane i + 1, 2, 4, -inf shifted in from the end.
// CHECK-LABEL: func.func @cumlogsumexp_reverse
// CHECK-NOT: linalg.
// CHECK-DAG: %[[NEG_INF:[^ ]+]] = arith.constant dense<0xFFF0000000000000> : vector<8xf64>
// CHECK: %[[X:[^ ]+]] = vector.transfer_read {{.*}} vector<8xf64>
// CHECK-NEXT: %[[S:[^ ]+]] = vector.shuffle %[[X]], %[[NEG_INF]] [1, 2, 3, 4, 5, 6, 7, 8]
// CHECK-NEXT: %[[D:[^ ]+]] = arith.subf %[[X]], %[[S]]
// CHECK: math.exp
// CHECK: math.log1p
// CHECK: %[[NAN:[^ ]+]] = arith.cmpf une, %[[D]], %[[D]] : vector<8xf64>
// CHECK: %[[SUM:[^ ]+]] = arith.addf %[[X]], %[[S]]
// CHECK: %[[MAX:[^ ]+]] = arith.maximumf %[[X]], %[[S]]
// CHECK: %[[LSE:[^ ]+]] = arith.addf %[[MAX]]
// CHECK: arith.select %[[NAN]], %[[SUM]], %[[LSE]]
// CHECK: vector.shuffle %{{.*}}, %[[NEG_INF]] [2, 3, 4, 5, 6, 7, 8, 8]
// CHECK: vector.shuffle %{{.*}}, %[[NEG_INF]] [4, 5, 6, 7, 8, 8, 8, 8]
// CHECK-NOT: scf.for
// CHECK: vector.transfer_write
func.func @cumlogsumexp_reverse(%x: tensor<8xf64>) -> tensor<8xf64> {
  %init = stablehlo.constant dense<0xFFF0000000000000> : tensor<f64>
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[0, 7]]> : tensor<1x2xi64>, window_dimensions = array<i64: 8>}> ({
  ^bb0(%arg1: tensor<f64>, %arg2: tensor<f64>):
    %1 = stablehlo.maximum %arg1, %arg2 : tensor<f64>
    %2 = stablehlo.subtract %arg1, %arg2 : tensor<f64>
    %3 = stablehlo.compare NE, %2, %2, FLOAT : (tensor<f64>, tensor<f64>) -> tensor<i1>
    %4 = stablehlo.add %arg1, %arg2 : tensor<f64>
    %5 = stablehlo.abs %2 : tensor<f64>
    %6 = stablehlo.negate %5 : tensor<f64>
    %7 = stablehlo.exponential %6 : tensor<f64>
    %8 = stablehlo.log_plus_one %7 : tensor<f64>
    %9 = stablehlo.add %1, %8 : tensor<f64>
    %10 = stablehlo.select %3, %4, %9 : tensor<i1>, tensor<f64>
    stablehlo.return %10 : tensor<f64>
  }) : (tensor<8xf64>, tensor<f64>) -> tensor<8xf64>
  return %0 : tensor<8xf64>
}

// -----

// Not scans (the general lowering, a padded copy): an init that is not the
// identity, a window shorter than the dimension.
// CHECK-LABEL: func.func @not_identity
// CHECK-NOT: vector.
// CHECK: tensor.pad %arg0 low[4] high[0]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
func.func @not_identity(%x: tensor<5xf32>) -> tensor<5xf32> {
  %init = stablehlo.constant dense<1.000000e+00> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[4, 0]]> : tensor<1x2xi64>, window_dimensions = array<i64: 5>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<5xf32>, tensor<f32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// CHECK-LABEL: func.func @sliding
// CHECK-NOT: vector.
// CHECK: tensor.pad %arg0 low[2] high[0]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
func.func @sliding(%x: tensor<5xf32>) -> tensor<5xf32> {
  %init = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[2, 0]]> : tensor<1x2xi64>, window_dimensions = array<i64: 3>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<5xf32>, tensor<f32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}
