"""The default schedule (no ``schedule=``): the CPU library, never worse than plain loops.

Regression tests for the payload forms the library once crashed on, miscompiled or
vectorized whole: reversals (negative indexing-map coefficients: upstream's tiling
asserts), strided ``tensor.insert_slice`` (lhs-dilated convolutions: the vectorizer
drops the strides), column and full reductions, ``tensor.pad`` (an untiled op
became one vector of the whole tensor: minutes in LLVM). Each compares with
``jax.jit`` or numpy and checks what the plan chose.
"""

from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pytest
import tilewright
from conftest import stablehlo_of
from tilewright.compiler import CompileOptions, start
from tilewright.ingress.formats import as_source
from tilewright.schedule.cpu.elementwise import MAX_GROUP_ROW_ELEMENTS, MAX_TILE_ELEMENTS, bounded_tiles
from tilewright.schedule.grouping import MAX_PAD_ELEMENTS, Payload, plan


def plan_of(text: str) -> list[str] | None:
    """The default plan's lines for a program, or None when the library leaves it unscheduled."""
    compilation = start(as_source(text), CompileOptions(schedule="none"))
    with compilation.context:
        payload = Payload.of(compilation.module)
        return None if payload is None else plan(payload).describe(payload)


def compile_default(text: str) -> tilewright.Executable:
    """Compile with no schedule given; a fallback to unscheduled code (RuntimeWarning) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return tilewright.compile(text)


def largest_vector(ir_text: str) -> int:
    """Elements of the largest vector type in ``ir_text`` (0 if none)."""
    sizes = [int(np.prod([int(d) for d in m.split("x")])) for m in re.findall(r"vector<((?:\d+x)*\d+)x?\w+>", ir_text)]
    return max(sizes, default=0)


def check(fn, *args, rtol: float = 2e-5, atol: float = 2e-5) -> tilewright.Executable:
    exe = compile_default(stablehlo_of(fn, *args))
    got = exe(*args)
    expected = jax.jit(fn)(*args)
    got = got if isinstance(got, tuple) else (got,)
    expected = tuple(expected) if isinstance(expected, tuple | list) else (expected,)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=rtol, atol=atol)
    return exe


def f32(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def test_no_schedule_means_the_library(rng):
    x = f32(rng, 33, 40)
    text = stablehlo_of(jnp.tanh, x)
    default = tilewright.compile(text).compilation.artifacts["scheduled"]
    explicit = tilewright.compile(text, schedule="default").compilation.artifacts["scheduled"]
    plain = tilewright.compile(text, schedule="none").compilation.artifacts["scheduled"]
    assert "vector." in default and "vector." in explicit
    assert "vector." not in plain and "scf." not in plain


def test_bounded_tiles():
    assert bounded_tiles([7, 13]) == [0, 0]
    assert bounded_tiles([300, 300]) == [1, 0]
    assert bounded_tiles([514, 514]) == [1, 257]
    assert bounded_tiles([6, 97, 40]) == [1, 1, 0]
    for ranges in ([999, 1001], [2, 3, 5, 7, 11], [1024, 1024, 3]):
        sizes = bounded_tiles(ranges)
        assert np.prod([s or r for s, r in zip(sizes, ranges, strict=True)]) <= MAX_TILE_ELEMENTS


def reverse_scale(x):
    return x[::-1] * 2.0


def reverse_softmax(x):
    return jax.nn.softmax(x[:, ::-1] + 1.0, axis=-1)


def reversal_generics(ir_text: str) -> list[str]:
    """The ``linalg.generic`` lines of ``ir_text`` with a negative indexing-map coefficient (``-d1 + 32``)."""
    maps = [
        name
        for name, expr in re.findall(r"^(#map\d*) = affine_map<(.*)>$", ir_text, re.MULTILINE)
        if re.search(r"-d\d|-\d+ \* d\d", expr.split("->", 1)[1])
    ]
    return [
        line
        for line in ir_text.splitlines()
        if "linalg.generic" in line and any(re.search(re.escape(m) + r"(?!\w)", line) for m in maps)
    ]


@pytest.mark.parametrize("fn", [reverse_scale, reverse_softmax], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(4, 5), (97, 33)])
def test_reversals_are_not_tiled(rng, fn, shape):
    """``rev`` generics (``-d0 + 3``) made upstream's tiling assert (SIGABRT): they stay loops.

    The plan never names the reversal (checked before compiling: a tiled reversal would abort
    this process), and after scheduling it is still one generic over the whole tensors, at the
    top of the function (no tile loop around it, no slice of it), while the rest is scheduled.
    """
    x = f32(rng, *shape)
    text = stablehlo_of(fn, x)
    payload = str(start(as_source(text), CompileOptions(schedule="none")).module)
    ops = [line for line in payload.splitlines() if re.search(r"= linalg\.(?!index)\w+", line)]  # module order
    [position] = [i for i, line in enumerate(ops) if line in reversal_generics(payload)]
    lines = plan_of(text)
    assert lines is not None
    assert not any(f"linalg.generic#{position} " in line + " " for line in lines), lines
    exe = check(fn, x)
    scheduled = exe.compilation.artifacts["scheduled"]
    whole = f"tensor<{shape[0]}x{shape[1]}xf32>"
    [line] = reversal_generics(scheduled)
    assert line.startswith("    %"), f"the reversal is inside a loop: {line}"
    assert re.search(rf"ins\(%\S+ : {whole}\) outs\(%\S+ : {whole}\)", line), f"the reversal was tiled: {line}"
    if fn is reverse_softmax:
        assert lines and "vector." in scheduled  # the softmax around it is scheduled and vectorized


STRIDED_INSERT_INTO_ARGUMENT = """
#id = affine_map<(i, j) -> (i, j)>
func.func @main(%x: tensor<4x5xf32>, %d: tensor<9x5xf32>) -> tensor<9x5xf32> {
  %r = tensor.insert_slice %x into %d[1, 0] [4, 5] [2, 1] : tensor<4x5xf32> into tensor<9x5xf32>
  %e = tensor.empty() : tensor<9x5xf32>
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<9x5xf32>) outs(%e : tensor<9x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.negf %in : f32
    linalg.yield %v : f32
  } -> tensor<9x5xf32>
  return %n : tensor<9x5xf32>
}
"""


def test_strided_insert_slice_stays_unscheduled(rng):
    """A strided tensor.insert_slice was vectorized without its strides: wrong numbers. Those into a
    fill (lhs_dilation) become unit-stride ops in the linalg stage (test_conv_forms.py); one into
    anything else still leaves the module unscheduled, with a warning."""
    x, d = f32(rng, 4, 5), f32(rng, 9, 5)
    with pytest.warns(RuntimeWarning, match="module left unscheduled: a tensor.insert_slice with non-unit strides"):
        exe = tilewright.compile(STRIDED_INSERT_INTO_ARGUMENT)
    expected = d.copy()
    expected[1::2] = x
    np.testing.assert_array_equal(exe(x, d), -expected)


def column_mean_var(x):
    return x.mean(0), x.var(0)


def middle_sum(x):
    return jnp.exp(x).sum(1)


@pytest.mark.parametrize(
    ("fn", "shape"),
    [
        (column_mean_var, (7, 13)),
        (column_mean_var, (97, 1000)),
        (middle_sum, (6, 97, 40)),
        (jnp.sum, (300, 300)),
        (lambda x: jnp.max(x, axis=0), (999, 7)),
        (lambda x: jax.nn.softmax(x, axis=0), (97, 33)),
        (lambda x: x.sum(-1), (3, 10000)),
    ],
    ids=["mean_var_7x13", "mean_var_97x1000", "middle_sum", "full_sum", "column_max", "softmax_axis0", "long_rows"],
)
def test_reductions(rng, fn, shape):
    x = f32(rng, *shape)
    exe = check(fn, x, rtol=1e-4, atol=1e-3)
    scheduled = exe.compilation.artifacts["scheduled"]
    assert largest_vector(scheduled) <= max(MAX_TILE_ELEMENTS, MAX_GROUP_ROW_ELEMENTS)


COLUMN_REDUCTIONS = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#o3 = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @main(%x: tensor<7x13xf32>, %y: tensor<6x97x40xf32>, %z: tensor<97x33xf32>)
    -> (tensor<13xf32>, tensor<6x40xf32>, tensor<33xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<13xf32>) -> tensor<13xf32>
  %s = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<7x13xf32>) outs(%f : tensor<13xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %in, %acc : f32
    linalg.yield %a : f32
  } -> tensor<13xf32>
  %e3 = tensor.empty() : tensor<6x40xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<6x40xf32>) -> tensor<6x40xf32>
  %m = linalg.generic {indexing_maps = [#id3, #o3], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%y : tensor<6x97x40xf32>) outs(%f3 : tensor<6x40xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %in, %acc : f32
    linalg.yield %a : f32
  } -> tensor<6x40xf32>
  %e1 = tensor.empty() : tensor<33xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<33xf32>) -> tensor<33xf32>
  %r = linalg.reduce ins(%z : tensor<97x33xf32>) outs(%f1 : tensor<33xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %a = arith.maximumf %in, %acc : f32
      linalg.yield %a : f32
    }
  return %s, %m, %r : tensor<13xf32>, tensor<6x40xf32>, tensor<33xf32>
}
"""


