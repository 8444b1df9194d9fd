// A matmul with a zero-filled accumulator, as JAX's dot_general legalizes; 97 and 33 are not multiples of tiles.
func.func @main(%a: tensor<97x7xf32>, %b: tensor<7x33xf32>) -> tensor<97x33xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<97x33xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<97x33xf32>) -> tensor<97x33xf32>
  %r = linalg.matmul ins(%a, %b : tensor<97x7xf32>, tensor<7x33xf32>) outs(%acc : tensor<97x33xf32>) -> tensor<97x33xf32>
  return %r : tensor<97x33xf32>
}
