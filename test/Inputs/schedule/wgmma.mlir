// A warpgroup's (one block of 128 threads) f16 matmul on memrefs, after
// bufferization and the GPU mapping: the payload of test/schedule/wgmma.py.
func.func @main(%a: memref<64x32xf16>, %b: memref<32x24xf16>, %c: memref<64x24xf32>,
                %d: memref<64x32xf32>, %e: memref<32x24xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    linalg.matmul ins(%a, %b : memref<64x32xf16>, memref<32x24xf16>) outs(%c : memref<64x24xf32>)
    linalg.matmul ins(%d, %e : memref<64x32xf32>, memref<32x24xf32>) outs(%c : memref<64x24xf32>)
    gpu.terminator
  }
  return
}
