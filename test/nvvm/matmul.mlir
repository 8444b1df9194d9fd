// The NVVM default schedule of an f32 matmul at odd sizes (97x131 * 131x77): 64x64 output tiles
// per block (a 2x2 grid, partial tiles at the edges), 16x16 threads of 4x4 outputs each, the zero
// fill fused into the same kernel; then one launch, one kernel in @kernels, PTX for each arch.
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
// SCHED:         scf.forall (%{{.+}}, %{{.+}}) in (2, 2)
// SCHED:           scf.forall (%{{.+}}, %{{.+}}) in (16, 16)
// SCHED:             linalg.fill
// SCHED-NEXT:        linalg.matmul
// SCHED:           } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// SCHED:         } {mapping = [#gpu.block<y>, #gpu.block<x>]}

// MAPPED-LABEL: func.func @main
// MAPPED:        gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c2{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c2{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED-SAME:     threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
// MAPPED:          gpu.block_id  y
// MAPPED:          gpu.thread_id  x
// MAPPED:          linalg.matmul
// MAPPED-NOT:    gpu.launch
// MAPPED:        return

// NVVM:      module attributes {gpu.container_module}
// NVVM:        func.func @main(%[[A:.+]]: memref<97x131xf32>, %[[B:.+]]: memref<131x77xf32>, %[[C:.+]]: memref<97x77xf32>)
// NVVM:          gpu.launch_func  @kernels::@main_kernel blocks in ({{.*}}) threads in ({{.*}}) args(%[[A]] : memref<97x131xf32>, %[[B]] : memref<131x77xf32>, %[[C]] : memref<97x77xf32>
// NVVM-NOT:      gpu.launch_func
// NVVM:        gpu.module @kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">]
// The three buffers are distinct: their kernel parameters are noalias.
// NVVM:          llvm.func @main_kernel(%{{.+}}: !llvm.ptr {llvm.noalias}, %{{.+}}: !llvm.ptr {llvm.noalias}, %{{.+}}: !llvm.ptr {llvm.noalias}
// NVVM-SAME:       gpu.kernel
// NVVM:          nvvm.read.ptx.sreg.ctaid.x
// NVVM:          nvvm.read.ptx.sreg.tid.x
// NVVM:          llvm.fmul
// NVVM:          llvm.fadd

// PTX:        .version 8.0
// SM80:       .target sm_80
// SM90:       .target sm_90{{$}}
// SM90A:      .target sm_90a
// PTX:        .visible .entry main_kernel(
// PTX-NEXT:     .param .u64 .ptr .align 1 main_kernel_param_0,
// PTX:        .maxntid 16, 16, 1
// With noalias, the k loop reads A and B through the read-only cache and keeps the accumulator in
// a register (no store to C inside the loop); contraction makes the multiply-add one FMA.
// PTX:          ld.global.nc.b32
// PTX-NEXT:     ld.global.nc.b32
// PTX-NEXT:     fma.rn.f32
// PTX-NOT:      st.global
// PTX:          @%p{{[0-9]+}} bra
// PTX-NEXT:     st.global.b32

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
