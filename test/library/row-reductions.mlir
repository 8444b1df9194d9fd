// Row reductions of a fusion group (RMSNorm at 300x1000: more rows than a chunk): the row loop is marked tw.row_loop,
// its sum is a vector.reduction of chunk partials (not a chain of one scalar add per lane),
// which LLVM may reassociate into a tree; the per-row accumulator's fill folds into a constant
// instead of a one-element buffer allocated on every row.
// RUN: %tilewright compile %s --emit scheduled | FileCheck %s --check-prefix=SCHED
// RUN: %tilewright compile %s --emit bufferized | FileCheck %s --check-prefix=BUF
// RUN: %tilewright compile %s --emit llvm-ir | FileCheck %s --check-prefix=LLVM
// RUN: %tilewright run %s --random-inputs --threads 2 | FileCheck %s --check-prefix=EXEC

// SCHED-LABEL: func.func @main
// SCHED-NOT: linalg.fill
// SCHED: scf.for {{.*}} iter_args({{.*}}) -> (vector<[[CHUNK:[0-9]+]]xf32>)
// SCHED: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<[[CHUNK]]xf32> into f32
// SCHED-NOT: vector.extract %{{.*}}[{{[1-9]}}
// SCHED: math.rsqrt
// SCHED: } {tw.row_loop}
// SCHED-NOT: linalg.
// BUF-LABEL: func.func @main
// BUF-NOT: memref.alloc
// BUF: return
// LLVM: call reassoc float @llvm.vector.reduce.fadd
// EXEC: result0: float32[300, 1000]

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<300x1000xf32>, %w: tensor<1000xf32>) -> tensor<300x1000xf32> {
  %eps = arith.constant 9.99999997E-7 : f32
  %n = arith.constant 1.000000e+03 : f32
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<300x1000xf32>
  %e1 = tensor.empty() : tensor<300xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<300xf32>) -> tensor<300xf32>
  %ss = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<300x1000xf32>) outs(%f : tensor<300xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %a = arith.addf %acc, %sq : f32
    linalg.yield %a : f32
  } -> tensor<300xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %ss, %w : tensor<300x1000xf32>, tensor<300xf32>, tensor<1000xf32>) outs(%e : tensor<300x1000xf32>) {
  ^bb0(%in: f32, %s: f32, %g: f32, %o: f32):
    %mean = arith.divf %s, %n : f32
    %v = arith.addf %mean, %eps : f32
    %r = math.rsqrt %v : f32
    %xr = arith.mulf %in, %r : f32
    %out = arith.mulf %xr, %g : f32
    linalg.yield %out : f32
  } -> tensor<300x1000xf32>
  return %y : tensor<300x1000xf32>
}
