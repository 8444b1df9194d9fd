// A fill of a fresh tensor inserted into a slice of the argument: the empty can become that slice.
func.func @main(%dest: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %one = arith.constant 1.0 : f32
  %empty = tensor.empty() : tensor<4x16xf32>
  %filled = linalg.fill ins(%one : f32) outs(%empty : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = tensor.insert_slice %filled into %dest[2, 0] [4, 16] [1, 1] : tensor<4x16xf32> into tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
