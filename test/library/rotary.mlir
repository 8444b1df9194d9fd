// The rotary embedding of test/opt/select-branches.mlir under the default schedule: the
// concatenate's branch became a select, the rest of the block is tiled around it, and no scf.if
// is left (the element reads stay scalar: see tilewright/linalg/branches.py).
// RUN: %tilewright compile %s --emit scheduled | FileCheck %s
// RUN: %tilewright run %s --random-inputs | FileCheck %s --check-prefix=EXEC
// CHECK-LABEL: func.func @main
// CHECK-NOT:     scf.if
// CHECK:         scf.for
// CHECK:           linalg.generic
// CHECK:             %[[A:.*]] = tensor.extract %{{.*}} : tensor<7x3x8xf32>
// CHECK:             %[[B:.*]] = tensor.extract %{{.*}} : tensor<7x3x16xf32>
// CHECK:             arith.select %{{.*}}, %[[A]], %[[B]] : f32
// CHECK-NOT:     scf.if
// EXEC: result0: float32[7, 3, 16]
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#b = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
func.func @main(%q: tensor<7x3x16xf32>, %cos: tensor<7x1x16xf32>, %sin: tensor<7x1x16xf32>) -> tensor<7x3x16xf32> {
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<7x3x16xf32>
  %x1 = tensor.extract_slice %q[0, 0, 0] [7, 3, 8] [1, 1, 1] : tensor<7x3x16xf32> to tensor<7x3x8xf32>
  %x2 = tensor.extract_slice %q[0, 0, 8] [7, 3, 8] [1, 1, 1] : tensor<7x3x16xf32> to tensor<7x3x8xf32>
  %eh = tensor.empty() : tensor<7x3x8xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x2 : tensor<7x3x8xf32>) outs(%eh : tensor<7x3x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<7x3x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #b, #b, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%q, %cos, %sin : tensor<7x3x16xf32>, tensor<7x1x16xf32>, tensor<7x1x16xf32>) outs(%e : tensor<7x3x16xf32>) {
  ^bb0(%in: f32, %c: f32, %s: f32, %o: f32):
    %i = linalg.index 0 : index
    %h = linalg.index 1 : index
    %j = linalg.index 2 : index
    %lo = arith.cmpi ult, %j, %c8 : index
    %rot = scf.if %lo -> (f32) {
      %a = tensor.extract %neg[%i, %h, %j] : tensor<7x3x8xf32>
      scf.yield %a : f32
    } else {
      %k = arith.subi %j, %c8 : index
      %b = tensor.extract %x1[%i, %h, %k] : tensor<7x3x8xf32>
      scf.yield %b : f32
    }
    %qc = arith.mulf %in, %c : f32
    %rs = arith.mulf %rot, %s : f32
    %sum = arith.addf %qc, %rs : f32
    linalg.yield %sum : f32
  } -> tensor<7x3x16xf32>
  return %r : tensor<7x3x16xf32>
}

