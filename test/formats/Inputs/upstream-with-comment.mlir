// Lowered by hand from stablehlo.add; mhlo.sharding below is a plain attribute.
func.func @main(%a: tensor<7xf32>, %b: tensor<7xf32>) -> tensor<7xf32> attributes {mhlo.sharding = "{replicated}"} {
  %e = tensor.empty() : tensor<7xf32>
  %r = linalg.add ins(%a, %b : tensor<7xf32>, tensor<7xf32>) outs(%e : tensor<7xf32>) -> tensor<7xf32>
  return %r : tensor<7xf32>
}
