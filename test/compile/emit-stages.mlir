// RUN: %tilewright compile %s --emit linalg | FileCheck %s --check-prefix=LINALG
// RUN: %tilewright compile %s --schedule none --emit bufferized | FileCheck %s --check-prefix=BUF
// RUN: %tilewright compile %s --emit llvm-dialect | FileCheck %s --check-prefix=LLVMDIALECT
// RUN: %tilewright compile %s --emit llvm-ir | FileCheck %s --check-prefix=LLVMIR
// RUN: %tilewright compile %s --emit asm | FileCheck %s --check-prefix=ASM
// RUN: %tilewright compile %s --emit obj -o %t.o && %python -c "import sys; d = open(sys.argv[1], 'rb').read(); assert d[:4] == b'\x7fELF', d[:4]; print('ELF', len(d) > 0)" %t.o | FileCheck %s --check-prefix=OBJ
// RUN: rm -rf %t.dump && %tilewright compile %s --emit asm --dump-dir %t.dump -o %t.s && ls %t.dump | FileCheck %s --check-prefix=DUMP

// The elementwise chain x * y + x is fused into one generic at the linalg stage: both ops in one
// body, and no other generic in the function.
// LINALG-LABEL: func.func public @main
// LINALG-NOT:     linalg.generic
// LINALG:         linalg.generic
// LINALG-NEXT:    ^bb0(
// LINALG-NEXT:      arith.mulf
// LINALG-NEXT:      arith.addf
// LINALG-NEXT:      linalg.yield
// LINALG-NEXT:    } -> tensor<3x5xf32>
// LINALG-NOT:     linalg.generic
// LINALG:         return

// BUF-LABEL: func.func public @main
// BUF-SAME:    memref<3x5xf32>, %{{.*}}: memref<3x5xf32>, %{{.*}}: memref<3x5xf32>)
// BUF:         linalg.generic
// BUF-SAME:      outs(%{{.*}} : memref<3x5xf32>)

// LLVMDIALECT: llvm.func @main
// LLVMDIALECT: llvm.func @_mlir_ciface_main

// LLVMIR: define void @main(
// LLVMIR: fmul
// LLVMIR: define void @_mlir_ciface_main(

// ASM: .globl main
// ASM: main:
// ASM: _mlir_ciface_main:

// OBJ: ELF True

// DUMP: 00-linalg.mlir
// DUMP: 02-bufferized.mlir
// DUMP: 03-llvm-dialect.mlir
// DUMP: 04-llvm-ir.ll
// DUMP: 05-asm.s
module @jit_f {
  func.func public @main(%x: tensor<3x5xf32>, %y: tensor<3x5xf32>) -> tensor<3x5xf32> {
    %0 = stablehlo.multiply %x, %y : tensor<3x5xf32>
    %1 = stablehlo.add %0, %x : tensor<3x5xf32>
    return %1 : tensor<3x5xf32>
  }
}