def test_column_reductions_are_tiled_and_vectorized(rng):
    """Reduction loops outside parallel ones: tiled alone (parallel dims whole, the reduction by 1)."""
    lines = plan_of(COLUMN_REDUCTIONS)
    assert lines is not None
    assert {"tiled alone: linalg.generic#1", "tiled alone: linalg.generic#3", "tiled alone: linalg.reduce#5"} <= set(
        lines
    )
    exe = compile_default(COLUMN_REDUCTIONS)
    scheduled = exe.compilation.artifacts["scheduled"]
    assert "vector." in scheduled and 0 < largest_vector(scheduled) <= MAX_TILE_ELEMENTS
    x, y, z = f32(rng, 7, 13), f32(rng, 6, 97, 40), f32(rng, 97, 33)
    expected = (x.sum(0, dtype=np.float64), y.sum(1, dtype=np.float64), z.max(0))  # numpy, not another build
    got = exe(x, y, z)
    assert [g.shape for g in got] == [(13,), (6, 40), (33,)]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("shape", [(7, 13), (60, 60), (512, 512)])
def test_large_pads_are_filled_and_copied_in_tiles(rng, shape):
    """The vectorization turned a whole 514x514 pad into one masked vector (over 5 minutes in
    LLVM), tiled pads ran 10x slower than loops, and a pad left to bufferization copied its
    source element by element (``memrefCopy`` into a strided view): a large pad becomes a buffer
    whose fill and copy are tiled and vectorized; a small one is still vectorized whole."""
    x = f32(rng, *shape)
    fn = lambda x: jnp.pad(jnp.tanh(x), 1)  # noqa: E731
    assert plan_of(stablehlo_of(fn, x)) is not None
    exe = check(fn, x)
    scheduled = exe.compilation.artifacts["scheduled"]
    assert "vector." in scheduled and "tensor.pad" not in scheduled
    small = (shape[0] + 2) * (shape[1] + 2) <= MAX_PAD_ELEMENTS
    assert ("memref.alloc" in scheduled) == (not small)
    if not small:
        assert largest_vector(scheduled) <= MAX_TILE_ELEMENTS
        assert "memref.copy" not in exe.compilation.artifacts["bufferized"]


