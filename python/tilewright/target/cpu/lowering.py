"""The CPU target's lowering: bufferized IR -> LLVM dialect (``tw-lower-to-llvm-cpu``).

Defined here, once, and run as is by the driver's ``llvm-dialect`` stage and by
``tilewright-opt -p 'builtin.module(tw-lower-to-llvm-cpu{threads=N})'``: the two
print the same module for the same input and options.
"""

from __future__ import annotations

import warnings

from mlir import ir

from tilewright import extension
from tilewright.lower import (
    ASYNC_TO_LLVM,
    LOWER_TO_LLVM_AFTER_MEMREF,
    LOWER_TO_LLVM_BEFORE_MATH,
    LOWER_TO_LLVM_BEFORE_MEMREF,
    LOWER_TO_LOOPS,
    parallel_loops,
)
from tilewright.lower.i1_storage import widen_i1_storage_pass
from tilewright.lower.math_approx import approximate_vector_math_pass, vector_math_pass
from tilewright.pipeline import NamedPipeline, PipelineOption, PythonPass, Step
from tilewright.target.cpu.host import HostCpu, codegen_tune_cpu, cpu_model


def set_tune_cpu(root: ir.Operation, tune: str | None) -> int:
    """Give every ``llvm.func`` definition under ``root`` without a ``tune_cpu`` this one; returns
    how many (a function that already names its tuning keeps it)."""
    if tune is None:
        return 0
    count = 0
    for op in root.regions[0].blocks[0].operations:
        op = op.operation
        if op.name == "llvm.func" and len(op.regions[0].blocks) and "tune_cpu" not in op.attributes:
            op.attributes["tune_cpu"] = ir.StringAttr.get(tune)
            count += 1
    return count


def set_target_cpu(root: ir.Operation, cpu: HostCpu) -> int:
    """Give every ``llvm.func`` definition under ``root`` the CPU it is compiled for: for a CPU
    other than the host, ``target_cpu`` and the explicit ``target_features`` (LLVM generates
    each function for its own attributes, in the JIT too); then the tuning (``tune_cpu``).
    A function that names its own keeps it. Returns how many functions got a ``target_cpu``."""
    count = 0
    if not cpu.host or cpu.llvm_features:
        features = ir.Attribute.parse("#llvm.target_features<[" + ", ".join(f'"{f}"' for f in cpu.llvm_features) + "]>")
        for op in root.regions[0].blocks[0].operations:
            op = op.operation
            if op.name == "llvm.func" and len(op.regions[0].blocks) and "target_cpu" not in op.attributes:
                op.attributes["target_cpu"] = ir.StringAttr.get(cpu.name)
                if cpu.llvm_features:
                    op.attributes["target_features"] = features
                count += 1
    set_tune_cpu(root, codegen_tune_cpu(cpu))
    return count


def cpu_target_pass(cpu: str = "host", features: str = "") -> PythonPass:
    """``tw-cpu-target``: :func:`set_target_cpu` for the CPU named ``cpu`` with ``features``."""
    model = cpu_model(cpu, features)

    def run(op: ir.Operation, pass_: object) -> None:
        with op.context:
            set_target_cpu(op, model)

    return PythonPass("tw-cpu-target", run)


WIDEN_I1_STORAGE = PythonPass("tw-widen-i1-storage", widen_i1_storage_pass)
APPROXIMATE_VECTOR_MATH = PythonPass("tw-approximate-vector-math", approximate_vector_math_pass)

# Who gives each f32 vector math op its polynomial instead of one libm call per element: "own"
# (tilewright.lower.math_approx) or "upstream" (MLIR's populateMathPolynomialApproximationPatterns,
# through the C++ extension's tw-math-approximation), whichever measured better in ulps and
# ns/element (benchmarks/math_accuracy.py; README, "Vector math"). Scalars keep libm.
VECTOR_MATH: dict[str, str] = {
    "exp": "own",  # upstream flushes subnormal results to 0
    "tanh": "upstream",  # 4.2 ulp at 0.8 ns/element against the own 1.3 ulp at 2.0 (Eigen's, as XLA)
    "sin": "own",  # upstream reduces by one float pi/2: thousands of ulps near the zeros
    "cos": "own",
    "erf": "upstream",
    "erfc": "upstream",
    "log": "upstream",  # with subnormal operands scaled by tw-math-approximation
    "log2": "upstream",
    "log1p": "upstream",
    "expm1": "upstream",  # the libm path is MathToLLVM's exp(x) - 1: 1.7e7 ulp near 0
    # atan/atan2 keep libm: upstream's is off by 40 ulp around |x| = 0.66.
}


