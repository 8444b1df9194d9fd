// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-approximate-vector-math)' | FileCheck %s
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu)' | FileCheck %s --check-prefix=LLVM

// f32 vector exp: range reduction with FMAs, a polynomial, 2^n from exponent bits, NaN kept.
// CHECK-LABEL: func.func @exp_vector
// CHECK-SAME:    (%[[X:.*]]: vector<8xf32>)
// CHECK-NOT:     math.exp
// CHECK:         arith.maxnumf %[[X]]
// CHECK:         arith.minnumf
// CHECK:         math.floor
// CHECK-COUNT-7: math.fma
// CHECK:         arith.fptosi {{.*}} : vector<8xf32> to vector<8xi32>
// CHECK:         arith.shli
// CHECK:         arith.bitcast {{.*}} : vector<8xi32> to vector<8xf32>
// CHECK:         %[[NAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : vector<8xf32>
// CHECK:         %[[R:.*]] = arith.select %[[NAN]], %[[X]], %{{.*}} : vector<8xi1>, vector<8xf32>
// CHECK:         return %[[R]]
// The polynomial stays in vector registers down to the LLVM dialect: no `llvm.intr.exp` anywhere in
// the function (LLVM would scalarize it into one `expf` call per element).
// LLVM-LABEL: llvm.func @exp_vector
// LLVM-NOT:     llvm.intr.exp
// LLVM:         llvm.intr.fma({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// LLVM-NOT:     llvm.intr.exp
// LLVM:         llvm.return
func.func @exp_vector(%x: vector<8xf32>) -> vector<8xf32> {
  %y = math.exp %x : vector<8xf32>
  return %y : vector<8xf32>
}

// sin/cos: three-part reduction by pi/2 with FMAs, both polynomials, the quadrant picks one and
// its sign; a vector with a lane beyond 2^18 (or inf/NaN) takes libm lane by lane instead.
// CHECK-LABEL: func.func @sin_cos_vector
// CHECK-SAME:    (%[[X:.*]]: vector<2x8xf32>)
// CHECK:         %[[LARGE:.*]] = arith.cmpf ugt, %{{.*}}, %{{.*}} : vector<2x8xf32>
// CHECK:         %[[FLAT:.*]] = vector.shape_cast %[[LARGE]] : vector<2x8xi1> to vector<16xi1>
// CHECK:         %[[ANY:.*]] = vector.reduction <or>, %[[FLAT]] : vector<16xi1> into i1
// CHECK:         scf.if %[[ANY]] -> (vector<2x8xf32>) {
// CHECK:           scf.for
// CHECK:             math.sin %{{.*}} : f32
// CHECK:         } else {
// CHECK:           math.floor
// CHECK-COUNT-3:   math.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<2x8xf32>
// CHECK:           arith.select
// CHECK:           arith.xori
// CHECK:         scf.if
// CHECK:             math.cos %{{.*}} : f32
// CHECK-NOT:     math.{{sin|cos}} %{{.*}} : vector
// CHECK:         return
// LLVM-LABEL: llvm.func @sin_cos_vector
// LLVM-NOT:     llvm.intr.{{sin|cos}}({{.*}}) : (vector
// LLVM:         llvm.intr.fma({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// LLVM-NOT:     llvm.intr.{{sin|cos}}({{.*}}) : (vector
// LLVM:         llvm.return
func.func @sin_cos_vector(%x: vector<2x8xf32>) -> (vector<2x8xf32>, vector<2x8xf32>) {
  %s = math.sin %x : vector<2x8xf32>
  %c = math.cos %x : vector<2x8xf32>
  return %s, %c : vector<2x8xf32>, vector<2x8xf32>
}

// Scalars keep libm (exact to half an ulp); f64 vectors keep the upstream lowering.
// CHECK-LABEL: func.func @untouched
// CHECK:         math.exp %{{.*}} : f32
// CHECK:         math.tanh %{{.*}} : vector<4xf64>
// LLVM-LABEL: llvm.func @untouched
// LLVM:         llvm.intr.exp(%{{.*}}) : (f32) -> f32
// LLVM:         llvm.intr.tanh(%{{.*}}) : (vector<4xf64>) -> vector<4xf64>
func.func @untouched(%s: f32, %v: vector<4xf64>) -> (f32, vector<4xf64>) {
  %a = math.exp %s : f32
  %b = math.tanh %v : vector<4xf64>
  return %a, %b : f32, vector<4xf64>
}
