// Named pipelines list their options; bad names and options are errors naming the cause.
// RUN: %tilewright-opt --list-pipelines | FileCheck %s --check-prefix=LIST
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(tw-nosuch)' 2>&1 | FileCheck %s --check-prefix=UNKNOWN-TW
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(no-such-pass)' 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu{cores=2})' 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu{threads=two})' 2>&1 | FileCheck %s --check-prefix=VALUE
// RUN: not %tilewright-opt %s --pass-pipeline='builtin.module(tw-lower-to-llvm-cpu{threads=0})' 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: %tilewright-opt %s --pass-pipeline='builtin.module(tw-bufferize,tw-lower-to-llvm-cpu{threads=3})' | FileCheck %s --check-prefix=THREE

// LIST: tw-lower-to-llvm-cpu
// LIST-NEXT: {threads=1} int: cores the parallel loops
// LIST: tw-cpu-default
// LIST-NEXT: {threads=1} int:

// UNKNOWN-TW: error: invalid pass pipeline: unknown pipeline 'tw-nosuch' (tilewright's pipelines: {{.*}}tw-lower-to-llvm-cpu
// UNKNOWN: error: invalid pass pipeline: {{.*}}no-such-pass
// OPTION: error: invalid pass pipeline: 'tw-lower-to-llvm-cpu' has no option 'cores' (options: threads, cpu, features)
// VALUE: error: invalid pass pipeline: option 'threads' of 'tw-lower-to-llvm-cpu' takes int, got 'two'
// ZERO: error: invalid pass pipeline: threads must be at least 1, got 0

// No structured op or loop is left anywhere (the NOTs guard both sides of the match):
// THREE-NOT: {{scf\.|linalg\.|memref\.}}
// THREE: llvm.call @mlirAsyncRuntimeExecute
// THREE-NOT: {{scf\.|linalg\.|memref\.}}
func.func @main(%a: tensor<64x64xf32>) -> tensor<64x64xf32> attributes {llvm.emit_c_interface} {
  %e = tensor.empty() : tensor<64x64xf32>
  %r = scf.forall (%i) in (4) shared_outs(%o = %e) -> tensor<64x64xf32> {
    %off = affine.apply affine_map<(d0) -> (d0 * 16)>(%i)
    %s = tensor.extract_slice %a[%off, 0] [16, 64] [1, 1] : tensor<64x64xf32> to tensor<16x64xf32>
    %t = tensor.empty() : tensor<16x64xf32>
    %n = linalg.exp ins(%s : tensor<16x64xf32>) outs(%t : tensor<16x64xf32>) -> tensor<16x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %n into %o[%off, 0] [16, 64] [1, 1] : tensor<16x64xf32> into tensor<64x64xf32>
    }
  }
  return %r : tensor<64x64xf32>
}
