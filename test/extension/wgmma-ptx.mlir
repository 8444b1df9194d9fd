// A hand-written kernel (two blocks of one warpgroup, each a 64x128 tile of C over
// K = 64 in steps of 32) rewritten by transform.tw.rewrite_matmul_as_wgmma, then
// through the NVVM target's lowering (tw-lower-to-nvvm: outlining, the staging
// buffers as .shared arrays) to sm_90a PTX. test_wgmma_layout.py has ptxas accept it.
// REQUIRES: tw-extension
// RUN: %tilewright-opt %s --transform-script %inputs/extension/wgmma-script.mlir \
// RUN:   --pass-pipeline='builtin.module(tw-lower-to-nvvm{arch=sm_90a})' | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright-opt %s --transform-script %inputs/extension/wgmma-script.mlir \
// RUN:   --pass-pipeline='builtin.module(tw-lower-to-nvvm{arch=sm_90a},gpu-module-to-binary{format=isa})' \
// RUN:   | FileCheck %s --check-prefix=PTX

// NVVM:      gpu.launch_func @kernels::@main_kernel blocks in ({{.*}}) threads in ({{.*}}) args(%{{.*}} : memref<128x128xf32>, %{{.*}} : memref<128x64xf16>, %{{.*}} : memref<64x128xf16>)
// NVVM:      gpu.module @kernels [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">]
// NVVM-DAG:  llvm.mlir.global private @main_kernel_shared_{{[0-9]}}() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<8 x array<4 x array<8 x array<8 x f16>>>>
// NVVM-DAG:  llvm.mlir.global private @main_kernel_shared_{{[0-9]}}() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<16 x array<4 x array<8 x array<8 x f16>>>>
// NVVM:      llvm.func @main_kernel
// NVVM:        nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// NVVM:        nvvm.wgmma.fence.aligned
// NVVM-COUNT-2: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// NVVM:        nvvm.wgmma.commit.group.sync.aligned
// NVVM:        nvvm.wgmma.wait.group.sync.aligned 0

// PTX: .target sm_90a
// PTX: .shared .align 16 .b8 main_kernel_shared_{{[0-9]}}[4096]
// PTX: .shared .align 16 .b8 main_kernel_shared_{{[0-9]}}[8192]
// PTX: bar.sync %r{{[0-9]+}}, 128;
// PTX: st.shared.b16
// PTX: fence.proxy.async.shared::cta;
// PTX: bar.sync %r{{[0-9]+}}, 128;
// PTX: wgmma.fence.sync.aligned
// PTX: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// PTX: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// PTX: wgmma.commit_group.sync.aligned
// PTX: wgmma.wait_group.sync.aligned {{(\\09)?}}0;

func.func @main(%a: memref<128x64xf16>, %b: memref<64x128xf16>, %c: memref<128x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    %row = arith.muli %bx, %c64 : index
    %ct = memref.subview %c[%row, 0] [64, 128] [1, 1] : memref<128x128xf32> to memref<64x128xf32, strided<[128, 1], offset: ?>>
    scf.for %k = %c0 to %c64 step %c32 {
      %at = memref.subview %a[%row, %k] [64, 32] [1, 1] : memref<128x64xf16> to memref<64x32xf16, strided<[64, 1], offset: ?>>
      %bt = memref.subview %b[%k, 0] [32, 128] [1, 1] : memref<64x128xf16> to memref<32x128xf16, strided<[128, 1], offset: ?>>
      linalg.matmul ins(%at, %bt : memref<64x32xf16, strided<[64, 1], offset: ?>>, memref<32x128xf16, strided<[128, 1], offset: ?>>)
                    outs(%ct : memref<64x128xf32, strided<[128, 1], offset: ?>>)
    }
    gpu.terminator
  }
  return
}
