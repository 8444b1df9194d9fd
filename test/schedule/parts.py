# Schedule.part: a named sequence included on the root, with an optional fallback sequence that
# only the driver applies (when the part fails in a default schedule). The script runs as is.
#
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.mlir | FileCheck %s --check-prefix=PAYLOAD

# SCRIPT-LABEL: transform.named_sequence @tile_matmul(%{{.+}}: !transform.any_op {transform.readonly})
# SCRIPT: transform.structured.tile_using_for %{{.+}} tile_sizes [8, 16, 0]
# SCRIPT-LABEL: transform.named_sequence @tile_matmul_fallback(%{{.+}}: !transform.any_op {transform.readonly})
# SCRIPT: transform.structured.tile_using_for %{{.+}} tile_sizes [1, 0, 0]
# SCRIPT-LABEL: transform.named_sequence @tile_fill(
# SCRIPT-NOT: @tile_fill_fallback
# SCRIPT-LABEL: transform.named_sequence @__transform_main(
# SCRIPT-NEXT: transform.include @tile_matmul failures(propagate)
# SCRIPT-NEXT: transform.include @tile_fill failures(propagate)
# SCRIPT-NOT: _fallback
# SCRIPT: transform.yield

# Only the parts ran: the matmul in 8x16 tiles, the fill in rows of 1; never the fallback's rows.
# PAYLOAD-LABEL: func.func @main
# PAYLOAD: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1
# PAYLOAD:   linalg.fill {{.*}} -> tensor<1x33xf32>
# PAYLOAD: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c8
# PAYLOAD:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16
# PAYLOAD:     linalg.matmul {{.*}} -> tensor<?x?xf32>
# PAYLOAD-NOT: linalg.matmul {{.*}} -> tensor<1x33xf32>

import sys

from tilewright.schedule import Schedule


def main() -> None:
    s = Schedule("parts")
    s.part(
        "tile_matmul",
        lambda root: root.match("linalg.matmul").tile([8, 16, 0]),
        fallback=lambda root: root.match("linalg.matmul").tile([1, 0, 0]),
        what="the matmul",
    )
    s.part("tile_fill", lambda root: root.match("linalg.fill").tile([1, 0]))
    assert [(p.entry, p.fallback) for p in s.parts] == [("tile_matmul", "tile_matmul_fallback"), ("tile_fill", None)]
    sys.stdout.write(s.to_mlir())


main()