@pytest.mark.parametrize("n", [1, 70, 97])
def test_large_pad_next_to_a_matmul_is_scheduled(rng, n):
    """Large payload pads (a convolution's SAME padding) beside matmul kernels, whose partial
    tiles (3, 72, 99 rows, 6 to 102 columns fit no tile) are padded too: the module is scheduled
    (it once stayed loops), the payload's pads become tiled buffers, the kernels' pads fold into
    their vector reads."""
    a, b, x = f32(rng, n, 70), f32(rng, 70, n + 3), f32(rng, 70, 70)
    fn = lambda a, b, x: (jnp.pad(a, 1) @ jnp.pad(b, 1), jnp.pad(x, 1))  # noqa: E731
    text = stablehlo_of(fn, a, b, x)
    assert plan_of(text) is not None
    exe = compile_default(text)
    scheduled = exe.compilation.artifacts["scheduled"]
    assert "vector.fma" in scheduled and "tensor.pad" not in scheduled
    assert scheduled.count("memref.alloc") == 3  # one large pad: all three are buffers
    assert largest_vector(scheduled) <= MAX_TILE_ELEMENTS
    for got, expected in zip(exe(a, b, x), jax.jit(fn)(a, b, x), strict=True):
        np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-4, atol=1e-4)


def layernorm(x):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) * lax.rsqrt(((x - mean) ** 2).mean(-1, keepdims=True) + 1e-5)


