// Errors and warnings of the NVVM target, located at the user's op.
//
// An op inside a host loop is not mapped by the library: the loop would run on the host.
// RUN: not %tilewright compile %s --target nvvm --emit ptx 2>&1 | FileCheck %s --check-prefix=LOOP
// LOOP: errors.mlir:[[@LINE+18]]:8: error: 'scf.for' is not mapped to the GPU
//
// Without a schedule, tw-gpu-map tiles the all-parallel fill itself; the matmul (a reduction) runs
// in a one-thread launch, which a warning says.
// RUN: %tilewright compile %S/matmul.mlir --target nvvm --schedule none --emit ptx 2>&1 >/dev/null | FileCheck %s --check-prefix=NONE
// NONE-NOT: linalg.fill
// NONE: matmul.mlir:{{[0-9]+}}:8: 'linalg.matmul' (12707 elements) is not mapped to GPU blocks/threads by the schedule: it runs in one GPU thread
// NONE-NOT: linalg.fill
//
// RUN: not %tilewright compile %S/matmul.mlir --target nvvm --gpu-arch sm_70 --emit ptx 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: error: unknown GPU arch 'sm_70' (known: sm_80, sm_90, sm_90a)
// RUN: not %tilewright compile %S/matmul.mlir --gpu-arch sm_80 --emit asm 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: error: --gpu-arch applies to --target nvvm, not 'cpu'

func.func @main(%a: tensor<8xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %a) -> tensor<8xf32> {
    %e = tensor.empty() : tensor<8xf32>
    %g = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%acc : tensor<8xf32>) outs(%e : tensor<8xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.addf %x, %x : f32
      linalg.yield %y : f32
    }  -> tensor<8xf32>
    scf.yield %g : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
