# Fusion builders on a softmax (4 generics + 2 fills): producer fusion into a tiled loop, and
# upstream's tile-and-fuse driver.
#
# RUN: %python %s into > %t.into.mlir && FileCheck %s --check-prefix=INTO-SCRIPT < %t.into.mlir
# RUN: %tilewright-opt %inputs/schedule/softmax.mlir --transform-script %t.into.mlir \
# RUN:   | FileCheck %s --check-prefix=INTO
# RUN: %python %s fuse > %t.fuse.mlir && FileCheck %s --check-prefix=FUSE-SCRIPT < %t.fuse.mlir
# RUN: %tilewright-opt %inputs/schedule/softmax.mlir --transform-script %t.fuse.mlir \
# RUN:   | FileCheck %s --check-prefix=FUSE

# INTO-SCRIPT: %[[ALL:.+]] = transform.structured.match ops{["linalg.generic"]}
# INTO-SCRIPT: %[[G:.+]]:4 = transform.split_handle %[[ALL]]
# INTO-SCRIPT: %[[T:.+]], %[[FORALL:.+]] = transform.structured.tile_using_forall %[[G]]#3 tile_sizes [4]
# INTO-SCRIPT: %{{.+}}, %[[L1:.+]] = transform.structured.fuse_into_containing_op %[[G]]#2 into %[[FORALL]]
# INTO-SCRIPT: %{{.+}}, %[[L2:.+]] = transform.structured.fuse_into_containing_op %[[G]]#1 into %[[L1]]
# INTO-SCRIPT: %{{.+}}, %[[L3:.+]] = transform.structured.fuse_into_containing_op %[[G]]#0 into %[[L2]]
# INTO-SCRIPT: %[[FILLS:.+]] = transform.structured.match ops{["linalg.fill"]}
# INTO-SCRIPT: transform.structured.fuse_into_containing_op %[[FILLS]] into %[[L3]]
# INTO-SCRIPT: %[[F:.+]] = transform.structured.match ops{["func.func"]}
# INTO-SCRIPT: transform.apply_patterns to %[[F]] {
# INTO-SCRIPT-NEXT: transform.apply_patterns.canonicalization
# INTO-SCRIPT-NEXT: } {apply_cse}

# Everything runs on blocks of 4 rows inside one scf.forall, once each (after CSE); nothing is left outside.
# INTO-LABEL: func.func @main
# INTO-NOT: linalg.
# INTO:     scf.forall (%{{.+}}) in (5)
# INTO:       linalg.fill
# INTO:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
# INTO:         arith.maximumf
# INTO:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
# INTO:         math.exp
# INTO:       linalg.fill
# INTO:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
# INTO:         arith.addf
# INTO:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
# INTO:         arith.divf
# INTO:       scf.forall.in_parallel
# INTO-NOT: linalg.

# FUSE-SCRIPT: transform.structured.fuse %{{.+}} tile_sizes [4, 0] {apply_cleanup}
# FUSE-LABEL: func.func @main
# FUSE-NOT: linalg.
# FUSE:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
# FUSE:       linalg.fill
# FUSE:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
# FUSE:         arith.maximumf
# FUSE:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
# FUSE:         math.exp
# FUSE:       linalg.fill
# FUSE:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
# FUSE:         arith.addf
# FUSE:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
# FUSE:         arith.divf
# FUSE:       scf.yield
# FUSE-NOT: linalg.

import sys

from tilewright.schedule import Schedule


def into() -> Schedule:
    s = Schedule("fuse-into")
    mx, ex, sm, div = s.match("linalg.generic").split(4)
    _, loop = div.tile_forall(tile_sizes=[4])
    for producer in (sm, ex, mx):  # consumers before their producers
        _, loop = producer.fuse_into(loop)
    s.match("linalg.fill").fuse_into(loop)
    s.match("func.func").canonicalize()  # the unfused originals are dead now
    return s


def fuse() -> Schedule:
    s = Schedule("fuse")
    last = s.match("linalg.generic").split(4)[3]
    last.fuse([4, 0])
    s.match("func.func").canonicalize()
    return s


if __name__ == "__main__":
    print({"into": into, "fuse": fuse}[sys.argv[1]]())
