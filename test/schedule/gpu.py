# GPU and NVGPU builders (transform.gpu.*, transform.nvgpu.*) on bufferized payloads: mapping to
# blocks and threads, mma.sync, cp.async groups, shared-memory copy pipelining, TMA loads.
#
# RUN: %python %s map > %t.map.mlir && FileCheck %s --check-prefix=MAP-SCRIPT < %t.map.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/foralls.mlir --transform-script %t.map.mlir | FileCheck %s --check-prefix=MAP
# RUN: %python %s mma > %t.mma.mlir && FileCheck %s --check-prefix=MMA-SCRIPT < %t.mma.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/mma.mlir --transform-script %t.mma.mlir | FileCheck %s --check-prefix=MMA
# RUN: %python %s async > %t.async.mlir && FileCheck %s --check-prefix=ASYNC-SCRIPT < %t.async.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/async-copies.mlir --transform-script %t.async.mlir \
# RUN:   | FileCheck %s --check-prefix=ASYNC
# RUN: %python %s pipeline > %t.pipeline.mlir && FileCheck %s --check-prefix=PIPE-SCRIPT < %t.pipeline.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/async-copies.mlir --transform-script %t.pipeline.mlir \
# RUN:   | FileCheck %s --check-prefix=PIPE
# RUN: %python %s tma > %t.tma.mlir && FileCheck %s --check-prefix=TMA-SCRIPT < %t.tma.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/tma.mlir --transform-script %t.tma.mlir | FileCheck %s --check-prefix=TMA

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

# ASYNC-SCRIPT: transform.nvgpu.create_async_groups %{{.+}} {bypass_l1} : (!transform.any_op) -> !transform.any_op
# The global -> shared vector copy becomes cp.async of 4 floats in a group waited for.
# ASYNC-LABEL: func.func @copy
# ASYNC:       %[[CP:.+]] = nvgpu.device_async_copy %{{.+}}[%{{.+}}, %{{.+}}], %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}], 4
# ASYNC-SAME:    {bypassL1}
# ASYNC-SAME:    : memref<1024x1024xf32> to memref<4x32x16xf32, #gpu.address_space<workgroup>>
# ASYNC:       %[[G:.+]] = nvgpu.device_async_create_group %[[CP]]
# ASYNC:       nvgpu.device_async_wait %[[G]]
# ASYNC-NEXT:  return

# PIPE-SCRIPT: transform.nvgpu.pipeline_shared_memory_copies failures(propagate) %{{[0-9]+}}
# PIPE-SCRIPT-SAME: {depth = 2 : i64, peel_epilogue}
# Depth 2: the first two global reads before the loop, which stops two steps early and carries the
# reads in flight; each iteration stores one, reads the next.
# PIPE-LABEL: func.func @loop
# PIPE:       %[[R0:.+]] = vector.transfer_read %arg0[%{{.+}}]
# PIPE:       %[[R1:.+]] = vector.transfer_read %arg0[%{{.+}}]
# PIPE:       scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[A:.+]] = %[[R0]], %[[B:.+]] = %[[R1]])
# PIPE:         vector.transfer_write %[[A]], %{{.+}}[%{{.+}}] {in_bounds = [true]} : vector<4xf32>, memref<128xf32, 3>
# PIPE:         %[[NEXT:.+]] = vector.transfer_read %arg0
# PIPE:         scf.yield %[[B]], %[[NEXT]]

# TMA-SCRIPT: transform.nvgpu.rewrite_copy_as_tma %{{.+}} : (!transform.any_op) -> ()
# The copy becomes a TMA descriptor (made on the host), an mbarrier, an async TMA load and a wait.
# TMA-LABEL: func.func @main
# TMA:       nvgpu.tma.create.descriptor %{{.+}} box[%{{.+}}, %{{.+}}]
# TMA:       gpu.launch
# TMA:         nvgpu.mbarrier.create
# TMA:         nvgpu.tma.async.load
# TMA:         nvgpu.mbarrier.try_wait.parity
# TMA-NOT:     linalg.copy

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


def async_() -> Schedule:
    s = Schedule("async")
    s.match("func.func").create_async_groups(bypass_l1=True)
    return s


def pipeline() -> Schedule:
    s = Schedule("pipeline")
    s.match("scf.for").pipeline_shared_memory_copies(2, peel_epilogue=True)
    return s


def tma() -> Schedule:
    s = Schedule("tma")
    s.match("linalg.copy").rewrite_copy_as_tma()
    return s


if __name__ == "__main__":
    builders = {"map": map_, "mma": mma, "async": async_, "pipeline": pipeline, "tma": tma}
    print(builders[sys.argv[1]]().to_mlir())
