// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s
// RUN: %tilewright run %s --random-inputs | FileCheck %s --check-prefix=EXEC

// Unsigned values cross calls as signless integers (legalization converts
// function signatures but not func.call); the callee keeps unsigned semantics
// (divui), and boolean add is logical or, not xor.
// CHECK-LABEL: func.func {{.*}}@main
// CHECK-NOT:     ui16
// CHECK-NOT:     arith.addi {{.*}} : i1{{$}}
// CHECK:         arith.divui {{.*}} : i16
// CHECK-NOT:     arith.addi {{.*}} : i1{{$}}
// CHECK:         arith.ori {{.*}} : i1{{$}}
// EXEC:        result0: uint16[2]
// EXEC-NEXT:   [    0 21844]
// EXEC:        result1: bool[3]
func.func public @main(%x: tensor<3xi1>, %y: tensor<3xi1>) -> (tensor<2xui16>, tensor<3xi1>) {
  %0:2 = call @inputs() : () -> (tensor<2xui16>, tensor<2xui16>)
  %1 = stablehlo.add %0#0, %0#1 : tensor<2xui16>
  %2 = call @div3(%1) : (tensor<2xui16>) -> tensor<2xui16>
  %b = stablehlo.add %x, %y : tensor<3xi1>
  return %2, %b : tensor<2xui16>, tensor<3xi1>
}
func.func private @inputs() -> (tensor<2xui16>, tensor<2xui16>) {
  %c = stablehlo.constant dense<[1, 65535]> : tensor<2xui16>
  return %c, %c : tensor<2xui16>, tensor<2xui16>
}
func.func private @div3(%a: tensor<2xui16>) -> tensor<2xui16> {
  %c = stablehlo.constant dense<3> : tensor<2xui16>
  %d = stablehlo.divide %a, %c : tensor<2xui16>
  return %d : tensor<2xui16>
}
