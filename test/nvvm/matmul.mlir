// The NVVM default schedule of an f32 matmul at odd sizes (97x131 * 131x77, schedule/nvvm/matmul.py):
// too small for a wave of 128x128 blocks, so 32x32 tiles with 4x4 per thread (8x8 threads); the
// operands zero-padded to whole tiles (128x144, 144x96: fill + copy kernels), then per block a k
// loop of 16-deep slices whose A and B tiles all threads copy into shared memory (128-bit loads),
// the zero fill fused, each thread's 4x4 accumulators in registers across the loop (FMAs), the
// padded result's slice copied out.
//
// RUN: %tilewright compile %s --target nvvm --emit scheduled | FileCheck %s --check-prefix=SCHED
// RUN: %tilewright compile %s --target nvvm --emit gpu-mapped | FileCheck %s --check-prefix=MAPPED
// RUN: %tilewright compile %s --target nvvm --emit nvvm | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_80 --emit ptx | FileCheck %s --check-prefixes=PTX,SM80
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90 --emit ptx | FileCheck %s --check-prefixes=PTX,SM90
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90a --emit ptx | FileCheck %s --check-prefixes=PTX,SM90A
// RUN: rm -rf %t.dump && %tilewright compile %s --target nvvm --emit cubin -o %t.cubin --dump-dir %t.dump \
// RUN:   && ls %t.dump | FileCheck %s --check-prefix=DUMP

// SCHED-LABEL: func.func @main
// SCHED:         tensor.pad %{{.+}} low[0, 0] high[31, 13]
// SCHED:         tensor.pad %{{.+}} low[0, 0] high[13, 19]
// SCHED:         scf.forall (%{{.+}}, %{{.+}}) in (4, 3) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<128x96xf32>)
// The fill, each thread its 4x4 zeros.
// SCHED:           scf.forall (%{{.+}}, %{{.+}}) in (8, 8)
// SCHED:             vector.transfer_write %{{.+}} : vector<4x4xf32>, tensor<4x4xf32>
// SCHED:           } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// SCHED:           scf.for %{{.+}} = %c0 to %c144 step %c16
// SCHED:             memref.alloc() : memref<32x16xf32, #gpu.address_space<workgroup>>
// SCHED:             scf.forall (%{{.+}}, %{{.+}}) in (16, 4)
// SCHED:               vector.transfer_read %{{.+}} : tensor<128x144xf32>, vector<2x4xf32>
// SCHED:             } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// SCHED:             memref.alloc() : memref<16x32xf32, #gpu.address_space<workgroup>>
// SCHED:             scf.forall (%{{.+}}, %{{.+}}) in (8, 8)
// SCHED:               vector.transfer_read %{{.+}} : tensor<144x96xf32>, vector<2x4xf32>
// SCHED:             } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// SCHED:             scf.forall (%{{.+}}, %{{.+}}) in (8, 8)
// SCHED:               vector.transfer_read %{{.+}} : tensor<4x16xf32>, vector<4x16xf32>
// SCHED:               vector.transfer_read %{{.+}} : tensor<16x4xf32>, vector<16x4xf32>
// SCHED-NOT:           vector.contract
// SCHED:               vector.fma
// SCHED:             } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// SCHED:           } {tw.accumulate}
// SCHED:         } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// SCHED:         tensor.extract_slice %{{.+}}[0, 0] [97, 77] [1, 1] : tensor<128x96xf32> to tensor<97x77xf32>

// The matmul's launch: 3x4 blocks of 8x8 threads; a barrier after each cooperative copy and after
// the slice's products (before the next slice overwrites the tiles).
// MAPPED-LABEL: func.func @main
// MAPPED:        gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c3{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c4{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED-SAME:     threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c8{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c8{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED:          scf.for
// MAPPED:            memref.alloc() : memref<32x16xf32, #gpu.address_space<workgroup>>
// MAPPED:            vector.transfer_write {{.+}} : vector<2x4xf32>, memref<2x4xf32, strided<[16, 1], offset: ?>, #gpu.address_space<workgroup>>
// MAPPED-NEXT:       gpu.barrier
// MAPPED:            vector.transfer_write {{.+}} : vector<2x4xf32>, memref<2x4xf32, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>
// MAPPED-NEXT:       gpu.barrier
// MAPPED:            vector.fma
// MAPPED:            gpu.barrier
// MAPPED:          } {tw.accumulate}

