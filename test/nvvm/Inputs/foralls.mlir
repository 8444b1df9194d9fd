// A bufferized 64x128 elementwise op tiled by hand: 2x4 blocks of 32x32, 32x4 threads of 1x8.
#map = affine_map<(d0) -> (d0 * 32)>
#map8 = affine_map<(d0) -> (d0 * 8)>
func.func @main(%a: memref<64x128xf32>, %b: memref<64x128xf32>) {
  scf.forall (%i, %j) in (2, 4) {
    %oi = affine.apply #map(%i)
    %oj = affine.apply #map(%j)
    %sa = memref.subview %a[%oi, %oj] [32, 32] [1, 1] : memref<64x128xf32> to memref<32x32xf32, strided<[128, 1], offset: ?>>
    %sb = memref.subview %b[%oi, %oj] [32, 32] [1, 1] : memref<64x128xf32> to memref<32x32xf32, strided<[128, 1], offset: ?>>
    scf.forall (%ti, %tj) in (32, 4) {
      %tj8 = affine.apply #map8(%tj)
      %ta = memref.subview %sa[%ti, %tj8] [1, 8] [1, 1] : memref<32x32xf32, strided<[128, 1], offset: ?>> to memref<1x8xf32, strided<[128, 1], offset: ?>>
      %tb = memref.subview %sb[%ti, %tj8] [1, 8] [1, 1] : memref<32x32xf32, strided<[128, 1], offset: ?>> to memref<1x8xf32, strided<[128, 1], offset: ?>>
      linalg.copy ins(%ta : memref<1x8xf32, strided<[128, 1], offset: ?>>) outs(%tb : memref<1x8xf32, strided<[128, 1], offset: ?>>)
    } {mapping = [#gpu.thread<x>, #gpu.thread<y>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}
