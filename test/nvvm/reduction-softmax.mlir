// The NVVM library's row schedule on jax.nn.softmax over 7x1000 f32: the four ops (max, exp,
// sum, divide) in ONE kernel of one block per row (7 blocks) and 250 threads of 4 contiguous
// floats, in blocks of 256 (whole warps); each thread's partial max/sum combined by a warp
// butterfly of shuffles, then across the 8 warps through shared memory; 128-bit loads and stores.
//
// RUN: %tilewright compile %s --target nvvm --emit scheduled | FileCheck %s --check-prefix=SCHED
// RUN: %tilewright compile %s --target nvvm --emit gpu-mapped | FileCheck %s --check-prefix=MAPPED
// RUN: %tilewright compile %s --target nvvm --emit nvvm | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_80 --emit ptx | FileCheck %s --check-prefix=PTX
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90 --emit ptx | FileCheck %s --check-prefix=PTX

// SCHED-LABEL: func.func public @main
// SCHED:         scf.forall (%[[ROW:.+]]) in (7)
// SCHED:           scf.forall (%{{.+}}) in (250) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x250xf32>)
// SCHED:             vector.transfer_read %{{.+}}[%[[ROW]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<7x1000xf32>, vector<4xf32>
// SCHED:             vector.reduction <maximumf>
// SCHED:           } {mapping = [#gpu.thread<x>]}
// SCHED:           linalg.reduce ins(%{{.+}} : tensor<1x250xf32>)
// SCHED-NEXT:        (%{{.+}}: f32, %{{.+}}: f32) {
// SCHED-NEXT:          arith.maximumf
// The sum's threads recompute exp(x - max) on their 4 elements (fused, no row in memory).
// SCHED:           scf.forall (%{{.+}}) in (250) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x250xf32>)
// SCHED:             math.exp %{{.+}} : vector<4xf32>
// SCHED:             vector.reduction <add>
// SCHED:           } {mapping = [#gpu.thread<x>]}
// SCHED:           linalg.reduce
// SCHED:           scf.forall (%{{.+}}) in (250) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x1000xf32>)
// SCHED:             math.exp %{{.+}} : vector<4xf32>
// SCHED:             arith.divf %{{.+}} : vector<4xf32>
// SCHED:           } {mapping = [#gpu.thread<x>]}
// SCHED:         } {mapping = [#gpu.block<x>], tw.gpu_rows}
// SCHED-NOT:     scf.forall

