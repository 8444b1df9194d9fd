// RUN: %tilewright-opt %s --split-input-file --pass-pipeline='builtin.module(tw-stablehlo-to-linalg)' | FileCheck %s

// The comparators JAX emits for one key become a bitonic network on
// vector<8xi64> "key << 32 | position" values: min/max and lane shuffles, no
// element-wise merge loop, no comparator region; every operand gathered at the
// sorted positions.

// jnp.argsort of floats (JAX's comparator: zeros tie, NaNs tie above +inf).
// Row of 13: keys from the bits (zeros -> +0, NaNs -> the quiet NaN, negatives'
// magnitude bits flipped), the 5 last lanes of the second vector padded with
// the largest i64; both vectors sorted in registers (rows of at most 8
// vectors: no loop over stages); the tail gathered under a mask.
// CHECK-LABEL: func.func @argsort
// CHECK-NOT: tensor.insert
// CHECK-NOT: in_bounds = [false]
// CHECK-DAG: %[[LANES:[^ ]+]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : vector<8xi64>
// CHECK-DAG: %[[TAIL:[^ ]+]] = arith.constant dense<[true, true, true, true, true, false, false, false]> : vector<8xi1>
// CHECK-DAG: %[[C32:[^ ]+]] = arith.constant dense<32> : vector<8xi64>
// CHECK-DAG: %[[QNAN:[^ ]+]] = arith.constant dense<2143289344> : vector<8xi32>
// CHECK-DAG: %[[INF:[^ ]+]] = arith.constant dense<2139095040> : vector<8xi32>
// CHECK-DAG: %[[ABS:[^ ]+]] = arith.constant dense<2147483647> : vector<8xi32>
// CHECK-DAG: %[[MAX:[^ ]+]] = arith.constant dense<9223372036854775807> : vector<8xi64>
// CHECK: scf.for %[[ROW:[^ ]+]] = {{.*}} -> (tensor<16xi64>, tensor<2x13xf32>, tensor<2x13xi32>)
// CHECK: %[[X:[^ ]+]] = vector.transfer_read %arg0[%[[ROW]], %{{[^]]+}}]{{.*}} : tensor<2x13xf32>, vector<8xf32>
// CHECK: %[[BITS:[^ ]+]] = arith.bitcast %[[X]] : vector<8xf32> to vector<8xi32>
// CHECK: %[[MAG:[^ ]+]] = arith.andi %[[BITS]], %[[ABS]]
// CHECK: arith.cmpi sgt, %[[MAG]], %[[INF]]
// CHECK: arith.select %{{[^,]+}}, %[[QNAN]]
// CHECK: arith.xori
// CHECK: %[[WIDE:[^ ]+]] = arith.extui %{{[^ ]+}} : vector<8xi32> to vector<8xi64>
// CHECK: %[[HIGH:[^ ]+]] = arith.shli %[[WIDE]], %[[C32]]
// CHECK: arith.ori %[[HIGH]], %[[LANES]]
// CHECK: %[[LAST:[^ ]+]] = arith.ori
// CHECK: arith.select %[[TAIL]], %[[LAST]], %[[MAX]] : vector<8xi1>, vector<8xi64>
// Sizes 2, 4, 8 within each vector (lane i meets lane i ^ 1; its mirror in 4; in 8; i ^ 2; i ^ 1):
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [1, 0, 3, 2, 5, 4, 7, 6]
// CHECK: arith.minsi %{{.*}} : vector<8xi64>
// CHECK: arith.maxsi %{{.*}} : vector<8xi64>
// CHECK: vector.shuffle %{{.*}} [0, 9, 2, 11, 4, 13, 6, 15] : vector<8xi64>, vector<8xi64>
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [1, 0, 3, 2, 5, 4, 7, 6]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [3, 2, 1, 0, 7, 6, 5, 4]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [3, 2, 1, 0, 7, 6, 5, 4]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [1, 0, 3, 2, 5, 4, 7, 6]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [1, 0, 3, 2, 5, 4, 7, 6]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [7, 6, 5, 4, 3, 2, 1, 0]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [7, 6, 5, 4, 3, 2, 1, 0]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [2, 3, 0, 1, 6, 7, 4, 5]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [2, 3, 0, 1, 6, 7, 4, 5]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [1, 0, 3, 2, 5, 4, 7, 6]
// CHECK: vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [1, 0, 3, 2, 5, 4, 7, 6]
// The mirror stage across the two vectors: the second read backwards, its maxima written back reversed.
// CHECK: %[[REV:[^ ]+]] = vector.shuffle %{{[^ ]+}}, %{{[^ ]+}} [7, 6, 5, 4, 3, 2, 1, 0] : vector<8xi64>, vector<8xi64>
// CHECK-NEXT: arith.minsi %[[A:[^ ,]+]], %[[REV]] : vector<8xi64>
// CHECK-NEXT: %[[HI:[^ ]+]] = arith.maxsi %[[A]], %[[REV]] : vector<8xi64>
// CHECK-NEXT: vector.shuffle %[[HI]], %{{[^ ]+}} [7, 6, 5, 4, 3, 2, 1, 0]
// CHECK: vector.transfer_write %[[FIRST:[^ ,]+]], %{{[^ ]+}} {in_bounds = [true]} : vector<8xi64>, tensor<16xi64>
// CHECK: vector.transfer_write %[[SECOND:[^ ,]+]], %{{[^ ]+}} {in_bounds = [true]} : vector<8xi64>, tensor<16xi64>
// CHECK-NOT: scf.for
// CHECK: %[[POS:[^ ]+]] = arith.trunci %[[FIRST]] : vector<8xi64> to vector<8xi32>
// CHECK: vector.gather %arg0[%[[ROW]], %{{[^]]+}}] [%[[POS]]]
// CHECK: vector.gather %arg1[%[[ROW]], %{{[^]]+}}] [%[[POS]]]
// CHECK: %[[POS2:[^ ]+]] = arith.trunci %[[SECOND]] : vector<8xi64> to vector<8xi32>
// The partial vector is read and written as a vector<5x..> in bounds, never
// masked (LLVM 22 stores a masked vector<16xi8> with one lane as 4 bytes).
// CHECK: %[[G:[^ ]+]] = vector.gather %arg0[%[[ROW]], %{{[^]]+}}] [%[[POS2]]], %[[TAIL]]
// CHECK: %[[G5:[^ ]+]] = vector.shuffle %[[G]], %{{[^ ]+}} [0, 1, 2, 3, 4] : vector<8xf32>, vector<8xf32>
// CHECK: vector.transfer_write %[[G5]], %{{.*}} {in_bounds = [true]} : vector<5xf32>, tensor<2x13xf32>
// CHECK: vector.gather %arg1[%[[ROW]], %{{[^]]+}}] [%[[POS2]]], %[[TAIL]]
// CHECK: vector.transfer_write %{{[^ ]+}}, %{{.*}} {in_bounds = [true]} : vector<5xi32>, tensor<2x13xi32>
// CHECK-NOT: stablehlo.sort
// CHECK: return
func.func @argsort(%x: tensor<2x13xf32>, %i: tensor<2x13xi32>) -> (tensor<2x13xf32>, tensor<2x13xi32>) {
  %0:2 = "stablehlo.sort"(%x, %i) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<i32>, %d: tensor<i32>):
    %zero = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %nan = stablehlo.constant dense<0x7FC00000> : tensor<f32>
    %az = stablehlo.compare EQ, %a, %zero, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %a0 = stablehlo.select %az, %zero, %a : tensor<i1>, tensor<f32>
    %an = stablehlo.compare NE, %a, %a, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %a1 = stablehlo.select %an, %nan, %a0 : tensor<i1>, tensor<f32>
    %bz = stablehlo.compare EQ, %b, %zero, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %b0 = stablehlo.select %bz, %zero, %b : tensor<i1>, tensor<f32>
    %bn = stablehlo.compare NE, %b, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %b1 = stablehlo.select %bn, %nan, %b0 : tensor<i1>, tensor<f32>
    %lt = stablehlo.compare LT, %a1, %b1, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %lt : tensor<i1>
  }) : (tensor<2x13xf32>, tensor<2x13xi32>) -> (tensor<2x13xf32>, tensor<2x13xi32>)
  return %0#0, %0#1 : tensor<2x13xf32>, tensor<2x13xi32>
}

