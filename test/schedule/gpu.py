# GPU and NVGPU builders (transform.gpu.*, transform.nvgpu.*) on bufferized payloads.
#
# RUN: %python %s map > %t.map.mlir && FileCheck %s --check-prefix=MAP-SCRIPT < %t.map.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/foralls.mlir --transform-script %t.map.mlir | FileCheck %s --check-prefix=MAP
# RUN: %python %s mma > %t.mma.mlir && FileCheck %s --check-prefix=MMA-SCRIPT < %t.mma.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/mma.mlir --transform-script %t.mma.mlir | FileCheck %s --check-prefix=MMA

# MAP-SCRIPT: %[[F:.+]] = transform.structured.match ops{["func.func"]}
# MAP-SCRIPT: %[[L:.+]] = transform.gpu.map_forall_to_blocks %[[F]] generate_gpu_launch
# MAP-SCRIPT: transform.gpu.map_nested_forall_to_threads %[[L]] block_dims = [32, 4, 1]
# The 2x4 block forall (y, x) becomes a 4x2 grid, the 32x4 thread forall a 32x4 block.
# MAP-LABEL: func.func @main
# MAP:       gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c4{{[_0-9]*}},
# MAP-SAME:    %{{[a-z0-9_]+}} = %c2{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
# MAP-SAME:    threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c32{{[_0-9]*}},
# MAP-SAME:    %{{[a-z0-9_]+}} = %c4{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c1{{[_0-9]*}})
# MAP:         gpu.block_id  x
# MAP:         gpu.thread_id  x
# MAP:         linalg.copy
# MAP-NOT:   scf.forall

# MMA-SCRIPT: transform.nvgpu.rewrite_matmul_as_mma_sync %{{.+}} : (!transform.any_op) -> ()
# MMA-LABEL: func.func @main
# MMA:       gpu.launch
# MMA:         nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]}
# MMA-SAME:      : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>
# MMA-NOT:     linalg.matmul

import sys

from tilewright.schedule import Schedule


def map_() -> Schedule:
    s = Schedule("map")
    launch = s.match("func.func").map_forall_to_blocks(generate_gpu_launch=True)
    launch.map_nested_forall_to_threads([32, 4, 1])
    return s


def mma() -> Schedule:
    s = Schedule("mma")
    s.match("linalg.matmul").rewrite_matmul_as_mma_sync()
    return s


if __name__ == "__main__":
    print({"map": map_, "mma": mma}[sys.argv[1]]().to_mlir())
