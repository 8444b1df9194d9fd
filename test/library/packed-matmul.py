# The packed (BLIS-style) matmul of the CPU library, AVX2 tiles, on a 300x520x300 matmul.
#
# RUN: %python %s > %t.transform.mlir && FileCheck %s --check-prefix=SCRIPT < %t.transform.mlir
# RUN: %tilewright-opt %S/Inputs/matmul-300x520x300.mlir --transform-script %s | FileCheck %s --check-prefix=PAYLOAD
# The library emits only upstream transform ops: stock mlir-opt runs the script unchanged.
# RUN: %mlir-opt %S/Inputs/matmul-300x520x300.mlir \
# RUN:   --transform-preload-library=transform-library-paths=%t.transform.mlir --transform-interpreter \
# RUN:   | FileCheck %s --check-prefix=PAYLOAD
# RUN: %tilewright run %S/Inputs/matmul-300x520x300.mlir --schedule %s --threads 1 --random-inputs \
# RUN:   | FileCheck %s --check-prefix=EXEC
# RUN: %python %s 2 | FileCheck %s --check-prefix=THREADS

# A and B are packed into zero-padded micro-panels (B's outer dims transposed), C is computed packed
# on a forall over the ISA's fallback cache tiles (no CPU model: 144 x 256) evened out over the
# problem (300 rows in 3 blocks of 102, 520 columns in 3 of 176: 17 x 11 micro-tiles; K in two
# slabs of 152, not 256 + 44), the fill fused into it; the packs are
# vectorized 16 k at a time with the k edge (300 = 18 * 16 + 12) peeled, the unpack 6 x 16 at a time.
# SCRIPT-LABEL: transform.named_sequence @__transform_main
# SCRIPT:         %[[P:.+]] = transform.structured.pack %{{.+}} packed_sizes = [6, 16, 0]
# SCRIPT:         %[[BP:.+]] = transform.get_producer_of_operand %[[P]][1]
# SCRIPT:         %[[MM:.+]], %[[PB:.+]], %{{.+}} = transform.structured.pack_transpose %[[BP]] with_compute_op(%[[P]])
# SCRIPT-SAME:      outer_perm = [1, 0]
# SCRIPT:         %[[PA:.+]] = transform.get_producer_of_operand %[[MM]][0]
# SCRIPT:         %[[PC:.+]] = transform.get_producer_of_operand %[[MM]][2]
# SCRIPT:         %[[UP:.+]] = transform.get_consumers_of_result %[[MM]][0]
# SCRIPT:         transform.apply_cse
# SCRIPT:         %{{.+}}, %[[F:.+]] = transform.structured.tile_using_forall %[[MM]] tile_sizes [17, 11]
# SCRIPT:         transform.structured.fuse_into_containing_op %[[PC]] into %[[F]]
# SCRIPT:         transform.structured.fuse_into_containing_op
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [0, 0, 152]
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [0, 1, 0]
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [1, 0, 0]
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [0, 0, 1]
# SCRIPT:         transform.structured.tile_using_for %[[PA]] tile_sizes [1, 16]
# SCRIPT:         transform.loop.peel
# SCRIPT:         transform.structured.vectorize %{{.+}} vector_sizes [1, 16, 6]
# SCRIPT:         transform.apply_patterns.vector.lower_masked_transfers
# SCRIPT:         transform.structured.tile_using_for %[[PB]] tile_sizes [1, 16]
# SCRIPT:         transform.structured.vectorize %{{.+}} vector_sizes [1, 16, 16]
# SCRIPT:         transform.structured.tile_using_for %[[UP]] tile_sizes [6, 16]
# SCRIPT:         transform.structured.vectorize %{{.+}} vector_sizes [1, 1, 6, 16]

# With two threads the tasks take all columns (a 1-D task loop: upstream's async-parallel-for
# repeats iterations of some 2-D ones) and 4 row blocks of 78 (13 micro-tiles), two per core; the
# packs are shared out too: A's 50 row panels and B's 33 column panels in halves on a forall
# each, then tiled and vectorized as above.
# THREADS:       %{{.+}}, %[[F:.+]] = transform.structured.tile_using_forall %{{.+}} tile_sizes [13, 33]
# THREADS:       %[[PA2:.+]], %{{.+}} = transform.structured.tile_using_forall %{{.+}} tile_sizes [25, 0]
# THREADS:       transform.structured.tile_using_for %[[PA2]] tile_sizes [1, 16]
# THREADS:       %[[PB2:.+]], %{{.+}} = transform.structured.tile_using_forall %{{.+}} tile_sizes [17, 0]
# THREADS:       transform.structured.tile_using_for %[[PB2]] tile_sizes [1, 16]

# PAYLOAD-LABEL: func.func @main
# PAYLOAD-NOT:     linalg.
# PAYLOAD:         %[[A:.+]] = scf.for {{.*}} -> (tensor<50x300x6xf32>)
# PAYLOAD:           vector.shuffle
# PAYLOAD:         %[[B:.+]] = scf.for {{.*}} -> (tensor<33x300x16xf32>)
# PAYLOAD:         %[[C:.+]] = scf.forall ({{.+}}) in (3, 3) shared_outs({{.+}}) -> (tensor<50x33x6x16xf32>)
# PAYLOAD:           vector.transfer_write %{{.+}} : vector<6x16xf32>, tensor<?x11x6x16xf32>
# PAYLOAD:           scf.for %{{.+}} = %c0 to %c300 step %c152
# The microkernel: per k, one row of the A panel (6) and of the B panel (16), 6 FMAs of 16 lanes.
# PAYLOAD:                 scf.for {{.*}} -> (vector<6x16xf32>)
# PAYLOAD:                   vector.transfer_read %[[A]]{{.+}} : tensor<50x300x6xf32>, vector<6xf32>
# PAYLOAD:                   vector.transfer_read %[[B]]{{.+}} : tensor<33x300x16xf32>, vector<16xf32>
# PAYLOAD-COUNT-6:           vector.fma {{.*}} : vector<16xf32>
# PAYLOAD:         scf.for %{{.+}} = %c0 to %c300 step %c6
# PAYLOAD:           scf.for %{{.+}} = %c0 to %c512 step %c16
# PAYLOAD:             vector.transfer_read %[[C]]
# PAYLOAD-NOT:     linalg.
# PAYLOAD:         return

# EXEC: result0: float32[300, 520]

from tilewright.schedule import Schedule
from tilewright.schedule.cpu import AVX2, vectorize
from tilewright.schedule.cpu.matmul import schedule_contraction


def schedule(info: object, threads: int = 1) -> Schedule:
    s = Schedule("packed-matmul")
    mm, fill = s.match("linalg.matmul"), s.match("linalg.fill")
    schedule_contraction(s, mm, 300, 520, 300, fill=fill, cfg=AVX2, threads=threads)
    vectorize(s, s.match("func.func"))
    return s


if __name__ == "__main__":
    import sys

    print(schedule(None, threads=int(sys.argv[1]) if len(sys.argv) > 1 else 1))
