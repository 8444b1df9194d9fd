// The tuning database's best entry for a group changes the default schedule of that group:
// `tilewright tune --import` loads an entry (mr 4, nr 16, kc 32 for this 37x29x41 matmul on a
// skylake-avx512), and `tilewright compile` for that CPU builds the contraction's part with it:
// its knobs select the entry's values, K (41) now spans two slabs of 32 so the packed path is
// taken, with a 4 x 16 microkernel. `--no-tuned` and another CPU keep the library's 8 x 32.
// RUN: rm -f %t.sqlite
// RUN: %tilewright tune --import %S/Inputs/tuned-matmul-37x29x41.json --db %t.sqlite | FileCheck %s --check-prefix=IMPORT
// RUN: env TILEWRIGHT_TUNE_DB=%t.sqlite %tilewright compile %s --cpu skylake-avx512 --threads 1 --emit bufferized --verbose --dump-dir %t.dump 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=VERBOSE < %t.err
// RUN: FileCheck %s --check-prefix=KNOBS < %t.dump/01-scheduled.transform.mlir
// RUN: env TILEWRIGHT_TUNE_DB=%t.sqlite %tilewright compile %s --cpu skylake-avx512 --threads 1 --emit bufferized --no-tuned | FileCheck %s --check-prefix=DEFAULT
// RUN: env TILEWRIGHT_TUNE_DB=%t.sqlite %tilewright compile %s --cpu icelake-server --threads 1 --emit bufferized | FileCheck %s --check-prefix=DEFAULT

// IMPORT: imported 1 rows

// CHECK-LABEL: func.func @main
// CHECK:         memref.alloc() {{.*}} : memref<10x41x4xf32>
// CHECK:         memref.alloc() {{.*}} : memref<2x41x16xf32>
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<4x16xf32>)
// CHECK-COUNT-4:   vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:     vector<8x32xf32>

// VERBOSE: tuned: contraction:fill[37x29](f32,f32);matmul[37x29x41](f32,f32,f32): kc=32, mc_tiles=4, mr=4, nc_tiles=1, nr=16 (1.20x the default)

// KNOBS: transform.named_sequence @contraction_1
// KNOBS-NEXT: transform.tune.knob<"contraction_1.mr"> = 4 : i64 from options = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16]
// KNOBS-NEXT: transform.tune.knob<"contraction_1.nr"> = 16 : i64 from options = [16, 32, 48, 64]
// KNOBS-NEXT: transform.tune.knob<"contraction_1.kc"> = 32 : i64
// KNOBS-NEXT: transform.tune.knob<"contraction_1.mc_tiles"> = 4 : i64
// KNOBS-NEXT: transform.tune.knob<"contraction_1.nc_tiles"> = 1 : i64

// DEFAULT-LABEL: func.func @main
// DEFAULT:         scf.for {{.*}} iter_args({{.*}}) -> (vector<8x32xf32>)
// DEFAULT-NOT:     vector<4x16xf32>

func.func @main(%a: tensor<37x41xf32>, %b: tensor<41x29xf32>) -> tensor<37x29xf32> {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<37x41xf32>, tensor<41x29xf32>) -> tensor<37x29xf32>
  return %0 : tensor<37x29xf32>
}
