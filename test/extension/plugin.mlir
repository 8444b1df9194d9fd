// The plugin gives stock mlir-opt the tw dialect and transform.tw.*; without it
// mlir-opt does not know them.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --show-dialects | FileCheck %s
// RUN: not %mlir-opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN
// CHECK: Available Dialects:
// CHECK-SAME: tw
// NOPLUGIN: error: custom op 'transform.tw.fuse_consumer' is unknown

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f, %n = transform.tw.fuse_consumer %root into (%root)
        : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