// NVVM:      module attributes {gpu.container_module}
// NVVM:        func.func @main(%[[A:.+]]: memref<97x131xf32>, %[[B:.+]]: memref<131x77xf32>, %[[C:.+]]: memref<97x77xf32>)
// NVVM-COUNT-4: gpu.launch_func
// NVVM:          gpu.launch_func  @kernels::@main_kernel_3 blocks in (%c3, %c4, %c1) threads in (%c8, %c8, %c1) args(%{{.+}} : memref<128x96xf32>, %{{.+}} : memref<128x144xf32>, %{{.+}} : memref<144x96xf32>)
// NVVM:          gpu.launch_func  @kernels::@main_kernel_4 {{.*}} args(%{{.+}} : memref<97x77xf32, strided<[96, 1]>>, %[[C]] : memref<97x77xf32>)
// NVVM-NOT:      gpu.launch_func
// NVVM:        gpu.module @kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">]
// NVVM:          llvm.mlir.global private @main_kernel_3_shared_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<32 x array<16 x f32>>
// NVVM:          llvm.mlir.global private @main_kernel_3_shared_1() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<16 x array<32 x f32>>
// The buffers are distinct and aligned: loads through the read-only cache, 128 bits wide.
// NVVM:          llvm.func @main_kernel_3(%{{.+}}: !llvm.ptr {llvm.align = 16 : i64, llvm.noalias}, %{{.+}}: !llvm.ptr {llvm.align = 16 : i64, llvm.noalias}, %{{.+}}: !llvm.ptr {llvm.align = 16 : i64, llvm.noalias})

// PTX:        .version 8.0
// SM80:       .target sm_80
// SM90:       .target sm_90{{$}}
// SM90A:      .target sm_90a
// PTX:        .visible .entry main_kernel_3(
// PTX:        .maxntid 8, 8, 1
// PTX:          .shared .align 16 .b8 main_kernel_3_shared_0[2048];
// PTX:          .shared .align 16 .b8 main_kernel_3_shared_1[2048];
// The zero fill, then the k loop: 128-bit global loads into shared memory (A's and B's copies with
// no barrier between them: tw-workgroup-memory drops it), a barrier, 128-bit shared loads of the
// fragments, FMAs, no load or store of C in the loop, a barrier before the next slice.
// PTX:          bar.sync 0;
// PTX:        [[LOOP:\$L__BB[0-9_]+]]:
// PTX-NEXT:     ld.global.nc.v4.b32
// PTX:          st.shared.v4.b32
// PTX-NOT:      bar.sync
// PTX:          ld.global.nc.v4.b32
// PTX:          st.shared.v4.b32
// PTX:          bar.sync 0;
// PTX-NOT:      {{(ld|st).global}}
// PTX:          ld.shared.v4.b32
// PTX-NOT:      {{(ld|st).global}}
// PTX:          fma.rn.f32
// PTX-NOT:      {{(ld|st).global}}
// PTX:          bar.sync 0;
// PTX-NOT:      {{(ld|st).global}}
// PTX:          @%p{{[0-9]+}} bra [[LOOP]];
// PTX-COUNT-4:  st.global.v4.b32
// PTX-NEXT:     ret;

// DUMP:      00-linalg.mlir
// DUMP-NEXT: 01-scheduled.mlir
// DUMP-NEXT: 01-scheduled.transform.mlir
// DUMP-NEXT: 02-bufferized.mlir
// DUMP-NEXT: 03-gpu-mapped.mlir
// DUMP-NEXT: 04-nvvm.mlir
// DUMP-NEXT: 05-ptx.ptx
// DUMP-NEXT: 06-cubin.cubin

func.func @main(%a: tensor<97x131xf32>, %b: tensor<131x77xf32>) -> tensor<97x77xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<97x77xf32>
  %f = linalg.fill ins(%c0 : f32) outs(%e : tensor<97x77xf32>) -> tensor<97x77xf32>
  %r = linalg.matmul ins(%a, %b : tensor<97x131xf32>, tensor<131x77xf32>) outs(%f : tensor<97x77xf32>) -> tensor<97x77xf32>
  return %r : tensor<97x77xf32>
}
