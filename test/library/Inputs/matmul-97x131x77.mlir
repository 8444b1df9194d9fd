// A matmul one row over 16 microkernel rows (97 = 16 x 6 + 1) and 3 columns over 8 microkernel
// columns (131 = 8 x 16 + 3), K in one slab; the accumulator is zero-filled.
func.func @main(%a: tensor<97x77xf32>, %b: tensor<77x131xf32>) -> tensor<97x131xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<97x131xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<97x131xf32>) -> tensor<97x131xf32>
  %r = linalg.matmul ins(%a, %b : tensor<97x77xf32>, tensor<77x131xf32>) outs(%acc : tensor<97x131xf32>) -> tensor<97x131xf32>
  return %r : tensor<97x131xf32>
}
