# Tiling builders: the script each emits, and what it does to the payload.
#
# RUN: %python %s tile > %t.tile.mlir && FileCheck %s --check-prefix=TILE-SCRIPT < %t.tile.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.tile.mlir | FileCheck %s --check-prefix=TILE
# RUN: %python %s forall > %t.forall.mlir && FileCheck %s --check-prefix=FORALL-SCRIPT < %t.forall.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.forall.mlir \
# RUN:   | FileCheck %s --check-prefix=FORALL
# RUN: %python %s reduction > %t.reduction.mlir && FileCheck %s --check-prefix=RED-SCRIPT < %t.reduction.mlir
# RUN: %tilewright-opt %inputs/schedule/softmax.mlir --transform-script %t.reduction.mlir \
# RUN:   | FileCheck %s --check-prefix=RED
# RUN: %python %s reduction_forall > %t.rforall.mlir && FileCheck %s --check-prefix=RFORALL-SCRIPT < %t.rforall.mlir
# RUN: %tilewright-opt %inputs/schedule/softmax.mlir --transform-script %t.rforall.mlir \
# RUN:   | FileCheck %s --check-prefix=RFORALL
# RUN: %python %s foreach > %t.foreach.mlir && FileCheck %s --check-prefix=EACH-SCRIPT < %t.foreach.mlir
# RUN: %tilewright-opt %inputs/schedule/softmax.mlir --transform-script %t.foreach.mlir \
# RUN:   | FileCheck %s --check-prefix=EACH
# RUN: %python %s alternatives > %t.alt.mlir && FileCheck %s --check-prefix=ALT-SCRIPT < %t.alt.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.alt.mlir | FileCheck %s --check-prefix=ALT

# TILE-SCRIPT: %[[MM:.+]] = transform.structured.match ops{["linalg.matmul"]}
# TILE-SCRIPT: transform.structured.tile_using_for %[[MM]] tile_sizes [8, 16, 0] interchange = [1, 0, 2]
# TILE-SCRIPT-SAME: -> (!transform.any_op, !transform.any_op, !transform.any_op)
# Interchanged: the loop over N (33, step 16) is outside the loop over M (97, step 8).
# TILE-LABEL: func.func @main
# TILE: %[[C33:.+]] = arith.constant 33 : index
# TILE: %[[C97:.+]] = arith.constant 97 : index
# TILE: scf.for %{{.+}} = %{{.+}} to %[[C33]] step
# TILE:   scf.for %{{.+}} = %{{.+}} to %[[C97]] step
# TILE:     linalg.matmul {{.*}} -> tensor<?x?xf32>

# FORALL-SCRIPT: %[[NT:.+]] = transform.tune.knob<"threads"> = 2 : i64 from options = [1, 2, 4]
# FORALL-SCRIPT: transform.structured.tile_using_forall %{{.+}} num_threads [%[[NT]], 1]
# FORALL-SCRIPT: transform.structured.tile_using_forall %{{.+}} tile_sizes [0, 7]
# FORALL-LABEL: func.func @main
# FORALL: scf.forall (%{{.+}}, %{{.+}}) in (2, 1)
# FORALL:   scf.forall (%{{.+}}) in (5) shared_outs({{.*}}) -> (tensor<?x33xf32>)
# FORALL:     linalg.matmul

# RED-SCRIPT: transform.structured.tile_reduction_using_for %{{.+}} by tile_sizes = [0, 8]
# RED-SCRIPT: transform.structured.split_reduction %{{.+}} {insert_split_dimension = 1 : i64, split_factor = 97 : i64}
# The first (max) reduction is tiled along its reduction dim: a partial-result tensor<17x8xf32>
# is accumulated in the loop, then combined; the second (sum) is split into 97 parallel partial sums.
# RED-LABEL: func.func @main
# RED: linalg.fill {{.*}} -> tensor<17x8xf32>
# RED: scf.for {{.*}} -> (tensor<17x8xf32>)
# RED:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
# RED:   arith.maximumf
# RED: linalg.reduce
# RED:   arith.maximumf
# RED: tensor.expand_shape {{.*}} into tensor<17x97x1xf32>
# RED: iterator_types = ["parallel", "parallel", "reduction"]
# RED: iterator_types = ["parallel", "reduction"]

