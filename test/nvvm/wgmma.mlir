// The NVVM default schedule of an f16 matmul (256x128 * 128x256, f32 accumulation as jnp.matmul
// lowers it) for sm_90a on warpgroup MMA (schedule/nvvm/wgmma.py): the extf producers folded
// into one mixed-precision linalg.matmul (f16 x f16 -> f32), 128x128 block tiles of ONE
// warpgroup (128 threads), the zero fill one row per thread, then a k loop of 64 whose
// matmul the whole block runs, marked tw.wgmma; after the mapping tw-wgmma rewrites it
// (transform.tw.rewrite_matmul_as_wgmma): A and B slices staged in shared memory as K-major core
// matrices (2 x 16 KiB), two m64n128k16 wgmma per 16 of K (8 per slice). For sm_90 (no wgmma)
// the same program stays on mma.sync. The f32 -> f16 rounding is its own kernel.
//
// REQUIRES: tw-extension
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90a --emit scheduled | FileCheck %s --check-prefix=SCHED
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90a --emit gpu-mapped | FileCheck %s --check-prefix=MAPPED
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90a --emit nvvm | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90a --emit ptx | FileCheck %s --check-prefix=PTX
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90 --emit ptx | FileCheck %s --check-prefix=SM90

// SCHED-LABEL: func.func public @main
// SCHED-NOT:     arith.extf
// SCHED:         scf.forall (%{{.+}}, %{{.+}}) in (2, 2)
// SCHED:           scf.forall (%{{.+}}, %{{.+}}) in (128, 1)
// SCHED:             linalg.fill
// SCHED:           } {mapping = [#gpu.thread<x>, #gpu.thread<y>]}
// SCHED:           scf.for %{{.+}} = %c0 to %c128 step %c64
// SCHED:             linalg.matmul {tw.wgmma} ins(%{{.+}}, %{{.+}} : tensor<128x64xf16>, tensor<64x128xf16>) outs(%{{.+}} : tensor<128x128xf32>)
// SCHED:         } {mapping = [#gpu.block<y>, #gpu.block<x>]}

// MAPPED:      gpu.launch blocks({{.*}}) in (%{{.+}} = %c2, %{{.+}} = %c2{{.*}}, %{{.+}} = %c1{{.*}}) threads({{.*}}) in (%{{.+}} = %c128{{.*}}, %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}})
// MAPPED:        linalg.fill
// MAPPED-NEXT:   gpu.barrier
// MAPPED:        scf.for
// MAPPED:          linalg.matmul {tw.wgmma} ins(%{{.+}}, %{{.+}} : memref<128x64xf16, {{.*}}>, memref<64x128xf16, {{.*}}>) outs(%{{.+}} : memref<128x128xf32, {{.*}}>)

// NVVM:      gpu.launch_func @kernels::@main_kernel blocks in (%c2, %c2, %c1) threads in (%c128, %c1, %c1)
// NVVM:      gpu.module @kernels [#nvvm.target<O = 3, chip = "sm_90a"
// NVVM-DAG:  llvm.mlir.global private @main_kernel_shared_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<16 x array<8 x array<8 x array<8 x f16>>>>
// NVVM-DAG:  llvm.mlir.global private @main_kernel_shared_1() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<16 x array<8 x array<8 x array<8 x f16>>>>
// NVVM:      llvm.func @main_kernel(
// NVVM:        nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>
// NVVM:        nvvm.wgmma.fence.aligned
// NVVM-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// NVVM:        nvvm.wgmma.commit.group.sync.aligned
// NVVM:        nvvm.wgmma.wait.group.sync.aligned 0
// NVVM:      llvm.func @main_kernel_0(
// NVVM-NOT:    wgmma

// PTX:       .target sm_90a
// PTX:       .entry main_kernel(
// PTX:       wgmma.fence.sync.aligned
// PTX-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// PTX:       wgmma.commit_group.sync.aligned
// PTX:       .entry main_kernel_0(
// PTX-NOT:   wgmma

// SM90:      .target sm_90
// SM90-NOT:  wgmma
// SM90:      mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SM90-NOT:  wgmma

module @jit_matmul {
  func.func public @main(%arg0: tensor<256x128xf16>, %arg1: tensor<128x256xf16>) -> tensor<256x256xf16> {
    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x128xf16>, tensor<128x256xf16>) -> tensor<256x256xf16>
    return %0 : tensor<256x256xf16>
  }
}
