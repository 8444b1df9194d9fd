# The schedule file is both a lit test and a --schedule input: run as a script it prints its
# transform IR; given to --transform-script it is loaded and `schedule(info)` is called.
#
# RUN: %python %s | FileCheck %s --check-prefix=SCRIPT
# RUN: %python %s > %t.transform.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %s | FileCheck %s --check-prefix=PAYLOAD
# The emitted script uses only upstream ops: stock mlir-opt runs it unchanged.
# RUN: %mlir-opt %inputs/schedule/matmul.mlir --transform-preload-library=transform-library-paths=%t.transform.mlir \
# RUN:   --transform-interpreter | FileCheck %s --check-prefix=PAYLOAD

# SCRIPT-LABEL: transform.named_sequence @__transform_main
# SCRIPT-SAME:    (%[[ROOT:.+]]: !transform.any_op {transform.readonly})
# SCRIPT:         %[[MM:.+]] = transform.structured.match ops{["linalg.matmul"]} in %[[ROOT]]
# SCRIPT:         %[[TM:.+]] = transform.tune.knob<"tile_m"> = 8 : i64 from options = [4, 8, 16]
# SCRIPT:         %[[T:.+]], %[[LOOPS:.+]]:2 = transform.structured.fuse %[[MM]]
# SCRIPT-SAME:      tile_sizes [%[[TM]], 16, 0] {apply_cleanup}
# SCRIPT:         %{{.+}}, %{{.+}} = transform.structured.tile_using_for %[[T]] tile_sizes [0, 0, 4]
# SCRIPT:         transform.structured.vectorize %{{.+}} vector_sizes [8, 16, 4]
# SCRIPT:         %[[F:.+]] = transform.structured.match ops{["func.func"]} in %[[ROOT]]
# SCRIPT:         transform.apply_patterns to %[[F]] {
# SCRIPT-NEXT:      transform.apply_patterns.vector.lower_masked_transfers
# SCRIPT-NEXT:      transform.apply_patterns.canonicalization
# SCRIPT-NEXT:    } {apply_cse}

# The fill is fused into the (i, j) loops, the k loop is inside, the matmul body is vectorized with masks.
# PAYLOAD-LABEL: func.func @main
# PAYLOAD:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}}
# PAYLOAD:           scf.for
# PAYLOAD:             linalg.fill {{.*}} -> tensor<?x?xf32>
# PAYLOAD:             scf.for
# PAYLOAD:               vector.transfer_read {{.*}} vector<8x16x4xf32>
# PAYLOAD:               arith.mulf {{.*}} : vector<8x16x4xf32>
# PAYLOAD:               vector.multi_reduction <add>
# PAYLOAD:               vector.transfer_write
# PAYLOAD-NOT:     linalg.matmul

from tilewright.schedule import Schedule
from tilewright.schedule import patterns as P


def schedule(info: object) -> Schedule:
    s = Schedule("matmul-tile-fuse-vectorize")
    mm = s.match("linalg.matmul")
    tile_m = s.knob("tile_m", [4, 8, 16], default=8)
    tiled, _ = mm.fuse([tile_m, 16, 0])  # tiles (i, j), pulls the fill into the loops
    inner, _ = tiled.tile([0, 0, 4])
    inner.vectorize([8, 16, 4])  # masked: tiles at the 97/33/7 edges are partial
    func = s.match("func.func")
    func.apply_patterns(P.lower_masked_transfers(), P.canonicalization(), apply_cse=True)
    return s


if __name__ == "__main__":
    print(schedule(None))