// -----

// jnp.sort of floats (one operand, JAX's comparator): per row, whether it holds
// -0.0 or a NaN other than the quiet one (their input order is the result's);
// if so, the positions (vector<8xi64>, gathers), else the keys alone
// (vector<16xi32>) decoded back to floats.
// CHECK-LABEL: func.func @sort_floats
// CHECK-DAG: %[[NEGZERO:[^ ]+]] = arith.constant dense<-2147483648> : vector<16xi32>
// CHECK-DAG: %[[QNAN:[^ ]+]] = arith.constant dense<2143289344> : vector<16xi32>
// CHECK: scf.for {{.*}} -> (tensor<16xi64>, tensor<16xi32>, tensor<2x13xf32>)
// CHECK: %[[BITS:[^ ]+]] = arith.bitcast %{{[^ ]+}} : vector<16xf32> to vector<16xi32>
// CHECK: arith.cmpi eq, %[[BITS]], %[[NEGZERO]] : vector<16xi32>
// CHECK: arith.cmpi ne, %[[BITS]], %[[QNAN]] : vector<16xi32>
// CHECK: %[[ANY:[^ ]+]] = vector.reduction <or>, %{{[^ ]+}} : vector<16xi1> into i1
// CHECK: scf.if %[[ANY]] -> (tensor<16xi64>, tensor<16xi32>, tensor<2x13xf32>)
// CHECK:   arith.extui %{{.*}} : vector<8xi32> to vector<8xi64>
// CHECK:   arith.maxsi %{{.*}} : vector<8xi64>
// CHECK:   vector.gather
// CHECK: } else {
// CHECK-NOT: vector.gather
// CHECK:   arith.maxsi %{{.*}} : vector<16xi32>
// CHECK:   arith.bitcast %{{[^ ]+}} : vector<16xi32> to vector<16xf32>
// CHECK:   vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<13xf32>, tensor<2x13xf32>
// CHECK: return
func.func @sort_floats(%x: tensor<2x13xf32>) -> tensor<2x13xf32> {
  %0 = "stablehlo.sort"(%x) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %zero = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %nan = stablehlo.constant dense<0x7FC00000> : tensor<f32>
    %az = stablehlo.compare EQ, %a, %zero, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %a0 = stablehlo.select %az, %zero, %a : tensor<i1>, tensor<f32>
    %an = stablehlo.compare NE, %a, %a, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %a1 = stablehlo.select %an, %nan, %a0 : tensor<i1>, tensor<f32>
    %bz = stablehlo.compare EQ, %b, %zero, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %b0 = stablehlo.select %bz, %zero, %b : tensor<i1>, tensor<f32>
    %bn = stablehlo.compare NE, %b, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %b1 = stablehlo.select %bn, %nan, %b0 : tensor<i1>, tensor<f32>
    %lt = stablehlo.compare LT, %a1, %b1, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %lt : tensor<i1>
  }) : (tensor<2x13xf32>) -> tensor<2x13xf32>
  return %0 : tensor<2x13xf32>
}

