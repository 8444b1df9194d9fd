# More structured builders: img2col, flatten_elementwise, bufferize_to_allocation, transpose_matmul,
# hoist_pad (operand packing), scalarize, eliminate_empty_tensors.
#
# RUN: %python %s conv > %t.conv.mlir && FileCheck %s --check-prefix=CONV-SCRIPT < %t.conv.mlir
# RUN: %tilewright-opt %inputs/schedule/conv-add.mlir --transform-script %t.conv.mlir | FileCheck %s --check-prefix=CONV
# RUN: %python %s transpose > %t.transpose.mlir && FileCheck %s --check-prefix=TR-SCRIPT < %t.transpose.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.transpose.mlir \
# RUN:   | FileCheck %s --check-prefix=TR
# RUN: %python %s hoist_pad > %t.hoist.mlir && FileCheck %s --check-prefix=HP-SCRIPT < %t.hoist.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.hoist.mlir | FileCheck %s --check-prefix=HP
# RUN: %python %s scalarize > %t.scalarize.mlir && FileCheck %s --check-prefix=SC-SCRIPT < %t.scalarize.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.scalarize.mlir \
# RUN:   | FileCheck %s --check-prefix=SC
# RUN: %python %s empty > %t.empty.mlir && FileCheck %s --check-prefix=EMPTY-SCRIPT < %t.empty.mlir
# RUN: %tilewright-opt %inputs/schedule/empty-insert.mlir --transform-script %t.empty.mlir \
# RUN:   | FileCheck %s --check-prefix=EMPTY

# CONV-SCRIPT: %img2col_tensor, %transformed = transform.structured.convert_conv2d_to_img2col
# CONV-SCRIPT: transform.structured.flatten_elementwise
# CONV-SCRIPT: %allocated_buffer, %new_ops = transform.structured.bufferize_to_allocation
# CONV-LABEL: func.func @main
# CONV: %[[BUF:.+]] = memref.alloc() : memref<1x7x7x5xf32>
# CONV: linalg.fill ins(%{{.+}} : f32) outs(%[[BUF]] : memref<1x7x7x5xf32>)
# CONV: tensor.collapse_shape %arg1 {{.*}} into tensor<27x5xf32>
# CONV: linalg.generic {{.*}} ins(%arg0 : tensor<1x9x9x3xf32>) outs(%{{.+}} : tensor<1x49x27xf32>)
# CONV: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
# CONV-SAME: ins(%{{.+}}, %{{.+}} : tensor<1x49x27xf32>, tensor<27x5xf32>)
# CONV: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.+}}, %{{.+}} : tensor<245xf32>, tensor<245xf32>)

# TR-SCRIPT: transform.structured.transpose_matmul %{{.+}}<rhs>
# TR-LABEL: func.func @main
# TR: linalg.transpose ins(%arg1 : tensor<7x33xf32>) outs(%{{.+}} : tensor<33x7xf32>) permutation = [1, 0]
# TR: linalg.matmul indexing_maps = [{{.+}}] ins(%arg0, %{{.+}} : tensor<97x7xf32>, tensor<33x7xf32>)

# HP-SCRIPT: %padded, %pad, %copy = transform.structured.pad
# HP-SCRIPT: %[[P:.+]]:3 = transform.split_handle %pad
# HP-SCRIPT: transform.structured.hoist_pad %[[P]]#1 by 1 loops
# B's padded 4x16 tiles are packed before the k loop into a tensor<?x4x16xf32> and read from it inside.
# HP-LABEL: func.func @main
# HP: scf.for {{.*}} -> (tensor<?x4x16xf32>)
# HP:   tensor.pad %{{.+}} nofold
# HP:   tensor.insert_slice %{{.+}} into %{{.+}}[%{{.+}}, 0, 0] [1, 4, 16] [1, 1, 1]
# HP-SAME: : tensor<4x16xf32> into tensor<?x4x16xf32>
# HP: scf.for
# HP:   %[[B:.+]] = tensor.extract_slice %{{.+}}[%{{.+}}, 0, 0] [1, 4, 16] [1, 1, 1]
# HP-SAME: : tensor<?x4x16xf32> to tensor<4x16xf32>
# HP:   linalg.matmul ins(%{{.+}}, %[[B]] : tensor<8x4xf32>, tensor<4x16xf32>)

# SC-SCRIPT: transform.structured.scalarize
# The dynamic row dimension of the partial 8-row tiles is tiled by 1.
# SC-LABEL: func.func @main
# SC: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
# SC:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1
# SC:     linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<1x7xf32>, tensor<7x33xf32>) outs(%{{.+}} : tensor<1x33xf32>)

# EMPTY-SCRIPT: transform.bufferization.eliminate_empty_tensors
# The fill writes into the slice of the destination it is inserted into, not into a fresh tensor.
# EMPTY-LABEL: func.func @main
# EMPTY: %[[SLICE:.+]] = tensor.extract_slice %arg0[2, 0] [4, 16] [1, 1]
# EMPTY: %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[SLICE]] : tensor<4x16xf32>)
# EMPTY: tensor.insert_slice %[[F]] into %arg0[2, 0] [4, 16] [1, 1]

import sys

from tilewright.schedule import Schedule


def conv() -> Schedule:
    s = Schedule("conv")
    s.match("linalg.conv_2d_nhwc_hwcf").img2col()
    s.match("linalg.generic", elementwise=True).flatten_elementwise()
    s.match("linalg.fill").bufferize_to_allocation()
    return s


def transpose() -> Schedule:
    s = Schedule("transpose")
    s.match("linalg.matmul").transpose_matmul("rhs")
    return s


def hoist_pad() -> Schedule:
    s = Schedule("hoist-pad")
    tiled, _ = s.match("linalg.matmul").tile([8, 16, 0])
    tiled, _ = tiled.tile([0, 0, 4])
    _, pads, _ = tiled.pad(padding_dimensions=[0, 1, 2], pad_to_multiple_of=[8, 16, 4], nofold=[True, True, False])
    pads.split(3)[1].hoist_pad(1)  # B's pad, out of the k loop
    return s


def scalarize() -> Schedule:
    s = Schedule("scalarize")
    tiled, _ = s.match("linalg.matmul").tile([8, 0, 0])
    tiled.scalarize()
    return s


def empty() -> Schedule:
    s = Schedule("empty")
    s.match("func.func").eliminate_empty_tensors()
    return s


if __name__ == "__main__":
    print(globals()[sys.argv[1]]())
