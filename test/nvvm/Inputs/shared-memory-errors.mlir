// Workgroup buffers the NVVM target rejects (one per chunk).
func.func @too_big(%a: memref<64xf32>) {
  scf.forall (%i) in (2) {
    %x = memref.alloc() : memref<64x128xf32, #gpu.address_space<workgroup>>
    %y = memref.alloc() : memref<64x128xf32, #gpu.address_space<workgroup>>
    scf.forall (%t) in (32) {
      %v = memref.load %x[%t, %t] : memref<64x128xf32, #gpu.address_space<workgroup>>
      %w = memref.load %y[%t, %t] : memref<64x128xf32, #gpu.address_space<workgroup>>
      %s = arith.addf %v, %w : f32
      memref.store %s, %a[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @dynamic(%a: memref<64xf32>, %n: index) {
  scf.forall (%i) in (2) {
    %x = memref.alloc(%n) : memref<?xf32, #gpu.address_space<workgroup>>
    scf.forall (%t) in (32) {
      %v = memref.load %x[%t] : memref<?xf32, #gpu.address_space<workgroup>>
      memref.store %v, %a[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @host(%a: memref<64xf32>) {
  %x = memref.alloc() : memref<64xf32, #gpu.address_space<workgroup>>
  scf.forall (%i) in (2) {
    scf.forall (%t) in (32) {
      %v = memref.load %x[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %v, %a[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}