# RFORALL-SCRIPT: transform.structured.tile_reduction_using_forall %{{.+}} by num_threads = [0, 8]
# RFORALL-SCRIPT-SAME: tile_sizes = [0, 4] mapping = [#gpu.thread<x>]
# The max reduction split over 8 threads: a partial-result tensor<17x8xf32> filled with -inf,
# each thread reducing its tiles of 4 (cyclically), then the partials combined.
# RFORALL-LABEL: func.func @main
# RFORALL: linalg.fill {{.*}} -> tensor<17x8xf32>
# RFORALL: scf.forall (%{{.+}}) in (8) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<17x8xf32>)
# RFORALL:   arith.maximumf
# RFORALL: } {mapping = [#gpu.thread<x>]}
# RFORALL: linalg.reduce ins(%{{.+}} : tensor<17x8xf32>)
# RFORALL:   arith.maximumf

# EACH-SCRIPT: %[[G:.+]] = transform.structured.match ops{["linalg.generic"]}
# EACH-SCRIPT: %[[L:.+]] = transform.foreach %[[G]] : !transform.any_op -> !transform.any_op {
# EACH-SCRIPT: ^bb0(%[[OP:.+]]: !transform.any_op):
# EACH-SCRIPT:   %{{.+}}, %[[LOOP:.+]] = transform.structured.tile_using_for %[[OP]] tile_sizes [4, 0]
# EACH-SCRIPT:   transform.yield %[[LOOP]] : !transform.any_op
# EACH-SCRIPT: transform.annotate %[[L]] "row_loop"
# Each of the 4 generics gets its own row loop; the foreach result holds all 4 loops.
# EACH-LABEL: func.func @main
# EACH-COUNT-4: } {row_loop}

# ALT-SCRIPT: %[[MM:.+]] = transform.structured.match ops{["linalg.matmul"]}
# ALT-SCRIPT: %[[L:.+]] = transform.tune.alternatives<"strategy"> selected_region = 1 -> !transform.any_op {
# ALT-SCRIPT:   transform.structured.tile_using_for %[[MM]] tile_sizes [4, 0]
# ALT-SCRIPT: }, {
# ALT-SCRIPT:   transform.structured.tile_using_forall %[[MM]] tile_sizes [8, 0]
# ALT-SCRIPT: }
# ALT-SCRIPT: transform.annotate %[[L]] "chosen"
# The tuner's choice (region 1) runs: rows on an scf.forall of 13 blocks of 8.
# ALT-LABEL: func.func @main
# ALT-NOT: scf.for
# ALT: scf.forall (%{{.+}}) in (13)
# ALT: } {chosen}

import sys

from tilewright.schedule import OpHandle, Schedule


def tile() -> Schedule:
    s = Schedule("tile")
    s.match("linalg.matmul").tile([8, 16, 0], interchange=[1, 0, 2])
    return s


def forall() -> Schedule:
    s = Schedule("forall")
    threads = s.knob("threads", [1, 2, 4], default=2)
    tiled, _ = s.match("linalg.matmul").tile_forall(num_threads=[threads, 1])
    tiled.tile_forall(tile_sizes=[0, 7])  # 33 columns -> 5 tiles
    return s


def reduction() -> Schedule:
    s = Schedule("reduction")
    first, second = s.match(iterator_types=["parallel", "reduction"]).split(2)
    first.tile_reduction([0, 8])
    second.split_reduction(97, 1)
    return s


def reduction_forall() -> Schedule:
    s = Schedule("reduction_forall")
    first, _ = s.match(iterator_types=["parallel", "reduction"]).split(2)
    first.tile_reduction_forall([0, 8], tile_sizes=[0, 4], mapping="[#gpu.thread<x>]")
    return s


def foreach() -> Schedule:
    s = Schedule("foreach")

    def tile_rows(op: OpHandle) -> OpHandle:
        _, (rows,) = op.tile([4, 0])
        return rows

    (loops,) = s.foreach(s.match("linalg.generic"), tile_rows, results=1)
    loops.annotate("row_loop")
    return s


def alternatives() -> Schedule:
    s = Schedule("alternatives", knobs={"strategy": 1})  # what a tuner would pass
    mm = s.match("linalg.matmul")
    (loop,) = s.alternatives(
        "strategy",
        [lambda: mm.tile([4, 0])[1][0], lambda: mm.tile_forall(tile_sizes=[8, 0])[1]],
        results=1,
    )
    loop.annotate("chosen")
    return s


if __name__ == "__main__":
    print(globals()[sys.argv[1]]())
