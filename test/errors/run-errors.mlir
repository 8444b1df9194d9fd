// Every input error is one located message and exit code 1; never a traceback.
// RUN: %python -c "import numpy as np; np.savez('%t-one.npz', np.ones((3, 5), np.float32))"
// RUN: %python -c "import numpy as np; np.savez('%t-shape.npz', np.ones((3, 5), np.float32), np.ones((5, 3), np.float32))"
// RUN: %python -c "import numpy as np; np.savez('%t-dtype.npz', x=np.ones((3, 5), np.float32), y=np.ones((3, 5), np.int32))"
// RUN: %python -c "open('%t-garbage.npz', 'w').write('not a zip')"

// RUN: not %tilewright run %inputs/add.mlir --inputs %t-one.npz 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: {{.*}}-one.npz: error: '@main' takes 2 argument(s) but the npz file holds 1 array(s)
// COUNT-NOT: Traceback

// RUN: not %tilewright run %inputs/add.mlir --inputs %t-shape.npz 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: argument #1 of '@main' has type tensor<5x3xf32> (numpy float32[5, 3]), but the function expects tensor<3x5xf32>

// RUN: not %tilewright run %inputs/add.mlir --inputs %t-dtype.npz 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: argument #1 of '@main' has type tensor<3x5xi32> (numpy int32[3, 5]), but the function expects tensor<3x5xf32>

// RUN: not %tilewright run %inputs/add.mlir --inputs %t-garbage.npz 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: -garbage.npz: error: not an .npz file (it is text; numpy.savez writes .npz files)

// RUN: not %tilewright run %inputs/add.mlir --inputs %t-missing.npz 2>&1 | FileCheck %s --check-prefix=NONPZ
// NONPZ: -missing.npz: error: inputs file not found

// RUN: not %tilewright run %inputs/add.mlir --entry nope --random-inputs 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: add.mlir: error: entry function '@nope' not found (functions: @main)

// RUN: not %tilewright run %inputs/unknown-op.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: unknown-op.mlir:2:8: error: custom op 'stablehlo.frobnicate' is unknown

// RUN: not %tilewright run %inputs/malformed.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=MALFORMED
// MALFORMED: malformed.mlir:3:27: error: expected '>' in tensor type

// RUN: not %tilewright run %inputs/empty.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: empty.mlir: error: input is empty

// RUN: not %tilewright run %inputs --random-inputs 2>&1 | FileCheck %s --check-prefix=DIR
// DIR: Inputs: error: is a directory

// RUN: not %tilewright run %inputs/nope.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: nope.mlir: error: no such file
