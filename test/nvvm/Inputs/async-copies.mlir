// Global -> shared copies of 4 floats: one in straight-line code (create_async_groups), and one per
// iteration of a loop that then reads them back (pipeline_shared_memory_copies, which wants the
// numeric shared memory space 3).
func.func @copy(%a: memref<1024x1024xf32>, %i: index) {
  %shared = memref.alloc() : memref<4x32x16xf32, #gpu.address_space<workgroup>>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %v = vector.transfer_read %a[%c0, %i], %zero {in_bounds = [true]} : memref<1024x1024xf32>, vector<4xf32>
  vector.transfer_write %v, %shared[%c0, %c0, %c0] {in_bounds = [true]} : vector<4xf32>, memref<4x32x16xf32, #gpu.address_space<workgroup>>
  return
}

func.func @loop(%global: memref<128xf32>, %result: memref<128xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %shared = memref.alloc() : memref<128xf32, 3>
  scf.for %i = %c0 to %c128 step %c4 {
    %v = vector.transfer_read %global[%i], %zero {in_bounds = [true]} : memref<128xf32>, vector<4xf32>
    vector.transfer_write %v, %shared[%i] {in_bounds = [true]} : vector<4xf32>, memref<128xf32, 3>
    %w = vector.transfer_read %shared[%i], %zero {in_bounds = [true]} : memref<128xf32, 3>, vector<4xf32>
    vector.transfer_write %w, %result[%i] {in_bounds = [true]} : vector<4xf32>, memref<128xf32>
  }
  return
}
