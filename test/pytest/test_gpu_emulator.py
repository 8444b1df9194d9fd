"""The GPU emulator (:mod:`gpu_emulator`) on hand-written GPU-mapped IR: threads of a block
really run together (a kernel exchanging data through shared memory between threads is right
emulated, wrong run one thread after another), barriers, warp shuffles in every mode, a
divergent barrier is an error; and the library's matmul and softmax at odd sizes against JAX.
"""

from __future__ import annotations

import re

import jax
import ml_dtypes
import numpy as np
from gpu_emulator import EmulationError, emulate, emulate_mlir

import pytest
from conftest import assert_matches_jax, stablehlo_of
from tilewright import pipeline
from tilewright.mlir_env import new_context, parse_module

# Each block reverses its 128 elements through workgroup memory: thread t writes element t
# and, after the barrier, reads element 127 - t, which another thread wrote.
REVERSE_ALLOC = """
func.func @main(%in: memref<384xf32>, %out: memref<384xf32>) {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c3, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    %shared = memref.alloc() : memref<128xf32, #gpu.address_space<workgroup>>
    %base = arith.muli %bx, %c128 : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %in[%i] : memref<384xf32>
    memref.store %v, %shared[%tx] : memref<128xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %r = arith.subi %c127, %tx : index
    %w = memref.load %shared[%r] : memref<128xf32, #gpu.address_space<workgroup>>
    memref.store %w, %out[%i] : memref<384xf32>
    gpu.terminator
  }
  return
}
"""


def _reverse_expected(x: np.ndarray) -> np.ndarray:
    return x.reshape(3, 128)[:, ::-1].reshape(-1)


def test_shared_memory_exchange_between_threads():
    x = np.arange(384, dtype=np.float32)
    out = np.zeros_like(x)
    emulate_mlir(REVERSE_ALLOC, [x, out])
    np.testing.assert_array_equal(out, _reverse_expected(x))


def test_sequential_threads_get_the_exchange_wrong():
    """The mutation: one thread after another, thread 0 reads element 127 before thread 127
    wrote it."""
    x = np.arange(384, dtype=np.float32)
    out = np.zeros_like(x)
    emulate_mlir(REVERSE_ALLOC, [x, out], sequential=True)
    assert not np.array_equal(out, _reverse_expected(x))


# The same exchange in an outlined kernel whose workgroup buffer is a gpu.func attribution.
REVERSE_ATTRIBUTION = """
module attributes {gpu.container_module} {
  func.func @main(%in: memref<384xf32>, %out: memref<384xf32>) {
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c128 = arith.constant 128 : index
    gpu.launch_func @kernels::@reverse blocks in (%c3, %c1, %c1) threads in (%c128, %c1, %c1)
        args(%in : memref<384xf32>, %out : memref<384xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @reverse(%in: memref<384xf32>, %out: memref<384xf32>)
        workgroup(%shared : memref<128xf32, #gpu.address_space<workgroup>>) kernel {
      %c127 = arith.constant 127 : index
      %c128 = arith.constant 128 : index
      %bx = gpu.block_id x
      %tx = gpu.thread_id x
      %base = arith.muli %bx, %c128 : index
      %i = arith.addi %base, %tx : index
      %v = memref.load %in[%i] : memref<384xf32>
      memref.store %v, %shared[%tx] : memref<128xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %r = arith.subi %c127, %tx : index
      %w = memref.load %shared[%r] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%i] : memref<384xf32>
      gpu.return
    }
  }
}
"""


@pytest.mark.parametrize("sequential", [False, True], ids=["concurrent", "sequential"])
def test_workgroup_attribution_is_shared_by_the_block(sequential):
    x = np.arange(384, dtype=np.float32)
    out = np.zeros_like(x)
    emulate_mlir(REVERSE_ATTRIBUTION, [x, out], sequential=sequential)
    assert np.array_equal(out, _reverse_expected(x)) != sequential


def _shuffle_kernel(mode: str, offset: int, width: int) -> str:
    """64 threads (two warps); lanes below ``width`` shuffle their thread id (as f32) and store the
    result and ``valid``; the others store -1."""
    return f"""
func.func @main(%out: memref<64xf32>, %valid: memref<64xi32>) {{
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {{
    %lane = gpu.lane_id
    %w_index = arith.constant {width} : index
    %member = arith.cmpi ult, %lane, %w_index : index
    %i = arith.index_cast %tx : index to i32
    %v = arith.sitofp %i : i32 to f32
    %r, %ok = scf.if %member -> (f32, i1) {{
      %off = arith.constant {offset} : i32
      %w = arith.constant {width} : i32
      %s, %k = gpu.shuffle {mode} %v, %off, %w : f32
      scf.yield %s, %k : f32, i1
    }} else {{
      %none = arith.constant -1.0 : f32
      %no = arith.constant false
      scf.yield %none, %no : f32, i1
    }}
    memref.store %r, %out[%tx] : memref<64xf32>
    %k32 = arith.extui %ok : i1 to i32
    memref.store %k32, %valid[%tx] : memref<64xi32>
    gpu.terminator
  }}
  return
}}
"""


