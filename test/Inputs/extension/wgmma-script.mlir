// Every linalg.matmul of the payload -> wgmma (test/extension/wgmma-ptx.mlir).
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}
