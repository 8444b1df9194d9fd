// A symbol name that is not UTF-8 (escaped in the text), in an upstream-only program.
func.func @"\FF"(%a: tensor<3xf32>) -> tensor<3xf32> {
  return %a : tensor<3xf32>
}
func.func @main(%a: tensor<3xf32>) -> tensor<3xf32> {
  return %a : tensor<3xf32>
}
