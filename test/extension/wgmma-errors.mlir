// transform.tw.rewrite_matmul_as_wgmma on payloads it cannot rewrite: a
// silenceable failure naming the target and why, reported at the script's op;
// the payload is left as it was.
// REQUIRES: tw-extension
// RUN: %mlir-opt --load-dialect-plugin=%tw-plugin --transform-interpreter \
// RUN:   --split-input-file --verify-diagnostics %s

// Not a matmul.
func.func @f(%a: memref<64x16xf16>, %b: memref<16x16xf16>, %c: memref<64x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    %z = arith.constant 0.0 : f32
    // expected-note @below {{target: linalg.fill}}
    linalg.fill ins(%z : f32) outs(%c : memref<64x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.fill"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects a linalg.matmul}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// Outside a kernel.
func.func @f(%a: memref<64x16xf16>, %b: memref<16x16xf16>, %c: memref<64x16xf32>) {
  // expected-note @below {{target: linalg.matmul}}
  linalg.matmul ins(%a, %b : memref<64x16xf16>, memref<16x16xf16>) outs(%c : memref<64x16xf32>)
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects the matmul inside a gpu.launch or gpu.func (map it to a warpgroup first)}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// f32 operands.
func.func @f(%a: memref<64x16xf32>, %b: memref<16x16xf32>, %c: memref<64x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<64x16xf32>, memref<16x16xf32>) outs(%c : memref<64x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects f16 or bf16 A and B of one type and an f32 C}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// Mixed f16 and bf16.
func.func @f(%a: memref<64x16xf16>, %b: memref<16x16xbf16>, %c: memref<64x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<64x16xf16>, memref<16x16xbf16>) outs(%c : memref<64x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects f16 or bf16 A and B of one type and an f32 C}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// M not a multiple of 64.
func.func @f(%a: memref<32x16xf16>, %b: memref<16x16xf16>, %c: memref<32x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<32x16xf16>, memref<16x16xf16>) outs(%c : memref<32x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects M a multiple of 64, N a multiple of 8 up to 256 and K a multiple of 16, got 32x16x16}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// N past 256.
func.func @f(%a: memref<64x16xf16>, %b: memref<16x264xf16>, %c: memref<64x264xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<64x16xf16>, memref<16x264xf16>) outs(%c : memref<64x264xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects M a multiple of 64, N a multiple of 8 up to 256 and K a multiple of 16, got 64x264x16}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// K not a multiple of 16.
func.func @f(%a: memref<64x8xf16>, %b: memref<8x16xf16>, %c: memref<64x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<64x8xf16>, memref<8x16xf16>) outs(%c : memref<64x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects M a multiple of 64, N a multiple of 8 up to 256 and K a multiple of 16, got 64x16x8}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// Dynamic shapes.
func.func @f(%a: memref<?x16xf16>, %b: memref<16x16xf16>, %c: memref<?x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<?x16xf16>, memref<16x16xf16>) outs(%c : memref<?x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects static shapes}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// Too many accumulator registers: 2 x 256 / 2.
func.func @f(%a: memref<128x16xf16>, %b: memref<16x256xf16>, %c: memref<128x256xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<128x16xf16>, memref<16x256xf16>) outs(%c : memref<128x256xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{the f32 accumulator would take 256 registers per thread (at most 128): tile M or N smaller}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// Staging larger than 48 KiB: (64 + 128) x 144 x 2 bytes.
func.func @f(%a: memref<64x144xf16>, %b: memref<144x128xf16>, %c: memref<64x128xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<64x144xf16>, memref<144x128xf16>) outs(%c : memref<64x128xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{staging A and B takes 55296 bytes of shared memory (at most 48 KiB): tile K smaller}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// Private memory.
func.func @f(%a: memref<64x16xf16, #gpu.address_space<private>>, %b: memref<16x16xf16>, %c: memref<64x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
      linalg.matmul ins(%a, %b : memref<64x16xf16, #gpu.address_space<private>>, memref<16x16xf16>) outs(%c : memref<64x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects operands in global or workgroup memory, not private}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// Tensors: bufferize first.
func.func @f(%a: tensor<64x16xf16>, %b: tensor<16x16xf16>, %c: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-note @below {{target: linalg.matmul}}
  %r = linalg.matmul ins(%a, %b : tensor<64x16xf16>, tensor<16x16xf16>) outs(%c : tensor<64x16xf32>) -> tensor<64x16xf32>
  return %r : tensor<64x16xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects a linalg.matmul on memrefs (bufferize first)}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}

// -----

// A transposed B (user-defined maps).
func.func @f(%a: memref<64x16xf16>, %b: memref<16x16xf16>, %c: memref<64x16xf32>) {
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    // expected-note @below {{target: linalg.matmul}}
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<64x16xf16>, memref<16x16xf16>) outs(%c : memref<64x16xf32>)
    gpu.terminator
  }
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects a linalg.matmul without indexing_maps (C += A.B)}}
    transform.tw.rewrite_matmul_as_wgmma %mm : !transform.any_op
    transform.yield
  }
}
