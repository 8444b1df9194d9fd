// transform.tw.raise_attention: the P.V contraction of a causal attention (as
// `tilewright compile --emit linalg` prints it) becomes tw.attention; the
// handle it returns holds that op, which keeps the root's tag (tw.op_id). Stock mlir-opt with the plugin, and
// tilewright-opt.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter %s | FileCheck %s
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(transform-interpreter)' | FileCheck %s

// CHECK-LABEL: func.func public @causal(
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     linalg.matmul
// CHECK:         %[[O:.*]] = tw.attention causal scale = 5.000000e-01 indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}] ins(%arg0, %arg1, %arg2 : tensor<7x4xf32>, tensor<7x4xf32>, tensor<7x4xf32>)
// CHECK-SAME:      {raised, tw.op_id = 7 : i64}
// CHECK-NEXT:    return %[[O]]

func.func public @causal(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 2.000000e+00 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = tensor.empty() : tensor<7x7xf32>
  %5 = linalg.fill ins(%cst_1 : f32) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%5 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6 : tensor<7x7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.divf %in, %cst : f32
    %19 = linalg.index 0 : index
    %20 = linalg.index 1 : index
    %21 = arith.index_cast %20 : index to i32
    %22 = arith.index_cast %19 : index to i32
    %23 = arith.cmpi sge, %22, %21 : i32
    %24 = arith.select %23, %18, %cst_0 : f32
    linalg.yield %24 : f32
  } -> tensor<7x7xf32>
  %8 = tensor.empty() : tensor<7xf32>
  %9 = linalg.fill ins(%cst_0 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%7 : tensor<7x7xf32>) outs(%9 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.maximumf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%7, %10 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.subf %in, %in_2 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %12 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%11 : tensor<7x7xf32>) outs(%12 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.addf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%11, %13 : tensor<7x7xf32>, tensor<7xf32>) outs(%4 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.divf %in, %in_2 : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %15 = tensor.empty() : tensor<7x4xf32>
  %16 = linalg.fill ins(%cst_1 : f32) outs(%15 : tensor<7x4xf32>) -> tensor<7x4xf32>
  %17 = linalg.matmul {tw.op_id = 7 : i64} ins(%14, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%16 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %17 : tensor<7x4xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mms = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // The second matmul is P.V.
    %qk, %pv = transform.split_handle %mms : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %att = transform.tw.raise_attention %pv : (!transform.any_op) -> !transform.any_op
    // The result handle points at the new op.
    transform.annotate %att "raised" : !transform.any_op
    transform.yield
  }
}
