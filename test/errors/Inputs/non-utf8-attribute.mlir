// An attribute name that is not UTF-8 (escaped in the text): must be an error, not an abort.
module {
  func.func @main(%x: tensor<3xf32> {"jax.\FF" = 1 : i32}) -> tensor<3xf32> {
    %0 = stablehlo.abs %x : tensor<3xf32>
    return %0 : tensor<3xf32>
  }
}
