// The NVVM default schedule of a causal attention (JAX: f32, 1x1x130x64, q.k^T / 8 masked with
// tril, softmax, .v): the chain is raised to tw.attention and flashed in ONE kernel, a block per
// 26 query rows (130 = 5 x 26), one thread per row, the keys in 26-key blocks in an scf.for
// inside the thread that stops at the row's diagonal (blocks past it are not computed); the
// thread's running state is private memory (allocas, no device malloc); PTX for sm_80 and sm_90.
//
// RUN: %tilewright compile %s --target nvvm --emit gpu-mapped | FileCheck %s --check-prefix=MAPPED
// RUN: %tilewright compile %s --target nvvm --emit nvvm | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_80 --emit ptx | FileCheck %s --check-prefixes=PTX,SM80
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90 --emit ptx | FileCheck %s --check-prefixes=PTX,SM90

// MAPPED-LABEL: func.func public @main
// MAPPED-NOT:    gpu.launch
// MAPPED:        gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c5{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED-SAME:     threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c26{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED:          %[[ROW:.+]] = affine.apply #{{.+}}(%thread_id_x, %block_id_x)
// MAPPED:          %[[END:.+]] = arith.addi %[[ROW]], %c1
// MAPPED:          %[[BOUND:.+]] = arith.minsi %[[END]], %c130
// MAPPED:          scf.for %{{.+}} = %c0 to %[[BOUND]] step %c26
// MAPPED:            scf.for
// MAPPED:              linalg.transpose {{.*}}memref<1x1xf32
// MAPPED:              linalg.matmul {{.*}}memref<1x1xf32
// MAPPED:            math.exp
// MAPPED:            linalg.matmul {{.*}}memref<1x26xf32>, memref<26x64xf32
// MAPPED:          gpu.terminator
// MAPPED-NOT:    gpu.launch
// MAPPED:        return

// NVVM:         gpu.module @kernels
// NVVM-COUNT-1:   llvm.func @main_kernel
// NVVM-NOT:       llvm.func @main_kernel
// NVVM-NOT:       malloc

// PTX:          .version 8.0
// SM80:         .target sm_80
// SM90:         .target sm_90
// PTX-NOT:      malloc
// PTX:          .entry main_kernel(
// PTX-NOT:      .entry
// PTX-NOT:      malloc

module @jit__lambda attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<1x1x130x64xf32>, %arg1: tensor<1x1x130x64xf32>, %arg2: tensor<1x1x130x64xf32>) -> (tensor<1x1x130x64xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.dot_general %arg0, %arg1, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [3], precision = [DEFAULT, DEFAULT] : (tensor<1x1x130x64xf32>, tensor<1x1x130x64xf32>) -> tensor<1x1x130x130xf32>
    %cst = stablehlo.constant dense<8.000000e+00> : tensor<f32>
    %1 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<1x1x130x130xf32>
    %2 = stablehlo.divide %0, %1 : tensor<1x1x130x130xf32>
    %c = stablehlo.constant dense<true> : tensor<i1>
    %3 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i1>) -> tensor<130x130xi1>
    %4 = call @tril(%3) : (tensor<130x130xi1>) -> tensor<130x130xi1>
    %cst_0 = stablehlo.constant dense<-2.38197633E+38> : tensor<f32>
    %5 = call @_where(%4, %2, %cst_0) : (tensor<130x130xi1>, tensor<1x1x130x130xf32>, tensor<f32>) -> tensor<1x1x130x130xf32>
    %cst_1 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %6 = stablehlo.reduce(%5 init: %cst_1) applies stablehlo.maximum across dimensions = [3] : (tensor<1x1x130x130xf32>, tensor<f32>) -> tensor<1x1x130xf32>
    %cst_2 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %7 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<1x1x130xf32>
    %8 = stablehlo.maximum %7, %6 : tensor<1x1x130xf32>
    %9 = stablehlo.broadcast_in_dim %8, dims = [0, 1, 2] : (tensor<1x1x130xf32>) -> tensor<1x1x130x1xf32>
    %10 = stablehlo.broadcast_in_dim %9, dims = [0, 1, 2, 3] : (tensor<1x1x130x1xf32>) -> tensor<1x1x130x130xf32>
    %11 = stablehlo.subtract %5, %10 : tensor<1x1x130x130xf32>
    %12 = stablehlo.exponential %11 : tensor<1x1x130x130xf32>
    %cst_3 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %13 = stablehlo.reduce(%12 init: %cst_3) applies stablehlo.add across dimensions = [3] : (tensor<1x1x130x130xf32>, tensor<f32>) -> tensor<1x1x130xf32>
    %14 = stablehlo.broadcast_in_dim %13, dims = [0, 1, 2] : (tensor<1x1x130xf32>) -> tensor<1x1x130x1xf32>
    %15 = stablehlo.broadcast_in_dim %14, dims = [0, 1, 2, 3] : (tensor<1x1x130x1xf32>) -> tensor<1x1x130x130xf32>
    %16 = stablehlo.divide %12, %15 : tensor<1x1x130x130xf32>
    %17 = stablehlo.dot_general %16, %arg2, batching_dims = [0, 1] x [0, 1], contracting_dims = [3] x [2], precision = [DEFAULT, DEFAULT] : (tensor<1x1x130x130xf32>, tensor<1x1x130x64xf32>) -> tensor<1x1x130x64xf32>
    return %17 : tensor<1x1x130x64xf32>
  }
  func.func private @tril(%arg0: tensor<130x130xi1>) -> tensor<130x130xi1> {
    %0 = stablehlo.iota dim = 0 : tensor<130x130xi32>
    %c = stablehlo.constant dense<0> : tensor<i32>
    %1 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i32>) -> tensor<130x130xi32>
    %2 = stablehlo.add %0, %1 : tensor<130x130xi32>
    %3 = stablehlo.iota dim = 1 : tensor<130x130xi32>
    %4 = stablehlo.compare GE, %2, %3, SIGNED : (tensor<130x130xi32>, tensor<130x130xi32>) -> tensor<130x130xi1>
    %c_0 = stablehlo.constant dense<false> : tensor<i1>
    %5 = stablehlo.broadcast_in_dim %c_0, dims = [] : (tensor<i1>) -> tensor<130x130xi1>
    %6 = stablehlo.select %4, %arg0, %5 : tensor<130x130xi1>, tensor<130x130xi1>
    return %6 : tensor<130x130xi1>
  }
  func.func private @_where(%arg0: tensor<130x130xi1>, %arg1: tensor<1x1x130x130xf32>, %arg2: tensor<f32>) -> tensor<1x1x130x130xf32> {
    %0 = stablehlo.convert %arg2 : tensor<f32>
    %1 = stablehlo.broadcast_in_dim %arg0, dims = [2, 3] : (tensor<130x130xi1>) -> tensor<1x1x130x130xi1>
    %2 = stablehlo.broadcast_in_dim %0, dims = [] : (tensor<f32>) -> tensor<1x1x130x130xf32>
    %3 = stablehlo.select %1, %arg1, %2 : tensor<1x1x130x130xi1>, tensor<1x1x130x130xf32>
    return %3 : tensor<1x1x130x130xf32>
  }
}
