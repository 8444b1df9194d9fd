// Workgroup buffers become NVVM shared memory (tw-workgroup-memory, target/nvvm/memory.py): the
// 32x32 tile a block's threads write and read back is a 16-byte aligned global in address space 3
// of the kernel module, the two thread foralls are separated by a barrier, and the host side has
// no trace of the buffer (its launch passes only A and B).
//
// RUN: %tilewright-opt %S/Inputs/shared-memory.mlir -p 'builtin.module(tw-gpu-map)' | FileCheck %s --check-prefix=MAP
// RUN: %tilewright-opt %S/Inputs/shared-memory.mlir -p 'builtin.module(tw-gpu-map,tw-gpu-outline)' | FileCheck %s --check-prefix=OUTLINE
// RUN: %tilewright-opt %S/Inputs/shared-memory.mlir -p 'builtin.module(tw-lower-to-nvvm{arch=sm_80})' \
// RUN:   | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright-opt %S/Inputs/shared-memory.mlir -p 'builtin.module(tw-lower-to-nvvm{arch=sm_90},gpu-module-to-binary{format=isa})' \
// RUN:   | FileCheck %s --check-prefix=PTX
// RUN: not %tilewright-opt %S/Inputs/shared-memory-errors.mlir --split-input-file -p 'builtin.module(tw-lower-to-nvvm{arch=sm_80})' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ERR

// The copy into the tile, a barrier, the reads out of it, a barrier (before the next overwrite).
// MAP:       gpu.launch
// MAP:         %[[TILE:.+]] = memref.alloc() : memref<32x32xf32, #gpu.address_space<workgroup>>
// MAP:         linalg.copy ins(%{{.+}} : memref<1x8xf32, {{.+}}>) outs(%{{.+}} : memref<1x8xf32, {{.+}}#gpu.address_space<workgroup>>)
// MAP-NEXT:    gpu.barrier
// MAP:         linalg.copy ins(%{{.+}} : memref<8x1xf32, {{.+}}#gpu.address_space<workgroup>>)
// MAP-NEXT:    gpu.barrier

// OUTLINE:     func.func @main(%[[A:.+]]: memref<64x128xf32>, %[[B:.+]]: memref<64x128xf32>)
// OUTLINE-NOT:   memref.alloc
// OUTLINE:       gpu.launch_func @kernels::@main_kernel {{.*}} args(%[[A]] : memref<64x128xf32>, %[[B]] : memref<64x128xf32>
// OUTLINE-NOT:   workgroup
// OUTLINE:     gpu.module @kernels
// OUTLINE:       memref.global "private" @main_kernel_shared_0 : memref<32x32xf32, #gpu.address_space<workgroup>> {alignment = 16 : i64}
// OUTLINE:       gpu.func @main_kernel
// OUTLINE-NOT:     memref.alloc
// OUTLINE:         memref.get_global @main_kernel_shared_0 : memref<32x32xf32, #gpu.address_space<workgroup>>
// OUTLINE-NOT:     memref.dealloc
// OUTLINE:         gpu.return

// NVVM:      gpu.module @kernels
// NVVM:        llvm.mlir.global private @main_kernel_shared_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<32 x array<32 x f32>>
// NVVM:        llvm.func @main_kernel
// NVVM:          llvm.mlir.addressof @main_kernel_shared_0 : !llvm.ptr<3>
// NVVM:          nvvm.barrier0
// NVVM:          nvvm.barrier0

// The PTX (escaped in the gpu.binary): the tile as a 4 KiB .shared array, written with 128-bit
// stores (aligned), a bar.sync, read back, a bar.sync.
// PTX:  assembly = "{{.*}}.target sm_90{{.*}}.shared .align 16 .b8 main_kernel_shared_0[4096];{{.*}}st.shared.v4.b32{{.*}}bar.sync{{.*}}ld.shared.b32{{.*}}bar.sync

// ERR: shared-memory-errors.mlir:5:10: error: kernel 'too_big_kernel' needs 65536 bytes of static shared memory (at most 49152)
// ERR: shared-memory-errors.mlir:20:10: error: a workgroup (shared) memory buffer of dynamic shape memref<?xf32, #gpu.address_space<workgroup>> in kernel 'dynamic_kernel'
// ERR: shared-memory-errors.mlir:32:8: error: a workgroup (shared) memory buffer outside any GPU kernel
