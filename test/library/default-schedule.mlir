// No --schedule means the CPU library's default schedule; --schedule none means plain loops.
// A column reduction (reduction loop outside the parallel one) is tiled alone and vectorized along
// the rows, its accumulator a loop-carried vector;
// a reversal (indexing map -d0 + 96: upstream's tiling asserts on it) is left as it is.
// RUN: %tilewright compile %s --emit scheduled | FileCheck %s --check-prefix=DEFAULT
// RUN: %tilewright compile %s --emit scheduled --schedule default | FileCheck %s --check-prefix=DEFAULT
// RUN: %tilewright compile %s --emit scheduled --schedule none | FileCheck %s --check-prefix=NONE
// RUN: %tilewright run %s --random-inputs | FileCheck %s --check-prefix=EXEC

// DEFAULT-DAG: #[[REV:.+]] = affine_map<(d0, d1) -> (-d0 + 96, d1)>
// DEFAULT-LABEL: func.func @main
// DEFAULT: scf.for {{.*}} iter_args({{.*}}) -> (vector<40xf32>)
// DEFAULT-NEXT: vector.transfer_read {{.*}} : tensor<97x40xf32>, vector<40xf32>
// DEFAULT-NEXT: arith.addf {{.*}} : vector<40xf32>
// DEFAULT: linalg.generic {indexing_maps = [#[[REV]]
// DEFAULT-NOT: linalg.generic
// NONE-NOT: vector.
// NONE-NOT: scf.for
// EXEC: result0: float32[40]
// EXEC: result1: float32[97, 40]

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#rev = affine_map<(d0, d1) -> (-d0 + 96, d1)>
func.func @main(%x: tensor<97x40xf32>) -> (tensor<40xf32>, tensor<97x40xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<40xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<40xf32>) -> tensor<40xf32>
  %s = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<97x40xf32>) outs(%f : tensor<40xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %in, %acc : f32
    linalg.yield %a : f32
  } -> tensor<40xf32>
  %e2 = tensor.empty() : tensor<97x40xf32>
  %r = linalg.generic {indexing_maps = [#rev, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<97x40xf32>) outs(%e2 : tensor<97x40xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<97x40xf32>
  return %s, %r : tensor<40xf32>, tensor<97x40xf32>
}
