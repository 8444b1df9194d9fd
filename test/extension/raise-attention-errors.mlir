// transform.tw.raise_attention on payloads that do not end an attention: a
// silenceable failure naming the target and why, reported at the script's op;
// the payload is left as it was.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter \
// RUN:   --split-input-file --verify-diagnostics %s

// The Q.K^T contraction is not the end of the chain.
func.func public @simple(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
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
  // expected-note @below {{target: linalg.matmul}}
  %6 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%5 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6 : tensor<7x7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.divf %in, %cst : f32
    linalg.yield %18 : f32
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
  %17 = linalg.matmul ins(%14, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%16 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %17 : tensor<7x4xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mms = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %qk, %pv = transform.split_handle %mms : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %target = transform.merge_handles %qk : !transform.any_op
    // expected-error @below {{cannot raise the attention: P is not laid out (batch..., query, key)}}
    %att = transform.tw.raise_attention %target : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// Softmax over the queries (axis 0).
func.func public @wrong_axis(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>) -> (tensor<7x4xf32>) {
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
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %8 = tensor.empty() : tensor<7xf32>
  %9 = linalg.fill ins(%cst_0 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%7 : tensor<7x7xf32>) outs(%9 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.maximumf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%7, %10 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.subf %in, %in_2 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %12 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<7xf32>) -> tensor<7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%11 : tensor<7x7xf32>) outs(%12 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %18 = arith.addf %out, %in : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%11, %13 : tensor<7x7xf32>, tensor<7xf32>) outs(%4 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %18 = arith.divf %in, %in_2 : f32
    linalg.yield %18 : f32
  } -> tensor<7x7xf32>
  %15 = tensor.empty() : tensor<7x4xf32>
  %16 = linalg.fill ins(%cst_1 : f32) outs(%15 : tensor<7x4xf32>) -> tensor<7x4xf32>
  // expected-note @below {{target: linalg.matmul}}
  %17 = linalg.matmul ins(%14, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%16 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %17 : tensor<7x4xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mms = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %qk, %pv = transform.split_handle %mms : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %target = transform.merge_handles %pv : !transform.any_op
    // expected-error @below {{cannot raise the attention: P is not exp(...) divided by its row sum}}
    %att = transform.tw.raise_attention %target : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// (s + bias) * c: the scale applies after the bias.
func.func public @bias_after(%arg0: tensor<7x4xf32>, %arg1: tensor<7x4xf32>, %arg2: tensor<7x4xf32>, %arg3: tensor<7x7xf32>) -> (tensor<7x4xf32>) {
  %cst = arith.constant 5.000000e-01 : f32
  %cst_0 = arith.constant 0xFF800000 : f32
  %cst_1 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<4x7xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<7x4xf32>) outs(%0 : tensor<4x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x7xf32>
  %2 = tensor.empty() : tensor<7x7xf32>
  %3 = tensor.empty() : tensor<7x7xf32>
  %4 = linalg.fill ins(%cst_1 : f32) outs(%3 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %5 = linalg.matmul ins(%arg0, %1 : tensor<7x4xf32>, tensor<4x7xf32>) outs(%4 : tensor<7x7xf32>) -> tensor<7x7xf32>
  %6 = tensor.empty() : tensor<7xf32>
  %7 = linalg.fill ins(%cst_0 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %8 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%5, %arg3 : tensor<7x7xf32>, tensor<7x7xf32>) outs(%7 : tensor<7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %16 = arith.addf %in, %in_2 : f32
    %17 = arith.mulf %16, %cst : f32
    %18 = arith.maximumf %out, %17 : f32
    linalg.yield %18 : f32
  } -> tensor<7xf32>
  %9 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%5, %arg3, %8 : tensor<7x7xf32>, tensor<7x7xf32>, tensor<7xf32>) outs(%2 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %in_3: f32, %out: f32):
    %16 = arith.addf %in, %in_2 : f32
    %17 = arith.mulf %16, %cst : f32
    %18 = arith.subf %17, %in_3 : f32
    %19 = math.exp %18 : f32
    linalg.yield %19 : f32
  } -> tensor<7x7xf32>
  %10 = linalg.fill ins(%cst_1 : f32) outs(%6 : tensor<7xf32>) -> tensor<7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%9 : tensor<7x7xf32>) outs(%10 : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %16 = arith.addf %out, %in : f32
    linalg.yield %16 : f32
  } -> tensor<7xf32>
  %12 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%9, %11 : tensor<7x7xf32>, tensor<7xf32>) outs(%3 : tensor<7x7xf32>) {
  ^bb0(%in: f32, %in_2: f32, %out: f32):
    %16 = arith.divf %in, %in_2 : f32
    linalg.yield %16 : f32
  } -> tensor<7x7xf32>
  %13 = tensor.empty() : tensor<7x4xf32>
  %14 = linalg.fill ins(%cst_1 : f32) outs(%13 : tensor<7x4xf32>) -> tensor<7x4xf32>
  // expected-note @below {{target: linalg.matmul}}
  %15 = linalg.matmul ins(%12, %arg2 : tensor<7x7xf32>, tensor<7x4xf32>) outs(%14 : tensor<7x4xf32>) -> tensor<7x4xf32>
  return %15 : tensor<7x4xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mms = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %qk, %pv = transform.split_handle %mms : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %target = transform.merge_handles %pv : !transform.any_op
    // expected-error @below {{cannot raise the attention: a bias added after scaling or twice}}
    %att = transform.tw.raise_attention %target : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

func.func @not_a_contraction(%a: tensor<8xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  // expected-note @below {{target: linalg.fill}}
  %f = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  return %f : tensor<8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %target = transform.structured.match ops{["linalg.fill"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{cannot raise the attention: not a contraction on tensors (the P.V of attention)}}
    %att = transform.tw.raise_attention %target : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// The target must be an op handle.
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %p = transform.param.constant 1 : i64 -> !transform.param<i64>
    // expected-error @below {{operand #0 must be TransformHandleTypeInterface instance}}
    %att = transform.tw.raise_attention %p : (!transform.param<i64>) -> !transform.any_op
    transform.yield
  }
}