# (mode, offset, width) -> the source lane of lane k, None where the result is not valid (the
# documented semantics of gpu.shuffle for the lanes below width).
SHUFFLES = {
    ("xor", 1, 32): lambda k: k ^ 1,
    ("xor", 16, 32): lambda k: k ^ 16,
    ("xor", 4, 16): lambda k: k ^ 4,
    ("down", 3, 32): lambda k: k + 3 if k + 3 < 32 else None,
    ("down", 2, 16): lambda k: k + 2 if k + 2 < 16 else None,
    ("up", 5, 32): lambda k: k - 5 if k >= 5 else None,
    ("idx", 7, 32): lambda k: 7,
    ("idx", 3, 8): lambda k: 3,
}


@pytest.mark.parametrize("case", list(SHUFFLES), ids=lambda c: f"{c[0]}-{c[1]}-w{c[2]}")
def test_shuffle(case):
    mode, offset, width = case
    out, valid = np.zeros(64, np.float32), np.zeros(64, np.int32)
    emulate_mlir(_shuffle_kernel(mode, offset, width), [out, valid])
    for t in range(64):
        lane, warp_base = t % 32, t - t % 32
        if lane >= width:
            assert out[t] == -1.0 and valid[t] == 0
            continue
        source = SHUFFLES[case](lane)
        assert valid[t] == (source is not None), (t, valid[t])
        if source is not None:
            assert out[t] == warp_base + source, (t, out[t])


def test_shuffle_up_below_full_width_follows_the_nvvm_lowering():
    """Upstream lowers ``gpu.shuffle up`` with clamp ``32 - width`` (``shfl.sync.up`` is valid when
    the source lane is at least the clamp), unlike the other modes' ``width - 1``: below full width
    no lane of the member mask gets a valid value (the documented semantics would give lane k the
    value of lane k - offset). The emulator does what the GPU does; if upstream's lowering changes,
    the first assertion says so."""
    context = new_context()
    module = parse_module(
        """gpu.module @m {
          gpu.func @k(%v: f32, %o: i32, %w: i32, %out: memref<f32>) kernel {
            %r, %ok = gpu.shuffle up %v, %o, %w : f32
            memref.store %r, %out[] : memref<f32>
            gpu.return
          }
        }""",
        "<up>",
        context,
    )
    pipeline.run_pipeline(module, ["gpu.module(convert-gpu-to-nvvm)"], "<up>", "lowering")
    lowered = str(module)
    clamp = re.search(r"nvvm\.shfl\.sync\s+up \S+, \S+, \S+, (%\d+)", lowered).group(1)
    assert re.search(rf"{clamp} = llvm\.sub %\d+, %arg2 : i32", lowered), lowered  # 32 - width
    out, valid = np.zeros(64, np.float32), np.zeros(64, np.int32)
    emulate_mlir(_shuffle_kernel("up", 1, 16), [out, valid])
    lanes = np.arange(64) % 32 < 16
    assert not valid.any()
    np.testing.assert_array_equal(out[lanes], np.arange(64)[lanes])  # own values


def test_shuffle_from_a_lane_outside_its_width_is_an_error():
    text = _shuffle_kernel("xor", 1, 16).replace("%member = arith.cmpi ult", "%member = arith.cmpi uge")
    with pytest.raises(EmulationError, match="not in the member mask"):
        emulate_mlir(text, [np.zeros(64, np.float32), np.zeros(64, np.int32)])


DIVERGENT_BARRIER = """
func.func @main(%out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %low = arith.cmpi ult, %tx, %c32 : index
    scf.if %low {
      gpu.barrier
    }
    %one = arith.constant 1.0 : f32
    memref.store %one, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
"""


def test_divergent_barrier_is_an_error():
    with pytest.raises(EmulationError, match="barrier not reached by all threads"):
        emulate_mlir(DIVERGENT_BARRIER, [np.zeros(64, np.float32)])


def test_barrier_reached_by_all_threads_is_not_an_error():
    """The mutation of the test above: the same kernel with every thread at the barrier."""
    out = np.zeros(64, np.float32)
    emulate_mlir(DIVERGENT_BARRIER.replace("arith.cmpi ult, %tx, %c32", "arith.cmpi ult, %tx, %c64"), [out])
    assert (out == 1.0).all()


