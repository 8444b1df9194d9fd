// A 64x128 transpose-free copy staged through one 32x32 workgroup tile per block: each of the
// 32x4 threads writes 8 floats of a row into the tile, then reads 8 of a column back out (other
// threads' values: the barrier between the two thread foralls orders them).
#map = affine_map<(d0) -> (d0 * 32)>
#map8 = affine_map<(d0) -> (d0 * 8)>
func.func @main(%a: memref<64x128xf32>, %b: memref<64x128xf32>) {
  scf.forall (%i, %j) in (2, 4) {
    %oi = affine.apply #map(%i)
    %oj = affine.apply #map(%j)
    %sa = memref.subview %a[%oi, %oj] [32, 32] [1, 1] : memref<64x128xf32> to memref<32x32xf32, strided<[128, 1], offset: ?>>
    %sb = memref.subview %b[%oi, %oj] [32, 32] [1, 1] : memref<64x128xf32> to memref<32x32xf32, strided<[128, 1], offset: ?>>
    %tile = memref.alloc() : memref<32x32xf32, #gpu.address_space<workgroup>>
    scf.forall (%ti, %tj) in (32, 4) {
      %tj8 = affine.apply #map8(%tj)
      %ta = memref.subview %sa[%ti, %tj8] [1, 8] [1, 1] : memref<32x32xf32, strided<[128, 1], offset: ?>> to memref<1x8xf32, strided<[128, 1], offset: ?>>
      %tt = memref.subview %tile[%ti, %tj8] [1, 8] [1, 1] : memref<32x32xf32, #gpu.address_space<workgroup>> to memref<1x8xf32, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>
      linalg.copy ins(%ta : memref<1x8xf32, strided<[128, 1], offset: ?>>) outs(%tt : memref<1x8xf32, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>)
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
    scf.forall (%ti, %tj) in (32, 4) {
      %tj8 = affine.apply #map8(%tj)
      %tt = memref.subview %tile[%tj8, %ti] [8, 1] [1, 1] : memref<32x32xf32, #gpu.address_space<workgroup>> to memref<8x1xf32, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>
      %tb = memref.subview %sb[%tj8, %ti] [8, 1] [1, 1] : memref<32x32xf32, strided<[128, 1], offset: ?>> to memref<8x1xf32, strided<[128, 1], offset: ?>>
      linalg.copy ins(%tt : memref<8x1xf32, strided<[32, 1], offset: ?>, #gpu.address_space<workgroup>>) outs(%tb : memref<8x1xf32, strided<[128, 1], offset: ?>>)
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
    memref.dealloc %tile : memref<32x32xf32, #gpu.address_space<workgroup>>
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}