// -----

// One operand, integers: equal keys are equal values, so the row sorts its keys
// alone, in vector<16xi32>, and decodes them (no positions, no gather). A row of
// 1000 (padded to 1024 = 8 blocks of 8 vectors): the keys (62 full vectors, the
// partial one padded with the largest i32, one vector of padding), each block
// sorted in registers, then one loop over the 3 merge sizes 256..1024 (not one
// loop per stage): the mirror stage (32 vector pairs), the half-cleaners wider
// than a block (a loop over as many as the size needs, 32 pairs each), the ones
// within a block in registers; then the keys written back.
// CHECK-LABEL: func.func @sort_rows
// CHECK-DAG: %[[C3:[^ ]+]] = arith.constant 3 : index
// CHECK-DAG: %[[C8:[^ ]+]] = arith.constant 8 : index
// CHECK-DAG: %[[C32:[^ ]+]] = arith.constant 32 : index
// CHECK-DAG: %[[C62:[^ ]+]] = arith.constant 62 : index
// CHECK-DAG: %[[MAX:[^ ]+]] = arith.constant dense<2147483647> : vector<16xi32>
// CHECK: scf.for %{{.*}} to %[[C62]] {{.*}} -> (tensor<1024xi32>)
// CHECK: arith.select %{{[^,]+}}, %{{[^,]+}}, %[[MAX]] : vector<16xi1>, vector<16xi32>
// CHECK: vector.transfer_write %[[MAX]]
// CHECK: scf.for %{{.*}} to %[[C8]] {{.*}} -> (tensor<1024xi32>)
// CHECK-COUNT-8: vector.transfer_read
// CHECK: arith.maxsi
// CHECK-COUNT-8: vector.transfer_write
// CHECK: scf.for %[[LEVEL:[^ ]+]] = %{{.*}} to %[[C3]] {{.*}} -> (tensor<1024xi32>)
// CHECK:   scf.for %{{.*}} to %[[C32]] {{.*}} -> (tensor<1024xi32>)
// CHECK:     vector.shuffle %{{.*}} [15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
// CHECK:     arith.minsi
// CHECK:   scf.for %{{[^ ]+}} = %{{[^ ]+}} to %[[LEVEL]] {{.*}} -> (tensor<1024xi32>)
// CHECK:     scf.for %{{.*}} to %[[C32]] {{.*}} -> (tensor<1024xi32>)
// CHECK:       arith.minsi
// CHECK:   scf.for %{{.*}} to %[[C8]] {{.*}} -> (tensor<1024xi32>)
// CHECK-COUNT-8: vector.transfer_read
// CHECK:     arith.maxsi
// CHECK:     vector.shuffle
// CHECK-COUNT-8: vector.transfer_write
// CHECK: scf.for %{{.*}} to %[[C62]] {{.*}} -> (tensor<1x1000xi32>)
// CHECK-NOT: vector.gather
// CHECK-NOT: tensor.insert
// CHECK: return
func.func @sort_rows(%x: tensor<1x1000xi32>) -> tensor<1x1000xi32> {
  %0 = "stablehlo.sort"(%x) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %lt = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %lt : tensor<i1>
  }) : (tensor<1x1000xi32>) -> tensor<1x1000xi32>
  return %0 : tensor<1x1000xi32>
}

