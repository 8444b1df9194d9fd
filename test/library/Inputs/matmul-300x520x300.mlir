// A matmul whose M, N and K are not multiples of the AVX2 microkernel (6 x 16), the K slab (256)
// or the pack tile (16); the accumulator is zero-filled, as JAX's dot_general legalizes.
func.func @main(%a: tensor<300x300xf32>, %b: tensor<300x520xf32>) -> tensor<300x520xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<300x520xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<300x520xf32>) -> tensor<300x520xf32>
  %r = linalg.matmul ins(%a, %b : tensor<300x300xf32>, tensor<300x520xf32>) outs(%acc : tensor<300x520xf32>) -> tensor<300x520xf32>
  return %r : tensor<300x520xf32>
}
