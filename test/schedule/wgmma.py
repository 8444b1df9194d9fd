# The schedule API's builder of transform.tw.rewrite_matmul_as_wgmma (C++ extension): the f16
# matmul of a 128-thread launch becomes two wgmma.mma_async m64n24k16 on operands staged in
# shared memory. The emitted script runs in tilewright-opt and in stock mlir-opt with the plugin.
#
# REQUIRES: tw-extension
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %inputs/schedule/wgmma.mlir --transform-script %t.mlir | FileCheck %s
# RUN: %mlir-opt --load-dialect-plugin=%tw-plugin %inputs/schedule/wgmma.mlir \
# RUN:   --transform-preload-library=transform-library-paths=%t.mlir --transform-interpreter | FileCheck %s
#
# The f32 matmul instead: the error names the target at the schedule's line.
# RUN: %python %s wrong > %t.wrong.mlir
# RUN: not %tilewright-opt %inputs/schedule/wgmma.mlir --transform-script %t.wrong.mlir 2>&1 \
# RUN:   | FileCheck %s --check-prefix=WRONG

# SCRIPT: %[[MM:.+]] = transform.structured.match ops{["linalg.matmul"]}
# SCRIPT: %[[S:.+]]:2 = transform.split_handle %[[MM]]
# SCRIPT: transform.tw.rewrite_matmul_as_wgmma %[[S]]#0 : !transform.any_op

# CHECK-LABEL: func.func @main
# CHECK:       gpu.launch
# CHECK:         memref.alloc() {alignment = 16 : i64} : memref<8x4x8x8xf16, #gpu.address_space<workgroup>>
# CHECK:         memref.alloc() {alignment = 16 : i64} : memref<3x4x8x8xf16, #gpu.address_space<workgroup>>
# CHECK:         nvvm.wgmma.fence.aligned
# CHECK:         nvvm.wgmma.mma_async {{.*}} <m = 64, n = 24, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>]
# CHECK:         nvvm.wgmma.mma_async {{.*}} <m = 64, n = 24, k = 16>
# CHECK-NOT:     nvvm.wgmma.mma_async
# CHECK:         nvvm.wgmma.wait.group.sync.aligned 0
# CHECK-NOT:     linalg.matmul ins({{.*}}xf16>
# CHECK:         linalg.matmul ins({{.*}} : memref<64x32xf32>, memref<32x24xf32>)

# WRONG: error: transform.tw.rewrite_matmul_as_wgmma: expects f16 or bf16 A and B of one type and an f32 C
# WRONG: note: target: linalg.matmul

import sys

from tilewright.schedule import Schedule


def rewritten(which: int) -> Schedule:
    s = Schedule("wgmma")
    matmuls = s.match("linalg.matmul").split(2)
    matmuls[which].rewrite_matmul_as_wgmma()
    return s


if __name__ == "__main__":
    print(rewritten(1 if sys.argv[1:] == ["wrong"] else 0))
