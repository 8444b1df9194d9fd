// The NVVM library's elementwise schedule on (x + bias) * 2 over 7x4096 f16: one VECTOR of
// eight halves per thread (128 bits), 256 threads per block, blocks of 2048 columns (2 x 7);
// the accesses start at multiples of 8 halves, so the target makes them 16-byte aligned
// vector loads and stores (ld.global.nc.v4 / st.global.v4 in the PTX). A transpose keeps one
// element per thread (its input is not contiguous along the innermost loop).
//
// RUN: %tilewright compile %s --target nvvm --emit scheduled | FileCheck %s --check-prefix=SCHED
// RUN: %tilewright compile %s --target nvvm --emit gpu-mapped | FileCheck %s --check-prefix=MAPPED
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_80 --emit ptx | FileCheck %s --check-prefix=PTX
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90 --emit ptx | FileCheck %s --check-prefix=PTX

// SCHED-LABEL: func.func public @main
// SCHED:         scf.forall (%{{.+}}, %{{.+}}) in (7, 2)
// SCHED:           scf.forall (%{{.+}}) in (256)
// SCHED:             vector.transfer_read %{{.+}} : tensor<7x4096xf16>, vector<8xf16>
// SCHED:             vector.transfer_read %{{.+}} : tensor<4096xf16>, vector<8xf16>
// SCHED:             arith.addf %{{.+}} : vector<8xf16>
// SCHED:             vector.transfer_write %{{.+}} : vector<8xf16>, tensor<1x8xf16>
// SCHED:           } {mapping = [#gpu.thread<x>]}
// SCHED:         } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// The transpose: one element per thread, no vector.
// SCHED:         scf.forall
// SCHED-NOT:       vector<
// SCHED:         } {mapping = [#gpu.block<y>, #gpu.block<x>]}

// MAPPED-LABEL: func.func public @main
// MAPPED:        gpu.launch
// MAPPED:          vector.load %{{.+}} {alignment = 16 : i64} : memref<7x4096xf16>, vector<8xf16>
// MAPPED:          vector.load %{{.+}} {alignment = 16 : i64} : memref<4096xf16>, vector<8xf16>
// MAPPED:          vector.store %{{.+}} {alignment = 16 : i64} : memref<1x8xf16, strided<[4096, 1], offset: ?>>, vector<8xf16>
// MAPPED:        gpu.launch
// MAPPED-NOT:      vector.
// MAPPED:        return

// PTX:         .entry main_kernel(
// PTX-COUNT-2: ld.global.nc.v4.b32
// PTX:         st.global.v4.b32
// PTX:         .entry main_kernel_0(
// PTX-NOT:     .v4.
// PTX:         ld.global.nc.b16
// PTX-NOT:     .v4.
// PTX:         st.global.b16
// PTX-NOT:     .v4.

module @jit__lambda {
  func.func public @main(%arg0: tensor<7x4096xf16>, %arg1: tensor<4096xf16>) -> (tensor<7x4096xf16>, tensor<4096x7xf16>) {
    %0 = stablehlo.broadcast_in_dim %arg1, dims = [1] : (tensor<4096xf16>) -> tensor<7x4096xf16>
    %1 = stablehlo.add %arg0, %0 : tensor<7x4096xf16>
    %cst = stablehlo.constant dense<2.000000e+00> : tensor<f16>
    %2 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f16>) -> tensor<7x4096xf16>
    %3 = stablehlo.multiply %1, %2 : tensor<7x4096xf16>
    %4 = stablehlo.transpose %arg0, dims = [1, 0] : (tensor<7x4096xf16>) -> tensor<4096x7xf16>
    return %3, %4 : tensor<7x4096xf16>, tensor<4096x7xf16>
  }
}