def vector_math_steps(choice: dict[str, str] | None = None) -> list[Step]:
    """The steps giving f32 vector math ops their polynomials as ``choice`` (default
    :data:`VECTOR_MATH`) says; upstream's ops stay libm calls if the C++ extension is not built."""
    choice = VECTOR_MATH if choice is None else choice
    upstream = [name for name, source in choice.items() if source == "upstream"]
    own = [name for name, source in choice.items() if source == "own"]
    steps: list[Step] = []
    if upstream and extension.has_pass("tw-math-approximation"):
        steps.append(f"tw-math-approximation{{ops={','.join(upstream)} vectors-only=true}}")
    elif upstream and extension.available():
        warnings.warn(
            "tilewright's C++ extension was built without tw-math-approximation: rebuild it "
            "(pip install -e ., or ninja in TILEWRIGHT_NATIVE_DIR's build); vector "
            f"{', '.join(upstream)} call libm per element until then",
            RuntimeWarning,
            stacklevel=2,
        )
    if own:
        # sin/cos branch to libm for huge arguments: their scf.if becomes cf here.
        steps += [PythonPass("tw-approximate-vector-math", vector_math_pass(own)), "convert-scf-to-cf"]
    return steps


THREADS = PipelineOption("threads", int, 1, "cores the parallel loops (scf.forall) run on; 1: sequential loops")
CPU = PipelineOption("cpu", str, "host", "LLVM CPU name to generate code for (host: this machine)")
FEATURES = PipelineOption("features", str, "", "LLVM target features on top of the CPU's (+avx512f,-avx512bw)")


def _cpu_target(cpu: str, features: str) -> list[Step]:
    from tilewright.diagnostics import TilewrightError
    from tilewright.pipeline import PipelineSyntaxError

    try:
        return [cpu_target_pass(cpu, features)]
    except TilewrightError as exc:
        raise PipelineSyntaxError(exc.message) from None


def lower_to_llvm_cpu(threads: int, cpu: str = "host", features: str = "") -> list[Step]:
    """Loops (parallel on the async runtime with several threads), vector math polynomials,
    booleans stored as bytes, then the LLVM dialect for ``cpu`` (``tw-cpu-target``)."""
    if threads < 1:
        from tilewright.pipeline import PipelineSyntaxError

        raise PipelineSyntaxError(f"threads must be at least 1, got {threads}")
    steps: list[Step] = [
        LOWER_TO_LOOPS,
        parallel_loops(threads),
        LOWER_TO_LLVM_BEFORE_MATH,
        *vector_math_steps(),
        LOWER_TO_LLVM_BEFORE_MEMREF,
        WIDEN_I1_STORAGE,
    ]
    if threads > 1:
        steps.append(ASYNC_TO_LLVM)
    steps += [LOWER_TO_LLVM_AFTER_MEMREF, *_cpu_target(cpu, features)]
    return steps


PIPELINES: tuple[NamedPipeline, ...] = (
    NamedPipeline(
        "tw-approximate-vector-math",
        "f32 vector exp/sin/cos -> polynomials (libm per element otherwise)",
        (APPROXIMATE_VECTOR_MATH,),
    ),
    NamedPipeline("tw-widen-i1-storage", "store booleans as bytes (memref<..xi1> -> xi8)", (WIDEN_I1_STORAGE,)),
    NamedPipeline(
        "tw-cpu-target",
        "llvm.func target_cpu/target_features for a named CPU; tune_cpu 'generic' on AMD Zen (TILEWRIGHT_TUNE_CPU)",
        _cpu_target,
        options=(CPU, FEATURES),
    ),
    NamedPipeline(
        "tw-lower-to-llvm-cpu",
        "bufferized IR -> LLVM dialect for the host or a named CPU (the driver's llvm-dialect stage)",
        lower_to_llvm_cpu,
        options=(THREADS, CPU, FEATURES),
    ),
)