SUBGROUP_REDUCE = """
func.func @main(%in: memref<64xf32>, %out: memref<64xf32>, %clustered: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %in[%tx] : memref<64xf32>
    %s = gpu.subgroup_reduce add %v : (f32) -> f32
    memref.store %s, %out[%tx] : memref<64xf32>
    %m = gpu.subgroup_reduce maxnumf %v cluster(size = 8) : (f32) -> f32
    memref.store %m, %clustered[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
"""


def test_subgroup_reduce_over_the_warp_and_clusters():
    x = np.random.default_rng(0).integers(-50, 50, 64).astype(np.float32)
    out, clustered = np.zeros(64, np.float32), np.zeros(64, np.float32)
    emulate_mlir(SUBGROUP_REDUCE, [x, out, clustered])
    np.testing.assert_array_equal(out, np.repeat(x.reshape(2, 32).sum(1), 32))
    np.testing.assert_array_equal(clustered, np.repeat(x.reshape(8, 8).max(1), 8))


# cp.async: thread t copies row t into shared memory (odd rows: 3 of 4 elements, the last zero),
# then, after the wait and the barrier, writes row 31 - t out.
ASYNC_COPY = """
func.func @main(%in: memref<32x4xf32>, %out: memref<32x4xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %c31 = arith.constant 31 : index
    %shared = memref.alloc() : memref<32x4xf32, #gpu.address_space<workgroup>>
    %parity = arith.remui %tx, %c2 : index
    %odd = arith.cmpi eq, %parity, %c1 : index
    %n = arith.select %odd, %c3, %c4 : index
    %t = nvgpu.device_async_copy %in[%tx, %c0], %shared[%tx, %c0], 4, %n
      : memref<32x4xf32> to memref<32x4xf32, #gpu.address_space<workgroup>>
    %g = nvgpu.device_async_create_group %t
    // A loop carrying the group's token (as a pipelined copy loop does) waits for it.
    %last = scf.for %i = %c0 to %c1 step %c1 iter_args(%pending = %g) -> (!nvgpu.device.async.token) {
      nvgpu.device_async_wait %pending
      %none = nvgpu.device_async_create_group
      scf.yield %none : !nvgpu.device.async.token
    }
    nvgpu.device_async_wait %last
    gpu.barrier
    %r = arith.subi %c31, %tx : index
    %v = vector.load %shared[%r, %c0] : memref<32x4xf32, #gpu.address_space<workgroup>>, vector<4xf32>
    vector.store %v, %out[%tx, %c0] : memref<32x4xf32>, vector<4xf32>
    gpu.terminator
  }
  return
}
"""


def test_async_copy_to_shared_memory():
    x = np.arange(1, 129, dtype=np.float32).reshape(32, 4)
    out = np.zeros_like(x)
    emulate_mlir(ASYNC_COPY, [x, out])
    expected = x.copy()
    expected[1::2, 3] = 0.0
    np.testing.assert_array_equal(out, expected[::-1])


LIBRARY = {
    "matmul": (lambda a, b: a @ b, [(97, 131), (131, 65)], np.float32),
    "matmul_row": (lambda a, b: a @ b, [(1, 7), (7, 97)], np.float32),
    "softmax": (lambda x: jax.nn.softmax(x, axis=-1), [(7, 1000)], np.float32),
    "softmax_short": (lambda x: jax.nn.softmax(x, axis=-1), [(97, 7)], np.float32),
    # The tensor-core row: 32x32 block tiles of 8 warps' mma.sync, k steps of 16.
    "matmul_f16_mma": (lambda a, b: a @ b, [(2, 64, 48), (2, 48, 32)], np.float16),
}


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_library_kernels_match_jax(name, rng):
    fn, shapes, dtype = LIBRARY[name]
    args = [rng.standard_normal(s).astype(dtype) for s in shapes]
    (out,) = emulate(stablehlo_of(fn, *args), args)
    tolerance = 1e-4 if dtype == np.float32 else 1e-2  # f16: one rounding of the f32 sum apart
    assert_matches_jax(out, fn, *args, rtol=tolerance, atol=tolerance)