@pytest.mark.parametrize(
    ("fn", "shape", "tiles"),
    [
        (layernorm, (97, 1000), r"\[\d+, 0\]"),
        (lambda x: jax.nn.softmax(x, axis=-1), (97, 1000), r"\[\d+, 0\]"),
        (lambda x: jax.nn.softmax(x, axis=0), (97, 1000), r"\[0, \d+\]"),
    ],
    ids=["layernorm", "softmax_rows", "softmax_columns"],
)
def test_groups_keep_reduced_dims_whole(rng, fn, shape, tiles):
    """A root tiled across the dims its fused producers reduce over recomputed the reductions
    per tile (layernorm at 97x1000: 100x slower than plain loops): those dims stay whole."""
    from tilewright.schedule.default import default_schedule

    x = f32(rng, *shape)
    text = stablehlo_of(fn, x)
    compilation = start(as_source(text), CompileOptions(schedule="none"))
    with compilation.context:
        script = default_schedule(compilation.module, threads=1).to_mlir()
    assert re.search(r"tile_using_(for|forall) %\S+ tile_sizes " + tiles, script), script
    check(fn, x, rtol=1e-4, atol=1e-5)


EMPTY_MATMUL = """
func.func @main(%a: tensor<7x0xf32>, %b: tensor<0x13xf32>, %x: tensor<7x13xf32>)
    -> (tensor<7x13xf32>, tensor<7x13xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<7x13xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<7x13xf32>) -> tensor<7x13xf32>
  %m = linalg.matmul ins(%a, %b : tensor<7x0xf32>, tensor<0x13xf32>) outs(%f : tensor<7x13xf32>) -> tensor<7x13xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<7x13xf32>) outs(%e : tensor<7x13xf32>) {
  ^bb0(%in: f32, %o: f32):
    %y = math.tanh %in : f32
    linalg.yield %y : f32
  } -> tensor<7x13xf32>
  return %m, %t : tensor<7x13xf32>, tensor<7x13xf32>
}
"""


def test_empty_contraction_is_left_alone(rng):
    """A matmul with K = 0 (fft_float32_14_15_0_17) divided by zero in the tile arithmetic."""
    lines = plan_of(EMPTY_MATMUL)
    assert lines is not None and not any(line.startswith("contraction") for line in lines)
    x = f32(rng, 7, 13)
    product, tanh = compile_default(EMPTY_MATMUL)(np.zeros((7, 0), np.float32), np.zeros((0, 13), np.float32), x)
    np.testing.assert_array_equal(product, np.zeros((7, 13), np.float32))
    np.testing.assert_allclose(tanh, np.tanh(x), rtol=1e-5, atol=1e-6)


def test_library_error_falls_back_with_a_warning(rng, monkeypatch):
    """A bug while building the default schedule compiles unscheduled with a RuntimeWarning."""
    import tilewright.schedule.default as default

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("integer division or modulo by zero")

    monkeypatch.setattr(default, "default_schedule", broken)
    x = f32(rng, 9, 11)
    text = stablehlo_of(jnp.tanh, x)
    with pytest.warns(RuntimeWarning, match="default schedule not built.*ZeroDivisionError"):
        exe = tilewright.compile(text, threads=1)
    assert "vector." not in exe.compilation.artifacts["scheduled"]
    np.testing.assert_allclose(exe(x), np.tanh(x), rtol=1e-5, atol=1e-6)


