// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// A while loop with two carried values, one unsigned: scf.while carries them
// signless; the condition's tensor<i1> is extracted for scf.condition.
// CHECK-LABEL: func.func @count_up
// CHECK: %[[R:[^ ]+]]:2 = scf.while (%[[I:[^ ]+]] = %{{.*}}, %[[X:[^ ]+]] = %{{.*}}) : (tensor<i32>, tensor<4xi8>) -> (tensor<i32>, tensor<4xi8>)
// CHECK:   arith.cmpi slt
// CHECK:   %[[C:[^ ]+]] = tensor.extract %{{.*}}[] : tensor<i1>
// CHECK:   scf.condition(%[[C]]) %[[I]], %[[X]] : tensor<i32>, tensor<4xi8>
// CHECK: } do {
// CHECK: ^bb0(%{{[^ :]+}}: tensor<i32>, %{{[^ :]+}}: tensor<4xi8>):
// CHECK:   arith.addi
// CHECK:   arith.muli
// CHECK:   scf.yield %{{.*}}, %{{.*}} : tensor<i32>, tensor<4xi8>
// CHECK: return %[[R]]#1 : tensor<4xi8>
func.func @count_up(%n: tensor<i32>, %x: tensor<4xui8>) -> tensor<4xui8> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %0:2 = stablehlo.while(%i = %zero, %y = %x) : tensor<i32>, tensor<4xui8>
   cond {
    %lt = stablehlo.compare LT, %i, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %lt : tensor<i1>
  } do {
    %next = stablehlo.add %i, %one : tensor<i32>
    %sq = stablehlo.multiply %y, %y : tensor<4xui8>
    stablehlo.return %next, %sq : tensor<i32>, tensor<4xui8>
  }
  return %0#1 : tensor<4xui8>
}

// -----

// stablehlo.case: branches 0 and 1 become cases, the last branch the default
// (StableHLO runs the last branch for an out-of-range index).
// CHECK-LABEL: func.func @three_way
// CHECK: %[[K:[^ ]+]] = tensor.extract %{{.*}}[] : tensor<i32>
// CHECK: %[[IDX:[^ ]+]] = arith.index_cast %[[K]] : i32 to index
// CHECK: scf.index_switch %[[IDX]] -> tensor<3xf32>
// CHECK: case 0 {
// CHECK:   math.tanh
// CHECK: case 1 {
// CHECK:   arith.mulf
// CHECK: default {
// CHECK:   scf.yield %{{.*}} : tensor<3xf32>
func.func @three_way(%k: tensor<i32>, %x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "stablehlo.case"(%k) ({
    %t = stablehlo.tanh %x : tensor<3xf32>
    stablehlo.return %t : tensor<3xf32>
  }, {
    %m = stablehlo.multiply %x, %x : tensor<3xf32>
    stablehlo.return %m : tensor<3xf32>
  }, {
    stablehlo.return %x : tensor<3xf32>
  }) : (tensor<i32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @if_else
// CHECK: %[[P:[^ ]+]] = tensor.extract %{{.*}}[] : tensor<i1>
// CHECK: scf.if %[[P]] -> (tensor<2xi32>)
// CHECK:   arith.subi
// CHECK: } else {
func.func @if_else(%p: tensor<i1>, %x: tensor<2xi32>) -> tensor<2xi32> {
  %0 = "stablehlo.if"(%p) ({
    %n = stablehlo.negate %x : tensor<2xi32>
    stablehlo.return %n : tensor<2xi32>
  }, {
    stablehlo.return %x : tensor<2xi32>
  }) : (tensor<i1>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}
