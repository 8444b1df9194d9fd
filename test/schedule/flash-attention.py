# The schedule API's builders of the flash steps (C++ extension): query blocks on a forall,
# convert_to_online_attention, key blocks on a for, skip_invisible_keys, decompose_attention.
# The emitted script runs in tilewright-opt and in stock mlir-opt with the plugin.
#
# REQUIRES: tw-extension
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %inputs/schedule/attention-causal.mlir --transform-script %t.mlir | FileCheck %s
# RUN: %mlir-opt --load-dialect-plugin=%tw-plugin %inputs/schedule/attention-causal.mlir \
# RUN:   --transform-preload-library=transform-library-paths=%t.mlir --transform-interpreter | FileCheck %s
#
# Decomposing tw.attention before converting it: the error names the op at the schedule's line.
# RUN: %python %s wrong > %t.wrong.mlir
# RUN: not %tilewright-opt %inputs/schedule/attention-causal.mlir --transform-script %t.wrong.mlir 2>&1 \
# RUN:   | FileCheck %s --check-prefix=WRONG

# SCRIPT: %[[T:.+]], %[[F:.+]] = transform.structured.tile_using_forall %{{.+}} tile_sizes [16, 0, 0, 0]
# SCRIPT: %[[O:.+]], %{{.+}}, %{{.+}} = transform.tw.convert_to_online_attention %[[T]]
# SCRIPT: %[[B:.+]], %[[L:.+]] = transform.structured.tile_using_for %[[O]] tile_sizes [0, 32, 0, 0]
# SCRIPT: transform.tw.skip_invisible_keys %[[L]]
# SCRIPT: transform.tw.decompose_attention %[[B]]

# CHECK-LABEL: func.func @main
# CHECK:       scf.forall
# CHECK:         arith.minsi
# CHECK:         scf.for
# CHECK:           linalg.generic
# CHECK:             arith.mulf
# CHECK:           math.exp
# CHECK:           scf.yield
# CHECK:         arith.divf
# CHECK-NOT:   tw.

# WRONG: error: transform.tw.decompose_attention: expects tw.online_attention ops
# WRONG: note: payload op: tw.attention

import sys

from tilewright.schedule import Schedule


def flash() -> Schedule:
    s = Schedule("flash")
    rows, _ = s.match("tw.attention").tile_forall(tile_sizes=[16, 0, 0, 0])
    online, _normalize, _fills = rows.convert_to_online_attention()
    blocks, (keys,) = online.tile([0, 32, 0, 0])
    keys.skip_invisible_keys()
    blocks.decompose_attention()
    return s


def wrong() -> Schedule:
    s = Schedule("flash-wrong")
    s.match("tw.attention").decompose_attention()
    return s


if __name__ == "__main__":
    print(wrong() if sys.argv[1:] == ["wrong"] else flash())
