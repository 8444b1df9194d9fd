# The schedule API's builder of transform.tw.raise_attention (C++ extension): the P.V
# contraction (the second batch_matmul) becomes tw.attention, which the flash steps then
# take. The emitted script runs in tilewright-opt and in stock mlir-opt with the plugin.
#
# REQUIRES: tw-extension
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %inputs/schedule/raise-attention.mlir --transform-script %t.mlir | FileCheck %s
# RUN: %mlir-opt --load-dialect-plugin=%tw-plugin %inputs/schedule/raise-attention.mlir \
# RUN:   --transform-preload-library=transform-library-paths=%t.mlir --transform-interpreter | FileCheck %s
#
# Raising the Q.K^T contraction instead: the error names the target at the schedule's line.
# RUN: %python %s wrong > %t.wrong.mlir
# RUN: not %tilewright-opt %inputs/schedule/raise-attention.mlir --transform-script %t.wrong.mlir 2>&1 \
# RUN:   | FileCheck %s --check-prefix=WRONG

# SCRIPT: %[[MM:.+]] = transform.structured.match ops{["linalg.batch_matmul"]}
# SCRIPT: %[[S:.+]]:2 = transform.split_handle %[[MM]]
# SCRIPT: %[[A:.+]] = transform.tw.raise_attention %[[S]]#1 : (!transform.any_op) -> !transform.any_op
# SCRIPT: transform.tw.convert_to_online_attention %[[A]]

# CHECK-LABEL: func.func public @main
# CHECK-NOT:   linalg.batch_matmul
# CHECK:       linalg.fill
# CHECK:       tw.online_attention causal scale = 5.000000e-01
# CHECK-SAME:    ins(%arg0, %arg1, %arg2 : tensor<7x2x4xf32>, tensor<7x2x4xf32>, tensor<7x2x4xf32>)
# CHECK:       arith.divf
# CHECK-NOT:   linalg.batch_matmul

# WRONG: error: transform.tw.raise_attention: cannot raise the attention: P is not laid out (batch..., query, key)
# WRONG: note: target: linalg.batch_matmul

import sys

from tilewright.schedule import Schedule


def raised() -> Schedule:
    s = Schedule("raise")
    _qk, pv = s.match("linalg.batch_matmul").split(2)
    attention = pv.raise_attention()
    attention.convert_to_online_attention()
    return s


def wrong() -> Schedule:
    s = Schedule("raise-wrong")
    qk, _pv = s.match("linalg.batch_matmul").split(2)
    qk.raise_attention()
    return s


if __name__ == "__main__":
    print(wrong() if sys.argv[1:] == ["wrong"] else raised())
