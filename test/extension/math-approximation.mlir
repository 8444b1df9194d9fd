// tw-math-approximation: upstream's polynomial approximations of math ops
// (populateMathPolynomialApproximationPatterns), in stock mlir-opt with the
// plugin and in tilewright-opt; the same checks for both.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-pass-plugin=%tw-plugin %s \
// RUN:   --pass-pipeline='builtin.module(tw-math-approximation{ops=erf,log,sin})' | FileCheck %s
// RUN: %tilewright-opt %s \
// RUN:   --pass-pipeline='builtin.module(tw-math-approximation{ops=erf,log,sin})' | FileCheck %s
// vectors-only: scalars keep their math op (libm later), vectors do not.
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-math-approximation{ops=erf,log,sin vectors-only=true})' \
// RUN:   | FileCheck %s --check-prefix=VEC
// No ops: every supported one.
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-math-approximation)' | FileCheck %s --check-prefix=ALL

// erf: three rational pieces, chosen by |x|, no math.erf left.
// CHECK-LABEL: func.func @erf_vector
// CHECK-NOT:     math.erf
// CHECK:         arith.divf {{.*}} : vector<8xf32>
// CHECK-NOT:     math.erf
// CHECK:         return
// VEC-LABEL:   func.func @erf_vector
// VEC-NOT:       math.erf
func.func @erf_vector(%x: vector<8xf32>) -> vector<8xf32> {
  %y = math.erf %x : vector<8xf32>
  return %y : vector<8xf32>
}

// log: a subnormal operand is scaled by 2^23 (0x4B000000) and the result
// corrected by -23 ln 2 (-15.94...): upstream alone clamps it to 2^-126.
// CHECK-LABEL: func.func @log_scalar
// CHECK-SAME:    (%[[X:.*]]: f32)
// CHECK-NOT:     math.log
// CHECK:         %[[MIN:.*]] = arith.constant 1.17549435E-38 : f32
// CHECK:         %[[SUB:.*]] = arith.cmpf olt, %[[X]], %[[MIN]] : f32
// CHECK:         %[[SCALE:.*]] = arith.constant 0x4B000000 : f32
// CHECK:         %[[SCALED:.*]] = arith.mulf %[[X]], %[[SCALE]] : f32
// CHECK:         arith.select %[[SUB]], %[[SCALED]], %[[X]] : f32
// CHECK:         math.fma
// CHECK:         %[[CORR:.*]] = arith.select %[[SUB]], %{{.*}}, %{{.*}} : f32
// CHECK:         %[[R:.*]] = arith.addf %{{.*}}, %[[CORR]] : f32
// CHECK:         return %[[R]]
// VEC-LABEL:   func.func @log_scalar
// VEC:           math.log %{{.*}} : f32
// ALL-LABEL:   func.func @log_scalar
// ALL-NOT:       math.log
func.func @log_scalar(%x: f32) -> f32 {
  %y = math.log %x : f32
  return %y : f32
}

// f16 and bf16: extended to f32, the f32 polynomial, truncated (the same for
// the scalar and the n-D vector); f64 has no upstream polynomial.
// CHECK-LABEL: func.func @other_types
// CHECK:         arith.extf %{{.*}} : vector<2x4xf16> to vector<2x4xf32>
// CHECK-NOT:     math.sin {{.*}}f16
// CHECK:         arith.truncf %{{.*}} : vector<2x4xf32> to vector<2x4xf16>
// CHECK:         arith.extf %{{.*}} : bf16 to f32
// CHECK:         arith.truncf %{{.*}} : f32 to bf16
// CHECK:         math.erf %{{.*}} : vector<4xf64>
// CHECK:         math.tanh %{{.*}} : vector<4xf32>
// VEC-LABEL:   func.func @other_types
// VEC:           arith.truncf %{{.*}} : vector<2x4xf32> to vector<2x4xf16>
// VEC:           math.log %{{.*}} : bf16
// ALL-LABEL:   func.func @other_types
// ALL-NOT:       math.tanh
// ALL:           math.erf %{{.*}} : vector<4xf64>
// ALL-NOT:       math.tanh
func.func @other_types(%h: vector<2x4xf16>, %b: bf16, %d: vector<4xf64>, %f: vector<4xf32>)
    -> (vector<2x4xf16>, bf16, vector<4xf64>, vector<4xf32>) {
  %0 = math.sin %h : vector<2x4xf16>
  %1 = math.log %b : bf16
  %2 = math.erf %d : vector<4xf64>
  // Not chosen: stays (except with every op).
  %3 = math.tanh %f : vector<4xf32>
  return %0, %1, %2, %3 : vector<2x4xf16>, bf16, vector<4xf64>, vector<4xf32>
}
