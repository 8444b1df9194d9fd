# The unpacked matmul of the CPU library (AVX2 tiles, one thread) on 97x131x77: one cache tile,
# full 6 x 16 microkernels, and remainder kernels padded only up to whole vectors.
#
# RUN: %python %s > %t.transform.mlir && FileCheck %s --check-prefix=SCRIPT < %t.transform.mlir
# RUN: %tilewright-opt %S/Inputs/matmul-97x131x77.mlir --transform-script %s | FileCheck %s --check-prefix=PAYLOAD
# RUN: %tilewright run %S/Inputs/matmul-97x131x77.mlir --schedule %s --threads 1 --random-inputs \
# RUN:   | FileCheck %s --check-prefix=EXEC

# One cache tile covers the problem (102 x 144: no 1-row tile after a 96-row one); the register-tile
# loops are peeled, and the partial kernels padded to 6 x 16, their results copied back by a
# linalg.copy that vectorizes (a memref.copy of a strided tile is a call into the runtime).
# SCRIPT-LABEL: transform.named_sequence @__transform_main
# SCRIPT:         transform.structured.tile_using_forall %{{.+}} tile_sizes [102, 144]
# SCRIPT:         transform.structured.fuse_into_containing_op
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [6, 16, 0]
# SCRIPT-COUNT-2: transform.loop.peel
# SCRIPT:         transform.structured.pad %{{.+}} pad_to_multiple_of [6, 16]
# SCRIPT-SAME:      {copy_back_op = "linalg.copy", padding_dimensions = [0, 1]}
# SCRIPT:         transform.structured.tile_using_for %{{.+}} tile_sizes [0, 0, 1]

# The single-iteration forall folds away: full 6 x 16 kernels over 96 x 128, then the column
# remainder of each row block, the row remainder, and the corner, all as 6 x 16 kernels (K = 77).
# PAYLOAD-LABEL: func.func @main
# PAYLOAD-NOT:     scf.forall
# PAYLOAD:         scf.for %{{.+}} = %c0 to %c96 step %c6
# PAYLOAD:           scf.for %{{.+}} = %c0 to %c128 step %c16
# PAYLOAD:             scf.for %{{.+}} = %c0 to %c77 step %c1 {{.*}} -> (vector<6x16xf32>)
# PAYLOAD-COUNT-6:       vector.fma {{.*}} : vector<16xf32>
# PAYLOAD:           scf.for %{{.+}} = %c0 to %c77 step %c1 {{.*}} -> (vector<6x16xf32>)
# PAYLOAD:         scf.for %{{.+}} = %c0 to %c128 step %c16
# PAYLOAD:           scf.for %{{.+}} = %c0 to %c77 step %c1 {{.*}} -> (vector<6x16xf32>)
# PAYLOAD:         scf.for %{{.+}} = %c0 to %c77 step %c1 {{.*}} -> (vector<6x16xf32>)
# PAYLOAD-NOT:     linalg.matmul
# PAYLOAD:         return

# EXEC: result0: float32[97, 131]

from tilewright.schedule import Schedule
from tilewright.schedule.cpu import AVX2, vectorize
from tilewright.schedule.cpu.matmul import schedule_contraction


def schedule(info: object) -> Schedule:
    s = Schedule("matmul-remainders")
    mm, fill = s.match("linalg.matmul"), s.match("linalg.fill")
    schedule_contraction(s, mm, 97, 131, 77, fill=fill, cfg=AVX2)
    vectorize(s, s.match("func.func"))
    return s


if __name__ == "__main__":
    print(schedule(None))
