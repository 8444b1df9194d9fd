# Vectorization, vector lowering patterns, bufferization inside the schedule, and what needs memrefs
# (forall -> for/parallel, hoisting of vector transfers).
#
# RUN: %python %s fma > %t.fma.mlir && FileCheck %s --check-prefix=FMA-SCRIPT < %t.fma.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.fma.mlir | FileCheck %s --check-prefix=FMA
# RUN: %python %s softmax > %t.softmax.mlir && FileCheck %s --check-prefix=SOFTMAX-SCRIPT < %t.softmax.mlir
# RUN: %tilewright-opt %inputs/schedule/softmax.mlir --transform-script %t.softmax.mlir \
# RUN:   | FileCheck %s --check-prefix=SOFTMAX
# RUN: %python %s hoist > %t.hoist.mlir && FileCheck %s --check-prefix=HOIST-SCRIPT < %t.hoist.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.hoist.mlir | FileCheck %s --check-prefix=HOIST
# A script that consumes its root (bufferization) runs in stock mlir-opt as well.
# RUN: %mlir-opt %inputs/schedule/matmul.mlir --transform-preload-library=transform-library-paths=%t.hoist.mlir \
# RUN:   --transform-interpreter | FileCheck %s --check-prefix=HOIST
# RUN: %python %s forall > %t.forall.mlir && FileCheck %s --check-prefix=FORALL-SCRIPT < %t.forall.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.forall.mlir \
# RUN:   | FileCheck %s --check-prefix=FORALL

# FMA-SCRIPT: %[[F:.+]] = transform.structured.match ops{["func.func"]}
# FMA-SCRIPT: %[[V:.+]] = transform.structured.vectorize_children_and_apply_patterns %[[F]] {vectorize_padding}
# FMA-SCRIPT: transform.apply_patterns to %[[V]] {
# FMA-SCRIPT-NEXT: transform.apply_patterns.vector.lower_contraction{{$}}
# FMA-SCRIPT-NEXT: transform.apply_patterns.vector.lower_outerproduct
# FMA-SCRIPT-NEXT: transform.apply_patterns.canonicalization
# FMA-SCRIPT-NEXT: } {apply_cse}
# Padded 8x16x7 tiles: the contraction becomes 8 rows x 7 k-steps of vector<16xf32> FMAs.
# FMA-LABEL: func.func @main
# FMA: scf.for
# FMA:   scf.for
# FMA-NOT: linalg.matmul
# FMA-COUNT-56: vector.fma {{.*}} : vector<16xf32>
# FMA-NOT: vector.contract

# SOFTMAX-SCRIPT: %[[G:.+]] = transform.structured.match ops{["linalg.generic", "linalg.fill"]}
# SOFTMAX-SCRIPT: transform.structured.vectorize %[[G]] : !transform.any_op
# SOFTMAX-SCRIPT: transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = innerreduction
# SOFTMAX-LABEL: func.func @main
# SOFTMAX-NOT: linalg.
# SOFTMAX: math.exp {{.*}} : vector<17x97xf32>
# SOFTMAX: vector.reduction <add>, {{.*}} : vector<97xf32> into f32
# SOFTMAX: arith.divf {{.*}} : vector<17x97xf32>

# The root is consumed by bufferization, so the entry point says so.
# HOIST-SCRIPT: transform.named_sequence @__transform_main(%arg0: !transform.any_op {transform.consumed})
# HOIST-SCRIPT: %[[B:.+]] = transform.bufferization.one_shot_bufferize layout{IdentityLayoutMap} %arg0
# HOIST-SCRIPT-SAME: {bufferize_function_boundaries = true}
# HOIST-SCRIPT: %[[F:.+]] = transform.structured.match ops{["func.func"]} in %[[B]]
# HOIST-SCRIPT: transform.structured.hoist_redundant_vector_transfers %[[F]]
# After bufferization the accumulator is read before the k loop, carried as a vector, written after it.
# HOIST-LABEL: func.func @main(%arg0: memref<97x7xf32>, %arg1: memref<7x33xf32>) -> memref<97x33xf32>
# HOIST: %[[ACC:.+]] = vector.transfer_read {{.*}} : memref<97x33xf32>, vector<97x33xf32>
# HOIST: scf.for {{.*}} iter_args(%{{.+}} = %[[ACC]]) -> (vector<97x33xf32>)
# HOIST:   scf.yield %{{.+}} : vector<97x33xf32>
# HOIST: vector.transfer_write {{.*}} : vector<97x33xf32>, memref<97x33xf32>

# FORALL-SCRIPT: transform.bufferization.one_shot_bufferize
# FORALL-SCRIPT: %[[FS:.+]]:2 = transform.split_handle
# FORALL-SCRIPT: transform.loop.forall_to_parallel %[[FS]]#0
# FORALL-SCRIPT: transform.loop.forall_to_for %[[FS]]#1
# FORALL-LABEL: func.func @main
# FORALL: scf.parallel (%{{.+}}) = (%{{.+}}) to (%{{.+}}) step (%{{.+}})
# FORALL:   linalg.fill
# FORALL: scf.for
# FORALL:   linalg.matmul ins({{.*}} : memref
# FORALL-NOT: scf.forall

import sys

from tilewright.schedule import Schedule
from tilewright.schedule import patterns as P


def fma() -> Schedule:
    s = Schedule("fma")
    tiled, _ = s.match("linalg.matmul").tile([8, 16, 0])
    tiled.pad(padding_dimensions=[0, 1, 2], pad_to_multiple_of=[8, 16, 7], nofold=[False, False, False])
    func = s.match("func.func").vectorize_children_and_apply_patterns(vectorize_padding=True)
    func.apply_patterns(
        P.lower_contraction("outerproduct"), P.lower_outerproduct(), P.canonicalization(), apply_cse=True
    )
    return s


def softmax() -> Schedule:
    s = Schedule("softmax")
    s.match(["linalg.generic", "linalg.fill"]).vectorize()  # static 17x97: no masks needed
    s.match("func.func").apply_patterns(P.lower_multi_reduction("innerreduction"), P.canonicalization())
    return s


def hoist() -> Schedule:
    s = Schedule("hoist")
    tiled, _ = s.match("linalg.matmul").tile([0, 0, 1])
    tiled.vectorize()
    s.bufferize()
    func = s.match("func.func")  # matched in the bufferized IR (the new root)
    func.canonicalize()
    func.hoist_redundant_vector_transfers()
    return s


def forall() -> Schedule:
    s = Schedule("forall")
    s.match("linalg.fill").tile_forall(num_threads=[4])
    s.match("linalg.matmul").tile_forall(tile_sizes=[8, 0])
    s.bufferize()
    fill_loop, matmul_loop = s.match("scf.forall").split(2)
    fill_loop.forall_to_parallel()
    matmul_loop.forall_to_for(1)
    return s


if __name__ == "__main__":
    print(globals()[sys.argv[1]]())
