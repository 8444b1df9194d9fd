# Errors of Python schedules: reported at the schedule's .py line, exit code 1, never a traceback.
#
# A transform that fails on the payload names the transform (at the .py line that built it), upstream's
# message, and the payload op it was applied to.
# RUN: not %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %inputs/schedule/bad-tile.py 2>&1 \
# RUN:   | FileCheck %s --check-prefix=BAD
# BAD: bad-tile.py:8:5: error: transform.structured.tile_using_for: too many tiles provided, expected at most 3 found 4
# BAD: matmul.mlir:6:8: note: when applied to this payload op
# BAD-NOT: Traceback
#
# The same through `tilewright compile --schedule`, which runs the schedule before bufferization.
# RUN: not %tilewright compile %inputs/schedule/matmul.mlir --emit scheduled --schedule %inputs/schedule/bad-tile.py \
# RUN:   2>&1 | FileCheck %s --check-prefix=BAD
#
# Using a consumed handle is caught while the script is built.
# RUN: not %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %inputs/schedule/stale-handle.py 2>&1 \
# RUN:   | FileCheck %s --check-prefix=STALE
# STALE: stale-handle.py:7:1: error: op handle from 'transform.structured.match' (
# STALE-SAME: stale-handle.py:5:6) is invalid: it was consumed by 'transform.structured.tile_using_for' at
# STALE-SAME: stale-handle.py:6:16; use the handles that op returned (or match again)
#
# A Python exception in the schedule is located at the line that raised it.
# RUN: not %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %inputs/schedule/raises.py 2>&1 \
# RUN:   | FileCheck %s --check-prefix=RAISES
# RAISES: raises.py:8:12: error: error in schedule: ZeroDivisionError: integer division or modulo by zero
# RAISES-NOT: Traceback
#
# RUN: not %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %inputs/schedule/no-schedule.py 2>&1 \
# RUN:   | FileCheck %s --check-prefix=NONE
# NONE: no-schedule.py: error: a Python schedule must define 'schedule'
#
# RUN: not %tilewright-opt %inputs/schedule/matmul.mlir --transform-script no-such-schedule 2>&1 \
# RUN:   | FileCheck %s --check-prefix=MISSING
# MISSING: no-such-schedule: error: schedule file not found
#
# Schedules can depend on the payload: ModuleInfo gives each linalg op's shapes, types and loops.
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %inputs/schedule/shape-dependent.py \
# RUN:   | FileCheck %s --check-prefix=SHAPES
# SHAPES: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}}
# SHAPES: linalg.matmul {m97_n33_k7_f32} ins(%{{.+}}, %{{.+}} : tensor<1x7xf32>, tensor<7x33xf32>)
#
# Build-time errors of the API itself (this file, run as a script).
# RUN: %python %s 2>&1 | FileCheck %s --check-prefix=API
# API: errors.py:[[# @LINE + 18]]:17: error: invalid 'transform.structured.pack_greedily': {{.*}} at most one of the
# API: errors.py:[[# @LINE + 18]]:17: error: unknown pattern set 'transform.apply_patterns.vector.no_such_patterns'
# API: errors.py:[[# @LINE + 18]]:17: error: knob 'tile': 5 is not one of its options [4, 8]
# API: errors.py:[[# @LINE + 18]]:17: error: tile_forall: give exactly one of num_threads= or tile_sizes=
# API: errors.py:[[# @LINE + 18]]:17: error: 'transform.nope' is not a registered operation

from tilewright.schedule import Schedule, ScheduleError


def attempt(build) -> None:
    try:
        build()
    except ScheduleError as exc:
        print(exc)


s = Schedule("api-errors")
mm = s.match("linalg.matmul")
attempt(lambda: mm.pack_greedily([8, 16, 32], matmul_padded_sizes_next_multiple_of=[8, 16, 32]))
attempt(lambda: mm.apply_patterns("vector.no_such_patterns"))
attempt(lambda: Schedule("k", knobs={"tile": 5}).knob("tile", [4, 8]))
attempt(lambda: mm.tile_forall())
attempt(lambda: s.op("transform.nope", [mm]))
