// The NVVM target's pipelines in tilewright-opt, on a hand-tiled bufferized payload (2x4 blocks of
// 32x4 threads): tw-gpu-map makes the launch, tw-lower-to-nvvm outlines and lowers the kernel.
//
// RUN: %tilewright-opt %S/Inputs/foralls.mlir -p 'builtin.module(tw-gpu-map)' | FileCheck %s --check-prefix=MAP
// RUN: %tilewright-opt %S/Inputs/foralls.mlir -p 'builtin.module(tw-lower-to-nvvm{arch=sm_90})' \
// RUN:   | FileCheck %s --check-prefix=NVVM
// RUN: not %tilewright-opt %S/Inputs/foralls.mlir -p 'builtin.module(tw-lower-to-nvvm{arch=sm_75})' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ARCH

// MAP-LABEL: func.func @main
// MAP-NOT:     scf.forall
// MAP:         gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c4{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c2{{[_0-9]*}},
// MAP-SAME:      threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c32{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c4{{[_0-9]*}},
// MAP:           linalg.copy
// MAP-NOT:     scf.forall

// NVVM:      module attributes {gpu.container_module}
// NVVM:        gpu.launch_func  @kernels::@main_kernel blocks in (%{{.+}}, %{{.+}}, %{{.+}}) threads in
// NVVM-SAME:     args(%arg0 : memref<64x128xf32>, %arg1 : memref<64x128xf32>
// NVVM:        gpu.module @kernels [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// NVVM:          llvm.func @main_kernel(%{{.+}}: !llvm.ptr {llvm.align = 16 : i64, llvm.noalias}, %{{.+}}: !llvm.ptr {llvm.align = 16 : i64, llvm.noalias}
// NVVM-SAME:       nvvm.kernel, nvvm.maxntid = array<i32: 32, 4, 1>

// ARCH: unknown GPU arch 'sm_75' (known: sm_80, sm_90, sm_90a)
