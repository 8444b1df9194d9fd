// A valid boolean program whose stores get vectorized (fuzz finding, see ../fuzz-i1-vector-store.mlir).
func.func public @main(%a: tensor<20x3xi1>, %b: tensor<20x3xi1>) -> tensor<20x3xi1> {
  %0 = stablehlo.and %a, %b : tensor<20x3xi1>
  return %0 : tensor<20x3xi1>
}