def _mma_kernel(element: str, k: int, b_transposed: bool, shared: bool) -> str:
    """One warp computes D (16x8, f32) = A (16xk) B + C with a ``vector.contract`` that upstream's
    ``convert-vector-to-gpu{use-nvgpu=true}`` turns into ``nvgpu.mma.sync`` and lane-indexed loads
    (or ``nvgpu.ldmatrix`` from shared memory): the fragment layouts are upstream's, not the
    emulator's. B is n x k, or k x n when ``b_transposed``."""
    b_shape = (k, 8) if b_transposed else (8, k)
    b_map = "(d2, d1)" if b_transposed else "(d1, d2)"
    space = ", #gpu.address_space<workgroup>"
    lines = []
    operands = {}
    for name, (rows, cols) in (("a", (16, k)), ("b", b_shape)):
        global_type = f"memref<{rows}x{cols}x{element}>"
        if not shared:
            operands[name] = (f"%{name}", global_type)
            continue
        local = f"memref<{rows}x{cols}x{element}{space}>"
        operands[name] = (f"%s{name}", local)
        lines += [
            f"%s{name} = memref.alloc() : {local}",
            f"%cols_{name} = arith.constant {cols} : index",
            f"%rows_{name} = arith.constant {rows} : index",
            f"%in_{name} = arith.cmpi ult, %tx, %cols_{name} : index",
            f"scf.if %in_{name} {{",
            f"  scf.for %r = %c0 to %rows_{name} step %c1 {{",
            f"    %v = memref.load %{name}[%r, %tx] : {global_type}",
            f"    memref.store %v, %s{name}[%r, %tx] : {local}",
            "  }",
            "}",
        ]
    if shared:
        lines.append("gpu.barrier")
    (a_ref, a_type), (b_ref, b_type) = operands["a"], operands["b"]
    a_vec, b_vec = f"vector<16x{k}x{element}>", f"vector<{b_shape[0]}x{b_shape[1]}x{element}>"
    body = "\n    ".join(lines)
    return f"""
func.func @main(%a: memref<16x{k}x{element}>, %b: memref<{b_shape[0]}x{b_shape[1]}x{element}>,
                %c: memref<16x8xf32>, %d: memref<16x8xf32>) {{
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {{
    %c0 = arith.constant 0 : index
    {body}
    %z = arith.constant 0.0 : {element}
    %f0 = arith.constant 0.0 : f32
    %A = vector.transfer_read {a_ref}[%c0, %c0], %z {{in_bounds = [true, true]}} : {a_type}, {a_vec}
    %B = vector.transfer_read {b_ref}[%c0, %c0], %z {{in_bounds = [true, true]}} : {b_type}, {b_vec}
    %C = vector.transfer_read %c[%c0, %c0], %f0 {{in_bounds = [true, true]}} : memref<16x8xf32>, vector<16x8xf32>
    %D = vector.contract {{indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                           affine_map<(d0, d1, d2) -> {b_map}>,
                                           affine_map<(d0, d1, d2) -> (d0, d1)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}}
         %A, %B, %C : {a_vec}, {b_vec} into vector<16x8xf32>
    vector.transfer_write %D, %d[%c0, %c0] {{in_bounds = [true, true]}} : vector<16x8xf32>, memref<16x8xf32>
    gpu.terminator
  }}
  return
}}
"""


def _to_mma(text: str, tf32: bool) -> str:
    """Upstream's conversion of the contract to mma.sync (tf32: the op marked tf32Enabled, which
    the conversion leaves to the user)."""
    context = new_context()
    module = parse_module(text, "<mma>", context)
    pipeline.run_pipeline(module, ["func.func(convert-vector-to-gpu{use-nvgpu=true})", "canonicalize"], "<mma>", "mma")
    converted = str(module)
    assert "nvgpu.mma.sync" in converted
    return converted.replace("{mmaShape = [16, 8, 8]}", "{mmaShape = [16, 8, 8], tf32Enabled}") if tf32 else converted


# bf16 shares f16's layouts; upstream's conversion fails on its operand reads (transfer_read).
MMA_CASES = {
    "f16_lane_loads": ("f16", 16, False, False),
    "f16_ldmatrix": ("f16", 16, False, True),
    "f16_ldmatrix_transposed": ("f16", 16, True, True),
    "tf32_lane_loads": ("f32", 8, False, False),
}


def _tf32(x: np.ndarray) -> np.ndarray:
    return (x.view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)


@pytest.mark.parametrize("case", sorted(MMA_CASES))
def test_mma_sync_fragments_match_numpy(case, rng):
    element, k, b_transposed, shared = MMA_CASES[case]
    text = _to_mma(_mma_kernel(element, k, b_transposed, shared), tf32=element == "f32")
    if shared:
        assert "nvgpu.ldmatrix" in text and ("transpose = true" in text) == b_transposed
    dtype = {"f16": np.float16, "bf16": ml_dtypes.bfloat16, "f32": np.float32}[element]
    a = rng.standard_normal((16, k)).astype(dtype)
    b = rng.standard_normal((k, 8) if b_transposed else (8, k)).astype(dtype)
    c = rng.standard_normal((16, 8)).astype(np.float32)
    d = np.zeros((16, 8), np.float32)
    emulate_mlir(text, [a, b, c, d])
    if element == "f32":
        a, b = _tf32(a), _tf32(b)
    expected = a.astype(np.float64) @ (b if b_transposed else b.T).astype(np.float64) + c
    np.testing.assert_allclose(d, expected, rtol=1e-6, atol=1e-6)
