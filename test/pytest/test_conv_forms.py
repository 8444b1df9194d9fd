"""Every convolution form JAX emits, under the default schedule, against ``lax.conv_general_dilated``.

Issue 10 item 8: 1-D and 2-D, strided, dilated, grouped and depthwise, a large kernel with a
large stride (an audio front end), SAME padding beside a matmul, and the gradients
(``lhs_dilation``: what ``jax.grad`` of a strided convolution gives, and transposed
convolutions). Sizes are odd on purpose (spatial 7, 13, 97; channels 1, 3, 5; batch 1 and 2).
Each program must compile with no "left unscheduled" warning and give JAX's numbers.
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

NWC = ("NWC", "WIO", "NWC")
NHWC = ("NHWC", "HWIO", "NHWC")


def f32(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return (rng.standard_normal(shape) * 0.5).astype(np.float32)


def check(fn, *args) -> dict[str, str]:
    """Compile ``fn`` with the default schedule (a RuntimeWarning fails), compare with JAX; the IR of each stage."""
    text = stablehlo_of(fn, *args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exe = tilewright.compile(text, threads=1)
    np.testing.assert_allclose(exe(*args), np.asarray(jax.jit(fn)(*args)), rtol=1e-4, atol=1e-4)
    return exe.compilation.artifacts


def conv(dimension_numbers, strides, padding, **kwargs):
    return lambda x, w: lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=dimension_numbers, **kwargs)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "fn"),
    [
        ((1, 97, 3), (3, 3, 5), conv(NWC, (1,), "SAME")),
        ((2, 7, 1), (5, 1, 3), conv(NWC, (2,), "SAME")),
        ((2, 13, 13, 3), (3, 3, 3, 5), conv(NHWC, (1, 1), "SAME")),
        ((1, 13, 7, 5), (3, 3, 5, 3), conv(NHWC, (2, 2), "SAME")),
        ((2, 13, 13, 3), (3, 3, 3, 5), conv(NHWC, (1, 1), "SAME", rhs_dilation=(2, 2))),
        ((1, 13, 13, 6), (3, 3, 3, 5 * 2), conv(NHWC, (1, 1), "SAME", feature_group_count=2)),
        ((2, 13, 7, 5), (3, 3, 1, 5), conv(NHWC, (1, 1), "SAME", feature_group_count=5)),
        ((2, 3, 13, 7), (5, 3, 3, 3), conv(("NCHW", "OIHW", "NCHW"), (1, 1), "SAME")),
        ((1, 5, 97), (3, 5, 4), conv(("NCW", "OIW", "NCW"), (2,), "SAME")),
        ((1, 13, 9, 6), (3, 3, 2, 9), conv(("NHWC", "HWIO", "NCHW"), (1, 1), "SAME", feature_group_count=3)),
    ],
    ids=[
        "1d",
        "1d-strided",
        "2d",
        "2d-strided",
        "2d-dilated",
        "2d-grouped",
        "2d-depthwise",
        "nchw",
        "ncw",
        "grouped-3",
    ],
)
def test_forms_match_jax(rng, x_shape, w_shape, fn):
    stages = check(fn, f32(rng, *x_shape), f32(rng, *w_shape))
    assert re.search(r"linalg\.(depthwise_)?conv_", stages["linalg"])  # a named convolution, no generic
    assert "vector." in stages["scheduled"]


def test_audio_front_end(rng):
    """Kernel 400, stride 160 over a 1-D signal (a 25 ms window every 10 ms at 16 kHz)."""
    check(conv(NWC, (160,), "VALID"), f32(rng, 1, 4000, 1), f32(rng, 400, 1, 7))


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "dilation", "padding"),
    [
        ((1, 7, 3), (3, 3, 5), (2,), [(2, 2)]),
        ((2, 97, 1), (4, 1, 3), (3,), [(1, 2)]),
        ((1, 7, 7, 3), (3, 3, 3, 5), (2, 2), [(2, 2), (2, 2)]),
        ((2, 7, 5, 1), (3, 2, 1, 3), (2, 3), [(0, 1), (1, 1)]),
    ],
)
def test_lhs_dilation_is_scheduled(rng, x_shape, w_shape, dilation, padding):
    """``lhs_dilation`` once left the whole module unscheduled (a strided insert_slice, which the
    vectorizer writes without its strides): it is now reshapes and pads, and the conv is tiled."""
    dn = NWC if len(x_shape) == 3 else NHWC
    fn = conv(dn, (1,) * len(dilation), padding, lhs_dilation=dilation)
    stages = check(fn, f32(rng, *x_shape), f32(rng, *w_shape))
    assert "tensor.insert_slice" not in stages["linalg"] and "tensor.expand_shape" in stages["linalg"]
    assert "vector.fma" in stages["scheduled"]


@pytest.mark.parametrize("batch", [1, 2])
def test_gradients_of_a_strided_conv(rng, batch):
    """``jax.grad`` of a stride-2 SAME convolution: the input's gradient is an lhs-dilated
    convolution, the filter's a convolution over the batch; both scheduled, both JAX's."""
    x, w = f32(rng, batch, 13, 7, 3), f32(rng, 3, 3, 3, 5)

    def loss(x, w):
        return jnp.sum(lax.conv_general_dilated(x, w, (2, 2), "SAME", dimension_numbers=NHWC) ** 2)

    check(jax.grad(loss, argnums=0), x, w)
    check(jax.grad(loss, argnums=1), x, w)


@pytest.mark.parametrize(
    ("shape", "window", "strides", "padding"),
    [
        ((2, 13, 7, 5), (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
        ((1, 97, 7, 3), (1, 3, 3, 1), (1, 1, 1, 1), "SAME"),
        ((2, 16, 16, 32), (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
    ],
)
def test_pooling_is_vectorized(rng, shape, window, strides, padding):
    """Max and average pools (``reduce_window``; ``linalg.pooling_nhwc_max``/``sum``) take the
    convolution path: tiles of one window row decomposed to 1-D pooling, vectorized; as fusion
    groups they stayed pooling ops on 1x1x1x8 tiles (the zoo CNN's pools: 0.56x XLA)."""
    x = f32(rng, *shape)
    size = window[1] * window[2]
    for fn in (
        lambda x: lax.reduce_window(x, -jnp.inf, lax.max, window, strides, padding),
        lambda x: lax.reduce_window(x, 0.0, lax.add, window, strides, padding) / size,
    ):
        scheduled = check(fn, x)["scheduled"]
        assert "linalg.pooling" not in scheduled and "vector." in scheduled


@pytest.mark.parametrize("width", [13, 97])
def test_prime_widths_take_full_kernel_tiles(rng, width):
    """An output width with no divisor near the kernel's (13, 97: prime) took 1-pixel register tiles
    (97 wide: 0.36x XLA): full kernel-width tiles now run first, the rest after (peeled)."""
    from tilewright.schedule.cpu import config_for, largest_divisor

    stages = check(conv(NHWC, (1, 1), "SAME"), f32(rng, 2, 5, width, 3), f32(rng, 3, 3, 3, 32))
    cfg = config_for()
    f_t = largest_divisor(32, cfg.nr)
    wide = cfg.mr if f_t > cfg.lanes else 2 * cfg.mr
    assert f"vector<{wide}x{f_t}xf32>" in stages["scheduled"]  # the accumulators of a full tile


def test_filter_tiles_fit_beside_the_accumulators(rng):
    """The filter tile read per tap (input channels x filters) was 32 x 32 on AVX-512: 64 vector
    registers beside 16 accumulators, spilled (1x56x56x64: 0.77x XLA). It is now half a vector
    of channels (8 x 32 there)."""
    from tilewright.schedule.cpu import config_for
    from tilewright.schedule.cpu.conv import conv_tiles

    x, w = f32(rng, 1, 8, 8, 64), f32(rng, 3, 3, 64, 64)
    scheduled = check(conv(NHWC, (1, 1), "SAME"), x, w)["scheduled"]
    cfg = config_for()
    _, f_t, c_t = conv_tiles(8, 64, 64, cfg)
    assert c_t * f_t <= 16 * cfg.lanes  # at most 16 vector registers of filter (it was 64)
    reads = re.findall(r"vector\.transfer_read %arg1\[.*vector<(\d+)x(\d+)xf32>", scheduled)
    assert reads and all(int(a) * int(b) == c_t * f_t for a, b in reads)