def fft_3x7(rng):
    re_, im = f32(rng, 3, 7), f32(rng, 3, 7)
    return (lambda a, b: jnp.fft.fft(a + 1j * b)), re_, im


def test_small_matmuls_sharing_an_init_are_scheduled(rng):
    """Four small DFT matmuls sharing one zero-filled init (jnp.fft.fft at 3x7): their padded
    remainder kernels copy back with linalg.copy, which bufferizes in place; scheduled, no fallback."""
    fn, re_, im = fft_3x7(rng)
    exe = check(fn, re_, im, rtol=1e-4, atol=1e-4)
    assert "vector.fma" in exe.compilation.artifacts["scheduled"]


def test_unbufferizable_default_schedule_falls_back(rng, monkeypatch):
    """With the copy-back the pads had before (bufferization.materialize_in_destination), the same
    program left writes one-shot bufferization rejects ("cannot avoid RaW conflict"): the payload
    is compiled unscheduled with a RuntimeWarning, and the numbers are still right."""
    from tilewright import compiler
    from tilewright.schedule.builder import OpHandle

    pad = OpHandle.pad

    def pad_with_default_copy_back(self, *args, **kwargs):
        kwargs.pop("copy_back_op", None)
        return pad(self, *args, **kwargs)

    monkeypatch.setattr(OpHandle, "pad", pad_with_default_copy_back)
    monkeypatch.setattr(compiler, "_CACHE", {})  # the program above was compiled with the real pads
    fn, re_, im = fft_3x7(rng)
    with pytest.warns(RuntimeWarning, match="not bufferizable, compiling unscheduled"):
        exe = tilewright.compile(stablehlo_of(fn, re_, im))
    assert "vector." not in exe.compilation.artifacts["bufferized"]
    np.testing.assert_allclose(exe(re_, im), np.asarray(jax.jit(fn)(re_, im)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("fn", "shape"),
    [
        (lambda x: jax.nn.softmax(x, axis=-1), (3, 4096)),
        (lambda x: jax.nn.softmax(x, axis=-1), (5, 1000)),
        (lambda x: (x - x.mean(-1, keepdims=True)) * lax.rsqrt(x.var(-1, keepdims=True) + 1e-5), (2, 3000)),
    ],
    ids=["softmax-4096", "softmax-1000", "layernorm-3000"],
)
def test_long_rows_are_chunked(rng, fn, shape):
    """Rows kept whole for their reductions are cut into chunks of a few vectors: reductions
    accumulate vector partials (tile_reduction_using_for), no op becomes one vector of a row."""
    from tilewright.schedule.cpu import config_for
    from tilewright.schedule.cpu.elementwise import CHUNK_VECTORS

    x = rng.standard_normal(shape).astype(np.float32)
    text = stablehlo_of(fn, x)
    exe = check(fn, x, rtol=1e-4, atol=1e-5)
    scheduled = exe.compilation.artifacts["scheduled"]
    assert "scf.for" in scheduled
    # Arithmetic and reductions run on chunks (the row's final copy-out may stay one transfer).
    compute = "\n".join(
        line for line in scheduled.splitlines() if re.search(r"= (arith|math|vector\.(multi_)?reduction)", line)
    )
    assert "vector<" in compute
    assert largest_vector(compute) <= 2 * CHUNK_VECTORS * config_for().lanes, "a row was vectorized whole"
    assert any(line.startswith("fusion group") for line in plan_of(text) or [])


@pytest.mark.parametrize("cols", [997, 998, 1000])
def test_prime_rows_still_vectorize(rng, cols):
    """Elementwise rows whose length has no vector-sized divisor are kept whole, not cut into
    one-column tiles (vector<3x1xf32>), and still match JAX."""
    x = f32(rng, 7, cols)

    def fn(v):
        return jnp.tanh(v) * 2.0 + jnp.exp(-v)

    exe = check(fn, x, rtol=1e-5, atol=1e-6)
    compute = "\n".join(line for line in exe.compilation.artifacts["scheduled"].splitlines() if "= math." in line)
    assert largest_vector(compute) >= 8 * 16, compute
