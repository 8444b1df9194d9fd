# The schedule API's builder of transform.tw.fuse_consumer (C++ extension): the elementwise add
# after a convolution is computed in the conv's tiled nest, tile by tile. The emitted script runs in
# tilewright-opt and in stock mlir-opt with the plugin.
#
# REQUIRES: tw-extension
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %inputs/schedule/conv-add.mlir --transform-script %t.mlir | FileCheck %s
# RUN: %mlir-opt --load-dialect-plugin=%tw-plugin %inputs/schedule/conv-add.mlir \
# RUN:   --transform-preload-library=transform-library-paths=%t.mlir --transform-interpreter | FileCheck %s
#
# A consumer that does not read the nest: the error names the op at the schedule's line.
# RUN: %python %s wrong > %t.wrong.mlir
# RUN: not %tilewright-opt %inputs/schedule/conv-add.mlir --transform-script %t.wrong.mlir 2>&1 \
# RUN:   | FileCheck %s --check-prefix=WRONG

# SCRIPT: %[[T:.+]], %[[L:.+]]:2 = transform.structured.tile_using_for %{{.+}} tile_sizes [0, 1, 7]
# SCRIPT: transform.tw.fuse_consumer %{{.+}} into(%[[L]]#0, %[[L]]#1)

# CHECK-LABEL: func.func @main
# CHECK:       scf.for
# CHECK:         scf.for
# CHECK:           linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x1x7x5xf32>
# CHECK:           linalg.generic
# CHECK:             arith.addf
# CHECK:           scf.yield
# CHECK-NOT:   linalg.generic

# WRONG: error: transform.tw.fuse_consumer: the consumer does not use a result of the outermost loop
# WRONG: note: consumer: linalg.fill

import sys

from tilewright.schedule import Schedule


def fused() -> Schedule:
    s = Schedule("fuse-consumer")
    conv = s.match("linalg.conv_2d_nhwc_hwcf")
    add = s.match("linalg.generic")
    _, loops = conv.tile([0, 1, 7])
    add.fuse_consumer(loops)
    return s


def wrong() -> Schedule:
    s = Schedule("fuse-consumer-wrong")
    _, loops = s.match("linalg.conv_2d_nhwc_hwcf").tile([0, 1, 7])
    s.match("linalg.fill").fuse_consumer(loops)
    return s


if __name__ == "__main__":
    print(wrong() if sys.argv[1:] == ["wrong"] else fused())
