// An audio front end: a 1-D convolution with kernel 400 and stride 160 (a 25 ms window every
// 10 ms at 16 kHz) over 2 x 16000 samples, 64 filters. linalg.conv_1d_nwc_wcf is one of the
// library's convolutions: blocks of output positions on a parallel loop, a register tile of output
// positions x filters whose accumulators are carried through the loop over the 400 taps, and vector
// FMAs. Left to a fusion group, the whole 400-tap reduction was one tile (0.03x XLA).
// RUN: %tilewright compile %s --threads 1 --emit scheduled 2>&1 | FileCheck %s
// RUN: %tilewright run %s --threads 1 --random-inputs | FileCheck %s --check-prefix=EXEC

// CHECK-NOT: warning
// CHECK-LABEL: func.func public @main
// CHECK: scf.forall ({{.*}}) in (2, {{[0-9]+}})
// CHECK: scf.for %{{.+}} = %c0 to %c400 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<{{[0-9]+}}x{{[0-9]+}}xf32>)
// CHECK: vector.fma {{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.conv
// EXEC: result0: float32[2, 98, 64]

module @jit__lambda attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<2x16000x1xf32>, %arg1: tensor<400x1x64xf32>) -> (tensor<2x98x64xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.convolution(%arg0, %arg1) dim_numbers = [b, 0, f]x[0, i, o]->[b, 0, f], window = {stride = [160], pad = [[0, 0]], lhs_dilate = [1], rhs_dilate = [1], reverse = [false]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<2x16000x1xf32>, tensor<400x1x64xf32>) -> tensor<2x98x64xf32>
    return %0 : tensor<2x98x64xf32>
  }
}

