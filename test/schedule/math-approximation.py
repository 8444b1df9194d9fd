# The schedule API's pattern set for transform.apply_patterns.tw.math_approximation (C++
# extension): erf and log become upstream's polynomials, tanh (not named) stays. The emitted
# script runs in tilewright-opt and in stock mlir-opt with the plugin.
#
# REQUIRES: tw-extension
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %inputs/schedule/math-functions.mlir --transform-script %t.mlir \
# RUN:   | FileCheck %s
# RUN: %mlir-opt --load-dialect-plugin=%tw-plugin %inputs/schedule/math-functions.mlir \
# RUN:   --transform-preload-library=transform-library-paths=%t.mlir --transform-interpreter | FileCheck %s
#
# An op it has no polynomial for: the error is at the schedule's line, when the script is built.
# RUN: not %python %s wrong 2>&1 | FileCheck %s --check-prefix=WRONG

# SCRIPT: transform.apply_patterns to %{{.+}} {
# SCRIPT:   transform.apply_patterns.tw.math_approximation ops = ["erf", "log"]

# CHECK-LABEL: func.func @payload
# CHECK-NOT:     math.erf
# CHECK:         arith.constant 0x4B000000 : f32
# CHECK-NOT:     math.log
# CHECK:         math.tanh %{{.*}} : vector<8xf32>

# WRONG: math-approximation.py:[[# @LINE + 10]]:5: error: pattern set 'tw.math_approximation':
# WRONG-SAME: 'transform.apply_patterns.tw.math_approximation' op has no approximation of 'math.rsqrt'

import sys

from tilewright.schedule import Schedule, patterns


def schedule(*ops: str) -> Schedule:
    s = Schedule("math-approximation")
    s.match("func.func").apply_patterns(patterns.math_approximation(*ops))
    return s


if __name__ == "__main__":
    print(schedule("erf", "rsqrt") if sys.argv[1:] == ["wrong"] else schedule("erf", "log"))
