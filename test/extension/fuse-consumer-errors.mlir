// transform.tw.fuse_consumer on the wrong payload: located diagnostics, no assertion.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter \
// RUN:   --split-input-file --verify-diagnostics %s

func.func @not_a_consumer(%a: tensor<64x32xf32>, %b: tensor<32x48xf32>, %c: tensor<64x48xf32>) -> tensor<64x48xf32> {
  %mm = linalg.matmul ins(%a, %b : tensor<64x32xf32>, tensor<32x48xf32>) outs(%c : tensor<64x48xf32>) -> tensor<64x48xf32>
  // expected-note @below {{consumer: linalg.generic}}
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      outs(%c : tensor<64x48xf32>) {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<64x48xf32>
  return %r : tensor<64x48xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %gen = transform.structured.match ops{["linalg.generic"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %l0 = transform.structured.tile_using_for %mm tile_sizes [16]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    // expected-error @below {{the consumer does not use a result of the outermost loop}}
    %fused, %n0 = transform.tw.fuse_consumer %gen into (%l0)
        : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

func.func @not_a_loop(%a: tensor<8xf32>) -> tensor<8xf32> {
  // expected-note @below {{payload op: arith.addf}}
  %s = arith.addf %a, %a : tensor<8xf32>
  return %s : tensor<8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %add = transform.structured.match ops{["arith.addf"]} in %root : (!transform.any_op) -> !transform.any_op
    %ret = transform.structured.match ops{["func.return"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects scf.for or scf.forall loops}}
    %fused, %n0 = transform.tw.fuse_consumer %ret into (%add)
        : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

func.func @empty() {
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{returns one new loop handle per loop handle: 1 loops but 2 results}}
    %fused, %n0, %n1 = transform.tw.fuse_consumer %f into (%f)
        : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
