// A matmul as the MLP's first layer at 97 rows: B (512 x 1024) is the larger operand, K spans two
// K slabs of 256 and N two column blocks of 512 (AVX-512 tiles); 97 rows are no multiple of 8.
func.func @main(%a: tensor<97x512xf32>, %b: tensor<512x1024xf32>) -> tensor<97x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<97x1024xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<97x1024xf32>) -> tensor<97x1024xf32>
  %r = linalg.matmul ins(%a, %b : tensor<97x512xf32>, tensor<512x1024xf32>) outs(%acc : tensor<97x1024xf32>) -> tensor<97x1024xf32>
  return %r : tensor<97x1024xf32>
}
