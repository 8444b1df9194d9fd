// A tensor.pad the library does not tile: bufferized, it is a fill of the padded buffer and a
// copy into its interior (a strided view) on the host. tw-gpu-map tiles both onto the GPU (one
// thread per element, rows of 100 and 97 two per block) instead of leaving them to one thread or to a
// host copy the artifact cannot express.
//
// RUN: %tilewright compile %s --target nvvm --emit bufferized | FileCheck %s --check-prefix=BUF
// RUN: %tilewright compile %s --target nvvm --emit gpu-mapped 2>&1 | FileCheck %s --check-prefix=MAPPED
// RUN: %tilewright compile %s --target nvvm --emit artifact -o %t.twa 2>&1 | FileCheck %s --allow-empty --check-prefix=QUIET
// QUIET-NOT: {{.}}
//
// JAX's pad reads its value out of a rank-0 buffer (one-thread kernel, then memref.load): the load
// moves into the kernel that fills the padded buffer, nothing but launches stays on the host.
// RUN: %tilewright compile %S/Inputs/pad-value.stablehlo.mlir --target nvvm --emit gpu-mapped \
// RUN:   | FileCheck %s --check-prefix=VALUE
// RUN: %tilewright compile %S/Inputs/pad-value.stablehlo.mlir --target nvvm --emit cubin -o %t.cubin

// VALUE-LABEL: func.func public @main
// VALUE:         gpu.launch
// VALUE:         gpu.launch blocks
// VALUE:           %[[V:.+]] = memref.load %{{.+}}[] : memref<f32>
// VALUE:           linalg.map
// VALUE-NEXT:        (%{{.+}}: f32) {
// VALUE-NEXT:          linalg.yield %[[V]] : f32

// BUF-LABEL: func.func @main
// BUF:         linalg.map outs(%{{.+}} : memref<10x100xf32>)
// BUF:         memref.copy %{{.+}}, %{{.+}} : memref<7x97xf32> to memref<7x97xf32, strided<[100, 1], offset: 103>>

// MAPPED-NOT:  warning
// MAPPED-LABEL: func.func @main
// MAPPED:        gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c5{{[_0-9]*}},
// MAPPED-SAME:     threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c100{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c2{{[_0-9]*}},
// MAPPED:          linalg.map
// MAPPED:        gpu.launch blocks({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c4{{[_0-9]*}},
// MAPPED-SAME:     threads({{[^)]*}}) in (%{{[a-z0-9_]+}} = %c97{{[_0-9]*}}, %{{[a-z0-9_]+}} = %c2{{[_0-9]*}},
// MAPPED:          linalg.copy
// MAPPED-NOT:    memref.copy
// MAPPED:        return

func.func @main(%x: tensor<7x97xf32>) -> tensor<10x100xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[1, 3] high[2, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<7x97xf32> to tensor<10x100xf32>
  return %p : tensor<10x100xf32>
}
