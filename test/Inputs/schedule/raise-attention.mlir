// GPT-2's causal attention over [seq, heads, dim] (7 x 2 x 4) as `tilewright compile
// --emit linalg` prints it: batch_matmuls over heads, the softmax between them.
func.func public @main(%arg0: tensor<7x2x4xf32>, %arg1: tensor<7x2x4xf32>, %arg2: tensor<7x2x4xf32>) -> (tensor<7x2x4xf32>) {
  %cst = arith.constant -3.40282347E+38 : f32
  %cst_0 = arith.constant 2.000000e+00 : f32
  %cst_1 = arith.constant 0xFF800000 : f32
  %cst_2 = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x7x7xf32>
  %1 = tensor.empty() : tensor<2x7x7xf32>
  %2 = tensor.empty() : tensor<2x7x7xf32>
  %3 = tensor.empty() : tensor<2x7x4xf32>
  %transposed = linalg.transpose ins(%arg0 : tensor<7x2x4xf32>) outs(%3 : tensor<2x7x4xf32>) permutation = [1, 0, 2] 
  %4 = tensor.empty() : tensor<2x4x7xf32>
  %transposed_3 = linalg.transpose ins(%arg1 : tensor<7x2x4xf32>) outs(%4 : tensor<2x4x7xf32>) permutation = [1, 2, 0] 
  %5 = linalg.fill ins(%cst_2 : f32) outs(%2 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %6 = linalg.batch_matmul ins(%transposed, %transposed_3 : tensor<2x7x4xf32>, tensor<2x4x7xf32>) outs(%5 : tensor<2x7x7xf32>) -> tensor<2x7x7xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%6 : tensor<2x7x7xf32>) outs(%0 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.divf %in, %cst_0 : f32
    %20 = linalg.index 1 : index
    %21 = linalg.index 2 : index
    %22 = arith.index_cast %21 : index to i32
    %23 = arith.index_cast %20 : index to i32
    %24 = arith.cmpi sge, %23, %22 : i32
    %25 = arith.select %24, %19, %cst : f32
    linalg.yield %25 : f32
  } -> tensor<2x7x7xf32>
  %8 = tensor.empty() : tensor<2x7xf32>
  %9 = linalg.fill ins(%cst_1 : f32) outs(%8 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%7 : tensor<2x7x7xf32>) outs(%9 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.maximumf %out, %in : f32
    linalg.yield %19 : f32
  } -> tensor<2x7xf32>
  %11 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%7, %10 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%1 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %19 = arith.subf %in, %in_6 : f32
    %20 = math.exp %19 : f32
    linalg.yield %20 : f32
  } -> tensor<2x7x7xf32>
  %12 = linalg.fill ins(%cst_2 : f32) outs(%8 : tensor<2x7xf32>) -> tensor<2x7xf32>
  %13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%11 : tensor<2x7x7xf32>) outs(%12 : tensor<2x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %19 = arith.addf %out, %in : f32
    linalg.yield %19 : f32
  } -> tensor<2x7xf32>
  %14 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%11, %13 : tensor<2x7x7xf32>, tensor<2x7xf32>) outs(%2 : tensor<2x7x7xf32>) {
  ^bb0(%in: f32, %in_6: f32, %out: f32):
    %19 = arith.divf %in, %in_6 : f32
    linalg.yield %19 : f32
  } -> tensor<2x7x7xf32>
  %transposed_4 = linalg.transpose ins(%arg2 : tensor<7x2x4xf32>) outs(%3 : tensor<2x7x4xf32>) permutation = [1, 0, 2] 
  %15 = linalg.fill ins(%cst_2 : f32) outs(%3 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %16 = linalg.batch_matmul ins(%14, %transposed_4 : tensor<2x7x7xf32>, tensor<2x7x4xf32>) outs(%15 : tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %transposed_5 = linalg.transpose ins(%16 : tensor<2x7x4xf32>) outs(%4 : tensor<2x4x7xf32>) permutation = [0, 2, 1] 
  %17 = tensor.empty() : tensor<7x2x4xf32>
  %18 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2, d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%transposed_5 : tensor<2x4x7xf32>) outs(%17 : tensor<7x2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<7x2x4xf32>
  return %18 : tensor<7x2x4xf32>
}
