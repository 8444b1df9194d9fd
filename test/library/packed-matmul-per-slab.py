# The packed matmul of the CPU library when B is the larger operand (the MLP's layers: few rows,
# wide weights), AVX-512 tiles, on 97x512 @ 512x1024: B is packed one kc x nc block per K slab,
# inside the slab loop, right before the kernels read it, instead of whole before them.
#
# RUN: %python %s > %t.transform.mlir && FileCheck %s --check-prefix=SCRIPT < %t.transform.mlir
# RUN: %tilewright-opt %S/Inputs/matmul-97x512x1024.mlir --transform-script %s | FileCheck %s --check-prefix=PAYLOAD
# The library emits only upstream transform ops: stock mlir-opt runs the script unchanged.
# RUN: %mlir-opt %S/Inputs/matmul-97x512x1024.mlir \
# RUN:   --transform-preload-library=transform-library-paths=%t.transform.mlir --transform-interpreter \
# RUN:   | FileCheck %s --check-prefix=PAYLOAD
# RUN: %tilewright run %S/Inputs/matmul-97x512x1024.mlir --schedule %s --threads 1 --random-inputs \
# RUN:   | FileCheck %s --check-prefix=EXEC
# With two threads, four column blocks of 256 (the forall's four tasks); C's pack, the fill and B's pack
# (twice: into the forall, then the slab loop) are fused.
# RUN: %python %s 2 | FileCheck %s --check-prefix=THREADS

# The forall takes column blocks only (all 13 row panels per task); the pack of B is fused into it,
# then into the K-slab loop; inside the slab, blocks of 13 row panels; B's pack is vectorized one
# row of B at a time, 4 panels of 32 per vector tile (k loop outermost).
# SCRIPT-LABEL: transform.named_sequence @__transform_main
# SCRIPT:         %[[P:.+]] = transform.structured.pack %{{.+}} packed_sizes = [8, 32, 0]
# SCRIPT:         %[[MM:.+]], %[[PB:.+]], %{{.+}} = transform.structured.pack_transpose
# SCRIPT:         %{{.+}}, %[[F:.+]] = transform.structured.tile_using_forall %[[MM]] tile_sizes [0, 16]
# SCRIPT:         %{{.+}}, %[[SLAB:.+]] = transform.structured.tile_using_for %{{.+}} tile_sizes [0, 0, 256]
# SCRIPT:         %[[PB1:.+]], %{{.+}} = transform.structured.fuse_into_containing_op %[[PB]] into
# SCRIPT:         %[[PB2:.+]], %{{.+}} = transform.structured.fuse_into_containing_op %[[PB1]] into %[[SLAB]]
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [13, 0, 0]
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [0, 1, 0]
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [1, 0, 0]
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [0, 0, 1]
# SCRIPT:         %[[PBT:.+]], %{{.+}} = transform.structured.tile_using_for %[[PB2]] tile_sizes [4, 1]
# SCRIPT-SAME:      interchange = [1, 0]
# SCRIPT:         transform.structured.vectorize %[[PBT]] vector_sizes [4, 1, 32]

# THREADS:       transform.structured.tile_using_forall %{{.+}} tile_sizes [0, 8]
# THREADS-COUNT-4: transform.structured.fuse_into_containing_op

# PAYLOAD-LABEL: func.func @main
# PAYLOAD-NOT:     linalg.
# PAYLOAD:         %[[A:.+]] = scf.for {{.*}} -> (tensor<13x512x8xf32>)
# No whole packed B before the kernels: its blocks are packed in the slab loop below.
# PAYLOAD-NOT:     -> (tensor<32x512x32xf32>)
# PAYLOAD:         scf.forall ({{.+}}) in (2) shared_outs({{.+}}) -> (tensor<13x32x8x32xf32>)
# PAYLOAD:           scf.for %{{.+}} = %c0 to %c512 step %c256
# One row of the block of B: 4 panels of 32 read contiguously from B, written to 4 panels.
# PAYLOAD:             %[[BB:.+]] = scf.for %{{.+}} = %c0 to %c256 step %c1 {{.*}} -> (tensor<16x256x32xf32>)
# PAYLOAD:               scf.for %{{.+}} = %c0 to %c16 step %c4
# PAYLOAD:                 vector.transfer_read %arg1{{.+}} : tensor<512x1024xf32>, vector<128xf32>
# PAYLOAD:                 vector.transfer_write {{.+}} : vector<4x1x32xf32>, tensor<16x256x32xf32>
# The microkernel reads the block just packed: 8 FMAs of 32 lanes per k.
# PAYLOAD:             scf.for %{{.+}} = %c0 to %c16 step %c1
# PAYLOAD:               scf.for {{.*}} -> (vector<8x32xf32>)
# PAYLOAD:                 vector.transfer_read %[[A]]{{.+}} : tensor<13x512x8xf32>, vector<8xf32>
# PAYLOAD:                 vector.transfer_read %[[BB]]{{.+}} : tensor<16x256x32xf32>, vector<32xf32>
# PAYLOAD-COUNT-8:         vector.fma {{.*}} : vector<32xf32>
# PAYLOAD:         scf.forall.in_parallel
# PAYLOAD-NOT:     linalg.
# PAYLOAD:         return

# EXEC: result0: float32[97, 1024]

from tilewright.schedule import Schedule
from tilewright.schedule.cpu import AVX512, vectorize
from tilewright.schedule.cpu.matmul import schedule_contraction


def schedule(info: object, threads: int = 1) -> Schedule:
    s = Schedule("packed-matmul-per-slab")
    mm, fill = s.match("linalg.matmul"), s.match("linalg.fill")
    schedule_contraction(s, mm, 97, 1024, 512, fill=fill, cfg=AVX512, threads=threads)
    vectorize(s, s.match("func.func"))
    return s


if __name__ == "__main__":
    import sys

    print(schedule(None, threads=int(sys.argv[1]) if len(sys.argv) > 1 else 1))