// -----

// Descending unsigned along the first dimension: transposed to rows and back,
// the key's sign bit flipped (unsigned -> signed order), widened, complemented;
// decoded back the same way.
// CHECK-LABEL: func.func @descending_unsigned
// CHECK-DAG: %[[SIGN:[^ ]+]] = arith.constant dense<-32768> : vector<16xi16>
// CHECK-DAG: %[[ONES:[^ ]+]] = arith.constant dense<-1> : vector<16xi32>
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: %[[FLIP:[^ ]+]] = arith.xori %{{[^,]+}}, %[[SIGN]] : vector<16xi16>
// CHECK: %[[WIDE:[^ ]+]] = arith.extsi %[[FLIP]] : vector<16xi16> to vector<16xi32>
// CHECK: arith.xori %[[WIDE]], %[[ONES]] : vector<16xi32>
// CHECK: arith.minsi
// CHECK: %[[K:[^ ]+]] = arith.xori %{{[^,]+}}, %[[ONES]] : vector<16xi32>
// CHECK: %[[NARROW:[^ ]+]] = arith.trunci %[[K]] : vector<16xi32> to vector<16xi16>
// CHECK: %[[VALUES:[^ ]+]] = arith.xori %[[NARROW]], %[[SIGN]] : vector<16xi16>
// CHECK: %[[PART:[^ ]+]] = vector.shuffle %[[VALUES]], %{{[^ ]+}} [0, 1, 2, 3, 4] : vector<16xi16>, vector<16xi16>
// CHECK: vector.transfer_write %[[PART]], %{{.*}} {in_bounds = [true]} : vector<5xi16>, tensor<3x5xi16>
// CHECK: linalg.generic
func.func @descending_unsigned(%x: tensor<5x3xui16>) -> tensor<5x3xui16> {
  %0 = "stablehlo.sort"(%x) <{dimension = 0 : i64}> ({
  ^bb0(%a: tensor<ui16>, %b: tensor<ui16>):
    %gt = stablehlo.compare GT, %a, %b, UNSIGNED : (tensor<ui16>, tensor<ui16>) -> tensor<i1>
    stablehlo.return %gt : tensor<i1>
  }) : (tensor<5x3xui16>) -> tensor<5x3xui16>
  return %0 : tensor<5x3xui16>
}

