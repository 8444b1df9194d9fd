# Padding, packing and layout builders on a 97x7 * 7x33 matmul.
#
# RUN: %python %s pad > %t.pad.mlir && FileCheck %s --check-prefix=PAD-SCRIPT < %t.pad.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.pad.mlir | FileCheck %s --check-prefix=PAD
# RUN: %python %s pack > %t.pack.mlir && FileCheck %s --check-prefix=PACK-SCRIPT < %t.pack.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.pack.mlir | FileCheck %s --check-prefix=PACK
# RUN: %python %s greedy > %t.greedy.mlir && FileCheck %s --check-prefix=GREEDY-SCRIPT < %t.greedy.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.greedy.mlir \
# RUN:   | FileCheck %s --check-prefix=GREEDY
# RUN: %python %s layout > %t.layout.mlir && FileCheck %s --check-prefix=LAYOUT-SCRIPT < %t.layout.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.layout.mlir \
# RUN:   | FileCheck %s --check-prefix=LAYOUT

# PAD-SCRIPT: transform.structured.tile_using_for %{{.+}} tile_sizes [8, 16, 0]
# PAD-SCRIPT: %padded, %pad, %copy = transform.structured.pad %tiled_linalg_op pad_to_multiple_of [8, 16, 8]
# PAD-SCRIPT-SAME: nofold_flags = [1, 1, 0], padding_dimensions = [0, 1, 2]
# Partial 8x16 tiles are padded to full ones (k: 7 -> 8); operands A and B keep their pads (nofold).
# PAD-LABEL: func.func @main
# PAD: tensor.pad %{{.+}} nofold low[0, 0] high[%{{.+}}, 1]
# PAD: tensor.pad %{{.+}} nofold low[0, 0] high[1, %{{.+}}]
# PAD: tensor.pad %{{.+}} low[0, 0] high
# PAD: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<8x8xf32>, tensor<8x16xf32>) outs(%{{.+}} : tensor<8x16xf32>)
# PAD: tensor.extract_slice %{{.+}}[0, 0] [%{{.+}}, %{{.+}}] [1, 1] : tensor<8x16xf32> to tensor<?x?xf32>

# PACK-SCRIPT: %[[P:.+]] = transform.structured.pack %{{.+}} packed_sizes = [8, 16, 4]
# PACK-SCRIPT: transform.structured.pack_transpose %{{.+}} with_compute_op(%[[P]]) outer_perm = [1, 0]
# PACK-LABEL: func.func @main
# PACK: linalg.pack %arg0 padding_value({{.+}}) outer_dims_perm = [1, 0] inner_dims_pos = [0, 1] inner_tiles = [8, 4]
# PACK-SAME: tensor<97x7xf32> -> tensor<2x13x8x4xf32>
# PACK: linalg.pack %arg1 {{.*}} inner_tiles = [16, 4] {{.*}} -> tensor<2x3x16x4xf32>
# PACK: linalg.pack {{.*}} -> tensor<13x3x8x16xf32>
# PACK: linalg.generic
# PACK-SAME: iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel", "reduction"]
# PACK: linalg.unpack {{.*}} : tensor<13x3x8x16xf32> -> tensor<97x33xf32>

# GREEDY-SCRIPT: transform.structured.pack_greedily %{{.+}} matmul_packed_sizes = [8, 16, 4]
# GREEDY-SCRIPT-SAME: matmul_inner_dims_order = [0, 1, 2]
# GREEDY-SCRIPT: transform.structured.lower_pack %{{.+}} : (!transform.op<"linalg.pack">)
# GREEDY-SCRIPT: transform.structured.lower_unpack %{{.+}} : (!transform.op<"linalg.unpack">)
# The first pack (of A) is lowered to pad + expand_shape + transpose, the unpack to transpose + collapse + slice.
# GREEDY-LABEL: func.func @main
# GREEDY: tensor.pad %arg0 low[0, 0] high[7, 1]
# GREEDY: tensor.expand_shape {{.*}} tensor<104x8xf32> into tensor<13x8x2x4xf32>
# GREEDY: linalg.transpose {{.*}} permutation = [0, 2, 1, 3]
# GREEDY: linalg.pack %arg1
# GREEDY: linalg.generic
# GREEDY: linalg.transpose
# GREEDY: tensor.collapse_shape {{.*}} into tensor<104x48xf32>
# GREEDY: tensor.extract_slice {{.*}}[0, 0] [97, 33] [1, 1]
# GREEDY-NOT: linalg.unpack

# LAYOUT-SCRIPT: %[[G:.+]] = transform.structured.generalize %{{.+}}
# LAYOUT-SCRIPT: transform.structured.interchange %[[G]] iterator_interchange = [1, 0, 2]
# LAYOUT-SCRIPT: %[[F:.+]] = transform.structured.generalize
# LAYOUT-SCRIPT: transform.structured.specialize %[[F]]
# After interchange, loop 0 is N: A (97x7) is indexed (d1, d2).
# LAYOUT-DAG: #[[A:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
# LAYOUT-DAG: #[[B:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
# LAYOUT-LABEL: func.func @main
# LAYOUT: linalg.fill
# LAYOUT: linalg.generic {indexing_maps = [#[[A]], #[[B]], #{{.+}}],
# LAYOUT-SAME: iterator_types = ["parallel", "parallel", "reduction"]}
# LAYOUT-NOT: linalg.matmul

import sys

from tilewright.schedule import Schedule


def pad() -> Schedule:
    s = Schedule("pad")
    tiled, _ = s.match("linalg.matmul").tile([8, 16, 0])
    tiled.pad(padding_dimensions=[0, 1, 2], pad_to_multiple_of=[8, 16, 8], nofold=[True, True, False])
    return s


def pack() -> Schedule:
    s = Schedule("pack")
    packed = s.match("linalg.matmul").pack([8, 16, 4])
    pack_a = s.match("linalg.pack").split(3)[0]
    pack_a.pack_transpose(packed, outer_perm=[1, 0])
    return s


def greedy() -> Schedule:
    s = Schedule("greedy")
    s.match("linalg.matmul").pack_greedily([8, 16, 4], matmul_inner_dims_order=[0, 1, 2])
    s.match("linalg.pack").split(3)[0].lower_pack()
    s.match("linalg.unpack").lower_unpack()
    return s


def layout() -> Schedule:
    s = Schedule("layout")
    s.match("linalg.matmul").generalize().interchange([1, 0, 2])
    s.match("linalg.fill").generalize().specialize()  # round trip: still a linalg.fill
    return s


if __name__ == "__main__":
    print({"pad": pad, "pack": pack, "greedy": greedy, "layout": layout}[sys.argv[1]]())
