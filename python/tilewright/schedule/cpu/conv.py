"""Convolutions as JAX emits them (``linalg.conv_2d_nhwc_hwcf``: NHWC input, HWIO filter; 1-D:
``linalg.conv_1d_nwc_wcf``; other layouts and feature groups are brought to these at ingress,
:mod:`tilewright.ingress.convolutions`).

Loops ``(n, oh, ow, f, kh, kw, c)``. The output rows ``(n, oh)`` go to an
``scf.forall`` (the cores); inside, a register tile of ``ow_t`` output pixels by
``f_t`` output channels is computed over the filter window and a block of input
channels: tiling ``kh`` to 1 lets upstream's ``decompose`` turn each tile into a
``conv_1d_nwc_wcf``, which vectorizes to broadcasts of the input and FMAs with
rows of the filter, the accumulators hoisted out of the ``kh``/``kw``/``c`` loops,
the same shape as the matmul microkernel (``ow`` playing M, ``f`` N, ``c`` K).
"""

from __future__ import annotations

from tilewright.schedule import OpHandle, Schedule, patterns
from tilewright.schedule.cpu import PARALLEL_MIN_WORK, CpuConfig, config_for, largest_divisor, outer_tiles, peel
from tilewright.schedule.info import LinalgOpInfo


def conv_tiles(ow: int, f: int, c: int, cfg: CpuConfig) -> tuple[int, int, int]:
    """(``ow_t``, ``f_t``, ``c_t``): exact divisors (static tiles) near the microkernel's mr x nr."""
    f_t = largest_divisor(f, cfg.nr)
    ow_t = largest_divisor(ow, cfg.mr if f_t > cfg.lanes else 2 * cfg.mr)
    # The filter tile (c_t x f_t) is read into registers per filter tap beside the accumulators:
    # 32 x 32 on AVX-512 (64 zmm) spilled (1x56x56x64 3x3: 0.77x XLA; 8 x 32: 1.1x).
    c_t = largest_divisor(c, max(1, cfg.lanes // 2))
    return ow_t, f_t, c_t


def _outer_loop(op: OpHandle, sizes: list[int], work: int, fill: OpHandle | None) -> tuple[OpHandle, OpHandle]:
    """(tiled op, outer loop) of :func:`.outer_tiles`, with the op's ``fill`` fused into a parallel
    loop (a sequential ``scf.for`` cannot take a fused init)."""
    tiled, outer = outer_tiles(op, sizes, work)
    if fill is not None and work >= PARALLEL_MIN_WORK:
        _, outer = fill.fuse_into(outer)
    return tiled, outer


def schedule_conv_nhwc_hwcf(
    s: Schedule,
    op: OpHandle,
    info: LinalgOpInfo,
    *,
    fill: OpHandle | None = None,
    cfg: CpuConfig | None = None,
) -> OpHandle:
    """Tile, decompose to 1-D convolutions; :func:`tilewright.schedule.cpu.vectorize` finishes.

    Returns the loop over output rows (``scf.forall``; ``scf.for`` for small convolutions).
    """
    cfg = cfg or config_for()
    _, _, ow, f, _, _, c = (r or 1 for r in info.loop_ranges)
    ow_t, f_t, c_t = conv_tiles(ow, f, c, cfg)
    n, oh = (r or 1 for r in info.loop_ranges[:2])
    kh, kw = (r or 1 for r in info.loop_ranges[4:6])
    work = 2 * n * oh * ow * f * kh * kw * c
    tiled, outer = _outer_loop(op, [1, 1], work, fill)
    wide = cfg.mr if f_t > cfg.lanes else 2 * cfg.mr
    if 2 * ow_t < wide < ow:  # no divisor near the kernel's width (97, 13): full tiles, then the rest
        _, loops = tiled.tile([0, 0, wide, f_t, 1, 1, c_t])
        peel(s, loops[0])
        outer.apply_patterns(patterns.canonicalization())  # static tile sizes in both loops
        outer.match("linalg.conv_2d_nhwc_hwcf").decompose()
        return outer
    tiled, _ = tiled.tile([0, 0, ow_t, f_t, 1, 1, c_t])
    tiled.decompose()
    return outer


def schedule_conv_nwc_wcf(
    s: Schedule,
    op: OpHandle,
    info: LinalgOpInfo,
    *,
    fill: OpHandle | None = None,
    cfg: CpuConfig | None = None,
) -> OpHandle:
    """1-D convolutions (``linalg.conv_1d_nwc_wcf``, loops ``(n, ow, f, kw, c)``): blocks of output
    positions on an ``scf.forall``, then the register tile of the 2-D case (``ow_t`` x ``f_t``
    over one filter tap and ``c_t`` input channels), which upstream vectorizes to the same FMAs.

    Left to a fusion group, the whole reduction over ``kw`` x ``c`` stayed in one tile (a kernel
    of 400 taps: 0.03x XLA). Returns the outermost loop.
    """
    cfg = cfg or config_for()
    n, ow, f, kw, c = (r or 1 for r in info.loop_ranges)
    ow_t, f_t, c_t = conv_tiles(ow, f, c, cfg)
    work = 2 * n * ow * f * kw * c
    # Blocks of whole register tiles, each worth about PARALLEL_MIN_WORK flops (static: a divisor).
    block = ow_t * largest_divisor(ow // ow_t, max(1, PARALLEL_MIN_WORK // (2 * ow_t * f * kw * c)))
    tiled, outer = _outer_loop(op, [1, block], work, fill)
    tiled.tile([0, ow_t, f_t, 1, c_t])
    return outer


def schedule_convolution(
    s: Schedule,
    op: OpHandle,
    info: LinalgOpInfo,
    *,
    fill: OpHandle | None = None,
    cfg: CpuConfig | None = None,
) -> OpHandle:
    """The schedule for ``info.name`` (one of ``CONVOLUTIONS``); returns its outermost loop."""
    if info.name.startswith("linalg.pooling_nhwc_"):
        return schedule_pooling_nhwc(s, op, info, fill=fill, cfg=cfg)
    schedule = schedule_conv_nwc_wcf if info.name == "linalg.conv_1d_nwc_wcf" else schedule_conv_nhwc_hwcf
    return schedule(s, op, info, fill=fill, cfg=cfg)


def schedule_pooling_nhwc(
    s: Schedule,
    op: OpHandle,
    info: LinalgOpInfo,
    *,
    fill: OpHandle | None = None,
    cfg: CpuConfig | None = None,
) -> OpHandle:
    """2-D pooling (``linalg.pooling_nhwc_max``/``sum``, loops ``(n, oh, ow, c, kh, kw)``, what
    ``reduce_window`` max/avg pools become): output rows on the outer loop, tiles of ``ow_t``
    positions x ``c_t`` channels over one window row, decomposed to 1-D pooling, which upstream
    vectorizes (a strided read of the input per window column, an elementwise max or add)."""
    cfg = cfg or config_for()
    n, oh, ow, c, kh, kw = (r or 1 for r in info.loop_ranges)
    c_t = largest_divisor(c, 2 * cfg.lanes)
    ow_t = largest_divisor(ow, cfg.mr)
    work = n * oh * ow * c * kh * kw
    tiled, outer = _outer_loop(op, [1, 1], work, fill)
    tiled, _ = tiled.tile([0, 0, ow_t, c_t, 1, 0])
    tiled.decompose()
    return outer
