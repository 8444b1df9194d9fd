// transform.tw.rewrite_matmul_as_wgmma: a warpgroup's 128x16x32 f16 matmul (two
// 64-row halves, two 16-deep k steps) becomes A and B staged in shared memory as
// K-major core matrices, four wgmma.mma_async m64n16k16 and the accumulator
// fragments loaded from and stored to C. The same script runs in stock mlir-opt
// with the plugin and in tilewright-opt.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter \
// RUN:   --split-input-file %s | FileCheck %s
// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(transform-interpreter)' \
// RUN:   | FileCheck %s

// CHECK-LABEL: func.func @mm
// CHECK:       gpu.launch
// CHECK:         %[[TX:.*]] = gpu.thread_id x
// CHECK:         %[[T:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// CHECK:         %[[WG:.*]] = arith.divui
// CHECK:         %[[ID:.*]] = arith.index_castui %{{.*}} : index to i32
// A as (M/8, K/8, 8, 8) and B as (N/8, K/8, 8, 8): the core-matrix layout.
// CHECK:         %[[SA:.*]] = memref.alloc() {alignment = 16 : i64} : memref<16x4x8x8xf16, #gpu.address_space<workgroup>>
// CHECK:         %[[SB:.*]] = memref.alloc() {alignment = 16 : i64} : memref<2x4x8x8xf16, #gpu.address_space<workgroup>>
// CHECK:         llvm.inline_asm has_side_effects asm_dialect = att "bar.sync $0, 128;", "r,~{memory}" %[[ID]] : (i32) -> ()
// CHECK:         scf.for %[[E:.*]] = %[[T]] to %{{.*}} step %{{.*}} {
// CHECK:           %[[M:.*]] = arith.divui %[[E]]
// CHECK:           %[[K:.*]] = arith.remui %[[E]]
// CHECK:           %[[V:.*]] = memref.load %{{.*}}[%[[M]], %[[K]]] : memref<128x32xf16>
// CHECK:           %[[M1:.*]] = arith.divui %[[M]]
// CHECK:           %[[K1:.*]] = arith.divui %[[K]]
// CHECK:           %[[M0:.*]] = arith.remui %[[M]]
// CHECK:           %[[K0:.*]] = arith.remui %[[K]]
// CHECK:           memref.store %[[V]], %[[SA]][%[[M1]], %[[K1]], %[[M0]], %[[K0]]]
// CHECK:         scf.for %[[E:.*]] = %[[T]] to %{{.*}} step %{{.*}} {
// CHECK:           %[[KB:.*]] = arith.divui %[[E]]
// CHECK:           %[[N:.*]] = arith.remui %[[E]]
// CHECK:           %[[V:.*]] = memref.load %{{.*}}[%[[KB]], %[[N]]] : memref<32x16xf16>
// CHECK:           %[[N1:.*]] = arith.divui %[[N]]
// CHECK:           %[[KB1:.*]] = arith.divui %[[KB]]
// CHECK:           %[[N0:.*]] = arith.remui %[[N]]
// CHECK:           %[[KB0:.*]] = arith.remui %[[KB]]
// CHECK:           memref.store %[[V]], %[[SB]][%[[N1]], %[[KB1]], %[[N0]], %[[KB0]]]
// CHECK:         nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK:         llvm.inline_asm has_side_effects asm_dialect = att "bar.sync $0, 128;", "r,~{memory}" %[[ID]] : (i32) -> ()
// CHECK:         llvm.mlir.poison : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
// CHECK:         memref.load %{{.*}} : memref<128x16xf32>
// CHECK:         llvm.insertvalue
// CHECK:         memref.extract_aligned_pointer_as_index %[[SA]]
// CHECK:         memref.extract_aligned_pointer_as_index %[[SB]]
// CHECK:         nvvm.wgmma.fence.aligned
// Descriptor fields: leading byte offset 128 (>> 4 = 8, bit 16), stride byte
// offset K/8 * 128 = 512 (>> 4 = 32, bit 32), no swizzle: 0x2000080000.
// CHECK:         arith.constant 137439477760 : i64
// CHECK-COUNT-4: nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %{{.*}}, <m = 64, n = 16, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// CHECK:         nvvm.wgmma.commit.group.sync.aligned
// CHECK:         nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-COUNT-16: llvm.extractvalue
// CHECK-NOT:     linalg.matmul
// CHECK:         gpu.terminator
func.func @mm(%a: memref<128x32xf16>, %b: memref<32x16xf16>, %c: memref<128x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    linalg.matmul ins(%a, %b : memref<128x32xf16>, memref<32x16xf16>) outs(%c : memref<128x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// bf16, the widest N (128 accumulator registers per thread), one k step, in an
// outlined kernel on strided views of workgroup buffers.
// CHECK-LABEL: gpu.func @kernel
// CHECK:         memref.alloc() {alignment = 16 : i64} : memref<8x2x8x8xbf16, #gpu.address_space<workgroup>>
// CHECK:         memref.alloc() {alignment = 16 : i64} : memref<32x2x8x8xbf16, #gpu.address_space<workgroup>>
// CHECK:         memref.load %{{.*}} : memref<64x16xbf16, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK:         llvm.mlir.poison : !llvm.struct<({{(f32, )+}}f32)>
// CHECK:         nvvm.wgmma.fence.aligned
// CHECK-COUNT-1: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 256, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK-NOT:     nvvm.wgmma.mma_async
// CHECK:         nvvm.wgmma.commit.group.sync.aligned
// CHECK-NOT:     linalg.matmul
// CHECK:         gpu.return
gpu.module @kernels {
  gpu.func @kernel(%a: memref<64x16xbf16, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>,
                   %b: memref<16x256xbf16>, %c: memref<64x256xf32>) kernel {
    linalg.matmul ins(%a, %b : memref<64x16xbf16, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>, memref<16x256xbf16>)
                  outs(%c : memref<64x256xf32>)
    gpu.return
  }
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}
