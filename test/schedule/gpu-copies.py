# Builders for staging a tile in GPU shared memory (what the NVVM library's SIMT matmul does with
# each k slice): map_copy_to_threads splits a copy over a block's threads in 128-bit pieces,
# bufferize_to_allocation(bufferize_destination_only, memory_space=workgroup) gives the forall's
# destination a workgroup buffer, insert_slice_to_copy makes each thread's write a linalg.copy,
# which vectorizes (a plain insert would bufferize to memref.copy).
#
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %S/../nvvm/Inputs/copy-to-shared.mlir --transform-script %t.mlir | FileCheck %s

# SCRIPT: %[[FORALL:[a-z_0-9]+]], %{{[a-z_0-9]+}} = transform.structured.gpu.map_copy_to_threads %{{[0-9]+}}
# SCRIPT-SAME: total_num_threads = 128 desired_bit_alignment = 128
# SCRIPT: transform.structured.bufferize_to_allocation %[[FORALL]]
# SCRIPT-SAME: {bufferize_destination_only, memory_space = #gpu.address_space<workgroup>}
# SCRIPT: %[[INSERT:[0-9]+]] = transform.structured.match ops{["tensor.parallel_insert_slice"]} in %[[FORALL]]
# SCRIPT: %[[COPY:[0-9]+]] = transform.structured.insert_slice_to_copy %[[INSERT]]
# SCRIPT: transform.structured.vectorize %[[COPY]]

# 64x32 floats = 512 pieces of 4 over 128 threads: each thread reads and writes 4 rows of 4.
# CHECK-LABEL: func.func @stage
# CHECK:         %[[BUF:.+]] = memref.alloc() : memref<64x32xf32, #gpu.address_space<workgroup>>
# CHECK:         %[[T:.+]] = bufferization.to_tensor %[[BUF]] restrict writable
# CHECK:         scf.forall (%{{.+}}, %{{.+}}) in (16, 8) shared_outs(%{{.+}} = %[[T]])
# CHECK:           vector.transfer_read %{{.+}} : tensor<4x4xf32>, vector<4x4xf32>
# CHECK:           vector.transfer_write %{{.+}} : vector<4x4xf32>, tensor<4x4xf32>
# CHECK:           tensor.parallel_insert_slice
# CHECK:         } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}

from tilewright.schedule import Schedule


def stage() -> Schedule:
    s = Schedule("stage")
    forall, _ = s.match("linalg.copy").map_copy_to_threads(total_num_threads=128, desired_bit_alignment=128)
    forall.bufferize_to_allocation(memory_space="#gpu.address_space<workgroup>", bufferize_destination_only=True)
    forall.match("tensor.parallel_insert_slice").insert_slice_to_copy().vectorize()
    return s


if __name__ == "__main__":
    print(stage().to_mlir())
