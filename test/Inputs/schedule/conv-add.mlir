// A 3x3 NHWC/HWCF convolution followed by an identity-map elementwise add (flattenable).
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @main(%x: tensor<1x9x9x3xf32>, %w: tensor<3x3x3x5xf32>, %b: tensor<1x7x7x5xf32>) -> tensor<1x7x7x5xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x7x7x5xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x7x7x5xf32>) -> tensor<1x7x7x5xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x9x9x3xf32>, tensor<3x3x3x5xf32>) outs(%acc : tensor<1x7x7x5xf32>) -> tensor<1x7x7x5xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<1x7x7x5xf32>, tensor<1x7x7x5xf32>) outs(%empty : tensor<1x7x7x5xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<1x7x7x5xf32>
  return %r : tensor<1x7x7x5xf32>
}
