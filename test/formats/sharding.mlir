// Shardy annotations (JAX's in_shardings/out_shardings, with_sharding_constraint) describe how
// to partition the program over devices; on one CPU they are dropped before legalization.
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s
// RUN: %tilewright run %s --random-inputs | FileCheck %s --check-prefix=EXEC
// CHECK-NOT: sdy
// CHECK:     func.func public @main(%{{.*}}: tensor<4x8xf32>, %{{.*}}: tensor<8x3xf32>) -> (tensor<4x3xf32> {jax.result_info = "result"})
// CHECK:       math.sin
// CHECK:       linalg.matmul
// CHECK-NOT: sdy
// EXEC: result0: float32[4, 3]

module @jit_f attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["x"=2]>
  func.func public @main(%arg0: tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}, %arg1: tensor<8x3xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}, {}]>}) -> (tensor<4x3xf32> {jax.result_info = "result", sdy.sharding = #sdy.sharding<@mesh, [{"x"}, {}]>}) {
    %0 = stablehlo.sine %arg0 : tensor<4x8xf32>
    %1 = sdy.sharding_constraint %0 <@mesh, [{}, {"x"}]> : tensor<4x8xf32>
    %2 = stablehlo.dot_general %1, %arg1, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
    return %2 : tensor<4x3xf32>
  }
}
