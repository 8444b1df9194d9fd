# Loop builders (transform.loop.*) on the loops that tiling a 97x7 * 7x33 matmul creates.
#
# RUN: %python %s peel > %t.peel.mlir && FileCheck %s --check-prefix=PEEL-SCRIPT < %t.peel.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.peel.mlir | FileCheck %s --check-prefix=PEEL
# RUN: %python %s unroll > %t.unroll.mlir && FileCheck %s --check-prefix=UNROLL-SCRIPT < %t.unroll.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.unroll.mlir \
# RUN:   | FileCheck %s --check-prefix=UNROLL
# RUN: %python %s hoist > %t.hoist.mlir && FileCheck %s --check-prefix=HOIST-SCRIPT < %t.hoist.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.hoist.mlir | FileCheck %s --check-prefix=HOIST
# RUN: %python %s promote > %t.promote.mlir && FileCheck %s --check-prefix=PROMOTE-SCRIPT < %t.promote.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.promote.mlir \
# RUN:   | FileCheck %s --check-prefix=PROMOTE
# RUN: %python %s coalesce > %t.coalesce.mlir && FileCheck %s --check-prefix=COALESCE-SCRIPT < %t.coalesce.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.coalesce.mlir \
# RUN:   | FileCheck %s --check-prefix=COALESCE

# PEEL-SCRIPT: %{{.+}}, %[[L:.+]]:2 = transform.structured.tile_using_for %{{.+}} tile_sizes [8, 16, 0]
# PEEL-SCRIPT: %[[FOR:.+]] = transform.cast %[[L]]#0 : !transform.any_op to !transform.op<"scf.for">
# PEEL-SCRIPT: transform.loop.peel %[[FOR]] : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
# 97 rows in steps of 8: a main loop over full steps up to 96 and a remainder loop from 96.
# PEEL-LABEL: func.func @main
# PEEL-DAG: %[[C96:.+]] = arith.constant 96 : index
# PEEL-DAG: %[[C97:.+]] = arith.constant 97 : index
# PEEL: scf.for %{{.+}} = %{{.+}} to %[[C96]] step
# PEEL:   linalg.matmul
# PEEL: scf.for %{{.+}} = %[[C96]] to %[[C97]] step
# PEEL:   linalg.matmul

# UNROLL-SCRIPT: transform.loop.unroll %{{.+}} {factor = 2 : i64} : !transform.any_op
# The 4-iteration k loop (7 in steps of 2) runs 2 matmuls per iteration in steps of 4.
# UNROLL-LABEL: func.func @main
# UNROLL: %[[C4:.+]] = arith.constant 4 : index
# UNROLL: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[C4]]
# UNROLL-COUNT-2: linalg.matmul
# UNROLL: scf.yield

# HOIST-SCRIPT: transform.loop.hoist_loop_invariant_subsets %{{.+}} : !transform.any_op
# The accumulator slice is extracted once before the k loop and carried in its iter_args.
# HOIST-LABEL: func.func @main
# HOIST: %[[ACC:.+]] = tensor.extract_slice %{{.+}}[0, 0] [%{{.+}}, 33] [1, 1] : tensor<?x33xf32> to tensor<?x33xf32>
# HOIST: scf.for {{.*}} iter_args(%{{.+}} = %{{.+}}, %[[IT:.+]] = %[[ACC]])
# HOIST:   linalg.matmul {{.*}} outs(%[[IT]] : tensor<?x33xf32>)
# HOIST: tensor.insert_slice

# PROMOTE-SCRIPT: transform.loop.promote_if_one_iteration %{{.+}} : !transform.any_op
# PROMOTE-LABEL: func.func @main
# PROMOTE-NOT: scf.for
# PROMOTE: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<97x7xf32>, tensor<7x33xf32>)

# COALESCE-SCRIPT: transform.loop.coalesce %{{.+}} : (!transform.any_op) -> !transform.any_op
# The 97x33 nest of unit tiles becomes one loop of 3201 iterations.
# COALESCE-LABEL: func.func @main
# COALESCE: %[[N:.+]] = arith.constant 3201 : index
# COALESCE: scf.for %{{.+}} = %{{.+}} to %[[N]] step
# COALESCE-NOT: scf.for
# COALESCE: linalg.matmul {{.*}} -> tensor<1x1xf32>

import sys

from tilewright.schedule import Schedule


def peel() -> Schedule:
    s = Schedule("peel")
    _, (rows, _cols) = s.match("linalg.matmul").tile([8, 16, 0])
    rows.peel()
    return s


def unroll() -> Schedule:
    s = Schedule("unroll")
    _, (k,) = s.match("linalg.matmul").tile([0, 0, 2])
    k.unroll(2)
    return s


def hoist() -> Schedule:
    s = Schedule("hoist")
    tiled, _ = s.match("linalg.matmul").tile([8, 0, 0])
    _, (k,) = tiled.tile([0, 0, 1])
    k.hoist_loop_invariant_subsets()
    return s


def promote() -> Schedule:
    s = Schedule("promote")
    _, (k,) = s.match("linalg.matmul").tile([0, 0, 7])
    k.promote_if_one_iteration()
    return s


def coalesce() -> Schedule:
    s = Schedule("coalesce")
    _, (i, _j) = s.match("linalg.matmul").tile([1, 1, 0])
    i.coalesce()
    return s


if __name__ == "__main__":
    print(globals()[sys.argv[1]]())
