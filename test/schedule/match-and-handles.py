# Matching (by name, interface, attributes, types, structure), handle navigation, annotations,
# parameters, named sequences, the generic op() escape hatch and extension methods.
#
# RUN: %python %s > %t.mlir && FileCheck %s --check-prefix=SCRIPT < %t.mlir
# RUN: %tilewright-opt %inputs/schedule/softmax.mlir --transform-script %t.mlir | FileCheck %s --check-prefix=SOFTMAX
# RUN: %tilewright-opt %inputs/schedule/matmul.mlir --transform-script %t.mlir | FileCheck %s --check-prefix=MATMUL
# Matchers, sequences and includes are upstream ops too: stock mlir-opt gives the same result.
# RUN: %mlir-opt %inputs/schedule/softmax.mlir --transform-preload-library=transform-library-paths=%t.mlir \
# RUN:   --transform-interpreter | FileCheck %s --check-prefix=SOFTMAX

# SCRIPT: transform.named_sequence @__match_1(%[[OP:.+]]: !transform.any_op {transform.readonly}) -> !transform.any_op {
# SCRIPT:   transform.match.structured %[[OP]] : (!transform.any_op) -> !transform.any_op {
# SCRIPT:     %[[RANK:.+]] = transform.match.structured.rank
# SCRIPT:     %[[THREE:.+]] = transform.param.constant 3 : i64
# SCRIPT:     transform.match.param.cmpi eq %[[RANK]], %[[THREE]]
# SCRIPT:     transform.match.structured.dim %{{.+}}[0, 1] {parallel}
# SCRIPT:     transform.match.structured.dim %{{.+}}[2] {reduction}
# SCRIPT:     transform.match.structured.body %{{.+}} {contraction = ["arith.mulf", "arith.addf"]}
# SCRIPT: transform.named_sequence @__match_3
# SCRIPT:   transform.match.operation_name %{{.+}} ["linalg.generic"]
# SCRIPT:   transform.match.structured.num_inputs
# SCRIPT:   transform.match.structured.body %{{.+}} {elementwise}
# SCRIPT: transform.named_sequence @mark_producer(%{{.+}}: !transform.any_op {transform.readonly})
# SCRIPT:   transform.get_producer_of_operand %{{.+}}[1]
# SCRIPT: transform.named_sequence @__transform_main
# SCRIPT:   %[[C:.+]] = transform.collect_matching @__match_1 in %arg0
# SCRIPT:   transform.annotate %[[C]] "contraction"
# SCRIPT:   transform.structured.match interface{LinalgOp} in %arg0
# SCRIPT:   transform.num_associations
# SCRIPT:   transform.structured.match ops{["linalg.fill"]} filter_result_type = tensor<17xf32>
# SCRIPT:   transform.structured.match attributes {row_fill}
# SCRIPT:   transform.get_parent_op %[[C]] {deduplicate, op_name = "func.func"}
# SCRIPT:   transform.merge_handles deduplicate
# SCRIPT:   transform.include @mark_producer failures(propagate)
# SCRIPT:   transform.get_result %{{.+}}[0] : (!transform.any_op) -> !transform.any_value
# SCRIPT:   transform.get_defining_op
# SCRIPT:   transform.structured.generalize
# SCRIPT:   transform.apply_registered_pass "canonicalize"

# Softmax: two row reductions, two binary elementwise generics, two row fills; no contraction.
# SOFTMAX-LABEL: func.func @main
# SOFTMAX-NOT: has_contraction
# SOFTMAX: linalg.fill {found_by_attr, n_linalg = 6 : i64, row_fill}
# SOFTMAX: linalg.generic {{.*}} attrs = {merged, n_linalg = 6 : i64, row_reduction}
# SOFTMAX: linalg.generic {{.*}} attrs = {binary_elementwise, merged, n_linalg = 6 : i64}
# SOFTMAX: linalg.fill {found_by_attr, n_linalg = 6 : i64, row_fill}
# The second reduction (the row sums) produces operand 1 of the last (dividing) generic.
# SOFTMAX: linalg.generic {{.*}} attrs = {merged, n_linalg = 6 : i64, producer_of_rhs, row_reduction}
# SOFTMAX: linalg.generic {{.*}} attrs = {binary_elementwise, merged, n_linalg = 6 : i64}

# Matmul: the contraction is found structurally, then generalized by the op() escape hatch (which drops
# the attributes set so far) and annotated again.
# MATMUL-LABEL: func.func @main
# MATMUL-SAME: attributes {has_contraction}
# MATMUL: linalg.fill {n_linalg = 2 : i64}
# MATMUL: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
# MATMUL-SAME: attrs = {generalized}
# MATMUL-NOT: linalg.matmul

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.extensions import extension_method


@extension_method(OpHandle)
def generalize_via_op(self: OpHandle) -> OpHandle:
    """A stand-in extension builder: any registered transform op through Schedule.op."""
    (out,) = self.schedule.op("transform.structured.generalize", [self], ["!transform.any_op"])
    return out


def schedule(info: object) -> Schedule:
    s = Schedule("match")
    contraction = s.match(iterator_types=["parallel", "parallel", "reduction"], contraction=True)
    contraction.annotate("contraction")
    s.match(iterator_types=["parallel", "reduction"]).annotate("row_reduction")
    s.match("linalg.generic", elementwise=True, num_inputs=2).annotate("binary_elementwise")
    linalg = s.match(interface="LinalgOp")
    linalg.annotate("n_linalg", linalg.num_associations())
    s.match("linalg.fill", result_type="tensor<17xf32>").annotate("row_fill")
    s.match(attrs={"row_fill": "unit"}).annotate("found_by_attr")
    contraction.parent("func.func").annotate("has_contraction")
    s.merge(s.match(attrs={"row_reduction": "unit"}), s.match(attrs={"binary_elementwise": "unit"})).annotate("merged")

    def mark_producer(op: OpHandle) -> None:
        op.producer_of_operand(1).annotate("producer_of_rhs")

    s.define("mark_producer", mark_producer)
    last = s.match(attrs={"binary_elementwise": "unit"}).split(2)[1]
    s.include("mark_producer", last)
    contraction.result(0).defining_op().annotate("result_owner")
    contraction.generalize_via_op().annotate("generalized")
    s.match("func.func").apply_pass("canonicalize")
    return s


if __name__ == "__main__":
    print(schedule(None))