// -----

// Two keys (lax.sort with num_keys=2): not recognized, the merge sort.
// CHECK-LABEL: func.func @two_keys
// CHECK-NOT: vector.shuffle
// CHECK: tensor.insert
func.func @two_keys(%k: tensor<7xi32>, %v: tensor<7xi32>) -> (tensor<7xi32>, tensor<7xi32>) {
  %0:2 = "stablehlo.sort"(%k, %v) <{dimension = 0 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>, %c: tensor<i32>, %d: tensor<i32>):
    %lt0 = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    %eq0 = stablehlo.compare EQ, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    %lt1 = stablehlo.compare LT, %c, %d, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    %both = stablehlo.and %eq0, %lt1 : tensor<i1>
    %lt = stablehlo.or %lt0, %both : tensor<i1>
    stablehlo.return %lt : tensor<i1>
  }) : (tensor<7xi32>, tensor<7xi32>) -> (tensor<7xi32>, tensor<7xi32>)
  return %0#0, %0#1 : tensor<7xi32>, tensor<7xi32>
}

// -----

// jnp.argsort: the values sorted along are an iota, so the result is the
// positions themselves (no gather), and the sorted keys, unused, are not
// gathered either.
// CHECK-LABEL: func.func @argsort_iota
// CHECK-NOT: vector.gather
// CHECK: scf.for {{.*}} -> (tensor<16xi64>, tensor<3x16xi32>)
// CHECK: arith.maxsi
// CHECK: scf.for {{.*}} -> (tensor<3x16xi32>)
// CHECK-NEXT: arith.muli
// CHECK-NEXT: %[[SORTED:[^ ]+]] = vector.transfer_read
// CHECK-NEXT: %[[POS:[^ ]+]] = arith.trunci %[[SORTED]] : vector<8xi64> to vector<8xi32>
// CHECK-NEXT: vector.transfer_write %[[POS]]
// CHECK-NOT: vector.gather
// CHECK: return
func.func @argsort_iota(%x: tensor<3x16xi32>) -> tensor<3x16xi32> {
  %i = stablehlo.iota dim = 1 : tensor<3x16xi32>
  %0:2 = "stablehlo.sort"(%x, %i) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>, %c: tensor<i32>, %d: tensor<i32>):
    %lt = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %lt : tensor<i1>
  }) : (tensor<3x16xi32>, tensor<3x16xi32>) -> (tensor<3x16xi32>, tensor<3x16xi32>)
  return %0#1 : tensor<3x16xi32>
}
