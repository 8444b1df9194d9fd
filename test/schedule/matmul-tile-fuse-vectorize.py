# The schedule file is both a lit test and a --schedule input: run as a script it prints its
# transform IR; given to --transform-script it is loaded and `schedule(info)` is called.
#
# RUN: %python %s | FileCheck %s --check-prefix=SCRIPT
# RUN: %python %s > %t.transform.mlir
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %s | FileCheck %s --check-prefix=PAYLOAD
# The emitted script uses only upstream ops: stock mlir-opt runs it unchanged.
# RUN: %mlir-opt %inputs/schedule/matmul.mlir --transform-preload-library=transform-library-paths=%t.transform.mlir \
# RUN:   --transform-interpreter | FileCheck %s --check-prefix=PAYLOAD

# SCRIPT-LABEL: transform.named_sequence @__transform_main
# SCRIPT-SAME:    (%[[ROOT:.+]]: !transform.any_op {transform.readonly})
# SCRIPT:         %[[MM:.+]] = transform.structured.match ops{["linalg.matmul"]} in %[[ROOT]]
# SCRIPT:         %[[TM:.+]] = transform.tune.knob<"tile_m"> = 8 : i64 from options = [4, 8, 16]
# SCRIPT:         %[[T:.+]], %[[LOOPS:.+]]:2 = transform.structured.fuse %[[MM]]
# SCRIPT-SAME:      tile_sizes [%[[TM]], 16, 0] {apply_cleanup}
# SCRIPT:         %{{.+}}, %{{.+}} = transform.structured.tile_using_for %[[T]] tile_sizes [0, 0, 4]
# SCRIPT:         transform.structured.vectorize %{{.+}} vector_sizes [8, 16, 4]
# SCRIPT:         %[[F:.+]] = transform.structured.match ops{["func.func"]} in %[[ROOT]]
# SCRIPT:         transform.apply_patterns to %[[F]] {
# SCRIPT-NEXT:      transform.apply_patterns.vector.lower_masked_transfers
# SCRIPT-NEXT:      transform.apply_patterns.canonicalization
# SCRIPT-NEXT:    } {apply_cse}
# SCRIPT:         transform.apply_patterns to %[[F]] {
# SCRIPT-NEXT:      transform.apply_patterns.vector.lower_multi_reduction{{$}}
# SCRIPT-NEXT:      transform.apply_patterns.vector.lower_masks
# SCRIPT-NEXT:      transform.apply_patterns.canonicalization

# The fill is fused into the (i, j) loops, the k loop is inside, the matmul body is vectorized with masks
# (for the partial tiles at the edges), the masked reduction lowered to selects and adds.
# PAYLOAD-LABEL: func.func @main
# PAYLOAD:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}}
# PAYLOAD:           scf.for
# PAYLOAD:             linalg.fill {{.*}} -> tensor<?x?xf32>
# PAYLOAD:             scf.for
# PAYLOAD:               vector.create_mask
# PAYLOAD:               vector.transfer_read {{.*}} vector<8x16x4xf32>
# PAYLOAD:               arith.mulf {{.*}} : vector<8x16x4xf32>
# PAYLOAD:               arith.select
# PAYLOAD:               arith.addf
# PAYLOAD:               vector.transfer_write
# PAYLOAD-NOT:     linalg.matmul
# PAYLOAD-NOT:     vector.mask
# PAYLOAD-NOT:     vector.multi_reduction

# And it runs (through every stage down to the JIT) with numpy's results.
# RUN: %python -c "import numpy as np, sys; r = np.random.default_rng(0); f = np.float32; \
# RUN:   np.savez(sys.argv[1], r.standard_normal((97, 7), f), r.standard_normal((7, 33), f))" %t.in.npz
# RUN: %tilewright run %inputs/schedule/matmul.mlir --inputs %t.in.npz --schedule %s --output %t.out.npz
# RUN: %python -c "import numpy as np, sys; i, o = np.load(sys.argv[1]), np.load(sys.argv[2]); \
# RUN:   np.testing.assert_allclose(o['result0'], i['arr_0'] @ i['arr_1'], rtol=1e-5, atol=1e-5); print('SAME')" \
# RUN:   %t.in.npz %t.out.npz | FileCheck %s --check-prefix=SAME
# SAME: SAME

from tilewright.schedule import Schedule
from tilewright.schedule import patterns as P


def schedule(info: object) -> Schedule:
    s = Schedule("matmul-tile-fuse-vectorize")
    mm = s.match("linalg.matmul")
    tile_m = s.knob("tile_m", [4, 8, 16], default=8)
    tiled, _ = mm.fuse([tile_m, 16, 0])  # tiles (i, j), pulls the fill into the loops
    inner, _ = tiled.tile([0, 0, 4])
    inner.vectorize([8, 16, 4])  # masked: tiles at the 97/33/7 edges are partial
    func = s.match("func.func")
    func.apply_patterns(P.lower_masked_transfers(), P.canonicalization(), apply_cse=True)
    # The masked reduction must be lowered here: the LLVM pipeline does not lower vector.mask regions.
    func.apply_patterns(P.lower_multi_reduction("innerparallel"), P.lower_masks(), P.canonicalization())
    return s


if __name__ == "__main__":
    print(schedule(None))
