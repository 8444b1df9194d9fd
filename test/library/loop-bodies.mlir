// The default schedule reaches linalg ops inside loop bodies: the matmul and the tanh inside the
// scf.for are tiled and vectorized like top-level ones, and nothing is fused across the loop.
// RUN: %tilewright compile %s --emit scheduled --threads 1 | FileCheck %s
// RUN: %tilewright run %s --threads 1 --random-inputs | FileCheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// CHECK:         scf.for
// CHECK-NOT:       linalg.matmul
// CHECK:           vector.{{contract|fma}}
// CHECK:           math.tanh {{.*}} : vector<
// CHECK:           scf.yield
// EXEC: result0: float32[48, 64]
func.func @main(%x: tensor<48x64xf32>, %w: tensor<64x64xf32>) -> tensor<48x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %x) -> tensor<48x64xf32> {
    %e = tensor.empty() : tensor<48x64xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<48x64xf32>) -> tensor<48x64xf32>
    %m = linalg.matmul ins(%h, %w : tensor<48x64xf32>, tensor<64x64xf32>) outs(%f : tensor<48x64xf32>) -> tensor<48x64xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
        ins(%m : tensor<48x64xf32>) outs(%e : tensor<48x64xf32>) {
    ^bb0(%in: f32, %out: f32):
      %y = math.tanh %in : f32
      linalg.yield %y : f32
    } -> tensor<48x64xf32>
    scf.yield %t : tensor<48x64xf32>
  }
  return %r : tensor<48x64xf32>
}
