// The NVVM default schedule of an f16 matmul (256x128 * 128x256, f32 accumulation as jnp.matmul
// lowers it) on tensor cores: 128x128 block tiles, the zero fill over the block's 128x2 threads,
// a k loop of 32 whose f16 A (128x32) and B (32x128) slices all 256 threads copy into shared memory
// in 16-byte pieces, 2x4 warps of 64x32 inside it, each warp 4x4 mma.sync tiles of 16x8x16 fed
// (ldmatrix, from XOR-swizzled shared tiles) by the fused extf producers (one vector.contract per tile; tw-tensor-cores folds the extf into it,
// f16 x f16 -> f32, after outlining); the accumulators stay
// in registers across the k loop (16 fragments carried by the loop), then mma.sync in PTX for
// sm_80 and sm_90. The f32 -> f16 rounding is its own kernel.
//
// RUN: %tilewright compile %s --target nvvm --emit scheduled | FileCheck %s --check-prefix=SCHED
// RUN: %tilewright compile %s --target nvvm --emit gpu-mapped | FileCheck %s --check-prefix=MAPPED
// RUN: %tilewright compile %s --target nvvm --emit nvvm | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_80 --emit ptx | FileCheck %s --check-prefix=PTX
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90 --emit ptx | FileCheck %s --check-prefix=PTX

// SCHED-LABEL: func.func public @main
// SCHED:         scf.forall (%{{.+}}, %{{.+}}) in (2, 2)
// SCHED:           scf.forall (%{{.+}}, %{{.+}}) in (128, 2)
// SCHED:             linalg.fill
// SCHED:           } {mapping = [#gpu.thread<x>, #gpu.thread<y>]}
// SCHED:           scf.for %{{.+}} = %c0 to %c128 step %c32
// SCHED:             memref.alloc() : memref<128x32xf16, #gpu.address_space<workgroup>>
// SCHED:             scf.forall (%{{.+}}, %{{.+}}) in (64, 4)
// SCHED:               vector.transfer_read {{.*}} : tensor<256x128xf16>, vector<2x8xf16>
// SCHED:             } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// SCHED:             memref.alloc() : memref<32x128xf16, #gpu.address_space<workgroup>>
// SCHED:             scf.forall (%{{.+}}, %{{.+}}) in (16, 16)
// SCHED:             } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// SCHED:             scf.forall (%{{.+}}, %{{.+}}) in (2, 4)
// SCHED:               vector.transfer_read {{.*}} : tensor<64x32xf16>, vector<16x16xf16>
// SCHED:               arith.extf {{.*}} : vector<16x16xf16> to vector<16x16xf32>
// SCHED:               vector.transfer_read {{.*}} : tensor<32x32xf16>, vector<16x8xf16>
// SCHED:               arith.extf {{.*}} : vector<16x8xf16> to vector<16x8xf32>
// SCHED:               vector.contract {{.*}} : vector<16x16xf32>, vector<16x8xf32> into vector<16x8xf32>
// SCHED:             } {mapping = [#gpu.warp<y>, #gpu.warp<x>]}
// SCHED:         } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// SCHED:         arith.truncf

// 4 warps side by side in x (128 threads), 2 in y.
// MAPPED:        gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c2{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c2{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED-SAME:     threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c128{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c2{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED:          gpu.barrier
// MAPPED:          scf.for
// MAPPED-COUNT-16:   vector.contract {{.*}} {tw.warp_level} : vector<16x16xf32>, vector<16x8xf32> into vector<16x8xf32>
// MAPPED:            gpu.barrier
// MAPPED:        gpu.launch

// The k loop carries the 16 accumulator fragments of the warp (2 x vector<2xf32> per lane each).
// NVVM:        llvm.func @main_kernel(
// NVVM:          llvm.br ^bb{{[0-9]+}}({{[^:]*}}: i64, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>, !llvm.array<2 x vector<2xf32>>)
// NVVM:          nvvm.mma.sync {{.*}}layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 16>
// NVVM:          nvvm.barrier0
// NVVM:        llvm.func @main_kernel_0(

// PTX:       .entry main_kernel(
// PTX:       .shared .align 16 .b8 {{.*}}[8192];
// PTX:       .shared .align 16 .b8 {{.*}}[8192];
// PTX:       bar.sync 0;
// The shared tiles' addresses are swizzled (nvgpu-optimize-shared-memory) against ldmatrix's bank conflicts.
// PTX:       xor.b64
// PTX:       ld.global.nc.v4.b32
// PTX:       st.shared.v4.b32
// PTX:       bar.sync 0;
// PTX:       ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX:       ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16
// PTX:       mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX:       bar.sync 0;
// PTX:       .entry main_kernel_0(
// PTX-NOT:   mma.sync
// The f32 -> f16 cast: eight halves per thread (elementwise.py), converted in pairs.
// PTX:       cvt.rn.f16x2.f32

module @jit_matmul {
  func.func public @main(%arg0: tensor<256x128xf16>, %arg1: tensor<128x256xf16>) -> tensor<256x256xf16> {
    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0], precision = [DEFAULT, DEFAULT] : (tensor<256x128xf16>, tensor<128x256xf16>) -> tensor<256x256xf16>
    return %0 : tensor<256x256xf16>
  }
}
