// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-unit-stride-inserts)' | FileCheck %s

// lhs_dilation as the StableHLO legalization emits it: the input inserted at stride 2 into zeros,
// at offset 2, the destination one element short of the spread input (7 * 2 = 14 > 15 - 2). It
// becomes unit-stride ops: every element followed by a zero (expand, pad, collapse), the trailing
// zero dropped, the rest padded into place with the fill value.
// CHECK-LABEL: func.func @lhs_dilated
// CHECK-SAME:    (%[[X:.*]]: tensor<2x7x5xf32>)
// CHECK:         %[[Z:.*]] = arith.constant 0.0
// CHECK-NOT:     tensor.insert_slice
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2], [3]] output_shape [2, 7, 1, 5] : tensor<2x7x5xf32> into tensor<2x7x1x5xf32>
// CHECK:         %[[P:.*]] = tensor.pad %[[E]] low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK:           tensor.yield %[[Z]]
// CHECK:         } : tensor<2x7x1x5xf32> to tensor<2x7x2x5xf32>
// CHECK:         %[[C:.*]] = tensor.collapse_shape %[[P]] {{\[}}[0], [1, 2], [3]] : tensor<2x7x2x5xf32> into tensor<2x14x5xf32>
// CHECK:         %[[S:.*]] = tensor.extract_slice %[[C]][0, 0, 0] [2, 13, 5] [1, 1, 1] : tensor<2x14x5xf32> to tensor<2x13x5xf32>
// CHECK:         %[[R:.*]] = tensor.pad %[[S]] low[0, 2, 0] high[0, 0, 0]
// CHECK:         } : tensor<2x13x5xf32> to tensor<2x15x5xf32>
// CHECK:         return %[[R]]
func.func @lhs_dilated(%x: tensor<2x7x5xf32>) -> tensor<2x15x5xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x15x5xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x15x5xf32>) -> tensor<2x15x5xf32>
  %r = tensor.insert_slice %x into %f[0, 2, 0] [2, 7, 5] [1, 2, 1] : tensor<2x7x5xf32> into tensor<2x15x5xf32>
  return %r : tensor<2x15x5xf32>
}

// -----

// Two strided dims (3 and 2), no offset, the destination exactly the spread input: no slice, no
// second pad.
// CHECK-LABEL: func.func @two_strides
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2, 3]] output_shape [4, 1, 3, 1] : tensor<4x3xf32> into tensor<4x1x3x1xf32>
// CHECK:         tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 2, 0, 1]
// CHECK:         %[[C:.*]] = tensor.collapse_shape {{.*}} : tensor<4x3x3x2xf32> into tensor<12x6xf32>
// CHECK-NEXT:    return %[[C]]
func.func @two_strides(%x: tensor<4x3xf32>, %v: f32) -> tensor<12x6xf32> {
  %e = tensor.empty() : tensor<12x6xf32>
  %f = linalg.fill ins(%v : f32) outs(%e : tensor<12x6xf32>) -> tensor<12x6xf32>
  %r = tensor.insert_slice %x into %f[0, 0] [4, 3] [3, 2] : tensor<4x3xf32> into tensor<12x6xf32>
  return %r : tensor<12x6xf32>
}

// -----

// Into anything but a fill (here an argument), the insert is left as it is.
// CHECK-LABEL: func.func @into_an_argument
// CHECK:         tensor.insert_slice %{{.*}} into %{{.*}}[0] [4] [2]
// CHECK-NOT:     tensor.pad
func.func @into_an_argument(%x: tensor<4xf32>, %d: tensor<8xf32>) -> tensor<8xf32> {
  %r = tensor.insert_slice %x into %d[0] [4] [2] : tensor<4xf32> into tensor<8xf32>
  return %r : tensor<8xf32>
}