// MAPPED-LABEL: func.func public @main
// 250 threads' work in a block of 256 (whole warps): threads 250..255 take part only in the shuffles.
// MAPPED:        gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c7{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED-SAME:     threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c256{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED:          %[[PARTIALS:.+]] = memref.alloc() {{.*}} : memref<1x250xf32>
// Each thread's copy of the partials is its own: it writes and reads slot 0 (a register).
// MAPPED:          memref.subview %[[PARTIALS]][0, %c0{{[_0-9]*}}] [1, 1] [1, 1]
// The row slice of each thread: 4 floats at a multiple of 4, a 16-byte aligned vector load.
// MAPPED:          vector.load %{{.+}}[%{{.+}}, %{{.+}}] {alignment = 16 : i64} : memref<7x1000xf32>, vector<4xf32>
// MAPPED:          vector.reduction <maximumf>
// No barrier after the thread forall: the partial is the thread's own.
// MAPPED-NOT:      gpu.barrier
// MAPPED:          %[[TID:.+]] = gpu.thread_id x
// MAPPED:          %[[IN:.+]] = arith.cmpi ult, %[[TID]], %c250
// MAPPED:          %[[P:.+]] = scf.if %[[IN]] -> (f32) {
// MAPPED-NEXT:       memref.load %[[PARTIALS]][%[[Z:c0[_0-9]*]], %[[Z]]] : memref<1x250xf32>
// MAPPED:          } else {
// MAPPED-NEXT:       arith.constant 0xFF800000 : f32
// The warp butterfly: xor 16, 8, 4, 2, 1.
// MAPPED:          %[[S:.+]], %{{.+}} = gpu.shuffle xor %[[P]], %c16_i32, %c32_i32 : f32
// MAPPED-NEXT:     arith.maximumf %[[P]], %[[S]] : f32
// MAPPED-COUNT-4:  gpu.shuffle xor
// One value per warp (8 warps) in shared memory, one barrier, every warp reduces them.
// MAPPED:          %[[WARPS:.+]] = memref.alloc() : memref<8xf32, #gpu.address_space<workgroup>>
// MAPPED:          memref.store %{{.+}}, %[[WARPS]][%{{.+}}] : memref<8xf32, #gpu.address_space<workgroup>>
// MAPPED:          gpu.barrier
// MAPPED:          memref.load %[[WARPS]]
// MAPPED-COUNT-5:  gpu.shuffle xor
// MAPPED:          arith.maximumf
// MAPPED:          gpu.shuffle xor %{{.+}}, %c16_i32{{.*}} : f32
// MAPPED-NEXT:     arith.addf
// MAPPED:          memref.alloc() : memref<8xf32, #gpu.address_space<workgroup>>
// MAPPED:          vector.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}] {alignment = 16 : i64} : memref<1x4xf32, strided<[1000, 1], offset: ?>>, vector<4xf32>
// MAPPED-NOT:      linalg.reduce
// MAPPED:          gpu.terminator
// MAPPED-NOT:    gpu.launch
// MAPPED:        return

// NVVM:        gpu.launch_func @kernels::@main_kernel
// NVVM-NOT:      vector<
// NVVM-SAME:     args(
// NVVM-NOT:    gpu.launch_func
// The warps' results meet in shared memory (8 floats per reduction).
// NVVM-COUNT-2: llvm.mlir.global {{.*}}addr_space = 3 : i32{{.*}} : !llvm.array<8 x f32>
// NVVM:        llvm.func @main_kernel(
// NVVM:        nvvm.shfl.sync bfly

// One kernel; x read once as 128-bit vectors (the three reads of the same vector merged by
// LLVM), the result stored as 128-bit vectors, the partials reduced by butterfly shuffles.
// PTX:         .entry main_kernel(
// PTX-NOT:     .entry
// PTX:         ld.global.nc.v4.b32
// PTX:         shfl.sync.bfly.b32
// PTX:         bar.sync
// PTX:         st.global.v4.b32
module @jit__lambda attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<7x1000xf32>) -> (tensor<7x1000xf32>) {
    %cst = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %0 = stablehlo.reduce(%arg0 init: %cst) applies stablehlo.maximum across dimensions = [1] : (tensor<7x1000xf32>, tensor<f32>) -> tensor<7xf32>
    %cst_0 = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %1 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<7xf32>
    %2 = stablehlo.maximum %1, %0 : tensor<7xf32>
    %3 = stablehlo.broadcast_in_dim %2, dims = [0] : (tensor<7xf32>) -> tensor<7x1xf32>
    %4 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<7x1xf32>) -> tensor<7x1000xf32>
    %5 = stablehlo.subtract %arg0, %4 : tensor<7x1000xf32>
    %6 = stablehlo.exponential %5 : tensor<7x1000xf32>
    %cst_1 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %7 = stablehlo.reduce(%6 init: %cst_1) applies stablehlo.add across dimensions = [1] : (tensor<7x1000xf32>, tensor<f32>) -> tensor<7xf32>
    %8 = stablehlo.broadcast_in_dim %7, dims = [0] : (tensor<7xf32>) -> tensor<7x1xf32>
    %9 = stablehlo.broadcast_in_dim %8, dims = [0, 1] : (tensor<7x1xf32>) -> tensor<7x1000xf32>
    %10 = stablehlo.divide %6, %9 : tensor<7x1000xf32>
    return %10 : tensor<7x1000xf32>
  }
}
