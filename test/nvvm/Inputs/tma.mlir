// A block copies a 64x32 tile of global memory into shared memory (what a sm_90 TMA load replaces).
func.func @main(%a: memref<64x32xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%u = %c128, %v = %c1, %w = %c1) {
    %shared = memref.alloc() : memref<64x32xf32, #gpu.address_space<workgroup>>
    linalg.copy ins(%a : memref<64x32xf32>) outs(%shared : memref<64x32xf32, #gpu.address_space<workgroup>>)
    gpu.terminator
  }
  return
}
