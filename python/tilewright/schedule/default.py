"""Default schedules: what ``tilewright.compile`` / ``tilewright compile|run`` apply without ``--schedule``.

The payload's linalg ops are read (:class:`~tilewright.schedule.info.ModuleInfo`
plus the producer/consumer edges between them) and one schedule is built for
the whole module from the CPU library (:mod:`tilewright.schedule.cpu`):

- ``softmax(Q·Kᵀ)·V`` chains (attention): one parallel loop over query row blocks
  with both contractions and the softmax fused (:mod:`.cpu.attention`); from
  ``FLASH_MIN_KEYS`` keys, and in every form only the C++ matcher reads (f16 attention as JAX
  writes it, its P·V a generic with ``extf``), raised to ``tw.attention`` and flashed
  (:mod:`.raising`, :mod:`.cpu.flash`);
- ``linalg.matmul`` / ``batch_matmul``: the BLIS-style microkernel (:mod:`.cpu.matmul`);
- ``linalg.conv_2d_nhwc_hwcf``: tiles decomposed to 1-D convolutions (:mod:`.cpu.conv`);
- everything else (elementwise chains, transposes, reductions, softmax, layernorm):
  fusion groups, each tiled once by rows with its producers fused in (:mod:`.cpu.elementwise`);
- what is left (full and column reductions, reductions over long rows, unfused fills):
  each op tiled alone into small static tiles
  (:func:`.cpu.elementwise.schedule_bounded`), because the final vectorization reaches
  every statically shaped op of the function and must never see a whole large tensor.

Ops that upstream cannot tile are left as they are (loops): indexing maps with negative
coefficients (``rev``: tiling asserts in MLIR 22). Payloads the library must not touch
at all stay unscheduled, with a RuntimeWarning saying why: a ``tensor.insert_slice`` with
non-unit strides (the vectorizer drops the strides, wrong results), dynamic shapes. A
``tensor.pad`` of more than ``MAX_PAD_ELEMENTS`` (a convolution's SAME padding) becomes a
buffer filled and copied in vector tiles (:mod:`.cpu.pad`), never one vector. Linalg ops inside loop bodies
are scheduled like the others, each loop body a dataflow graph of its own.

Ops are addressed by position: every linalg op of the (untransformed) payload is
matched once at the start and split into one handle per op, in module order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from mlir import ir

from tilewright.schedule import OpHandle, Schedule
from tilewright.schedule.grouping import (
    MAX_PAD_ELEMENTS,
    Payload,
    epilogue_of,
    group_whole_dims,
    plan,
    whole_inner_loops,
)
from tilewright.schedule.info import ModuleInfo
from tilewright.schedule.raising import RaisableChain, raisable_chains, top_level_ops
from tilewright.schedule.tags import OP_TAG, tag_ops, untag_ops

if TYPE_CHECKING:
    from tilewright.schedule.cpu import CpuConfig
    from tilewright.schedule.knobs import Chooser


def default_schedule(
    module: ir.Module, threads: int = 1, name: str = "<default schedule>", chooser: Chooser | None = None
) -> Schedule | None:
    """The default CPU schedule for ``module`` (None when nothing in it is scheduled).

    Parts with a microkernel declare its blocking as knobs (:mod:`tilewright.schedule.knobs`),
    listed in ``schedule.tunable``; ``chooser`` gives their values by group signature (a tuner's
    candidate, or the tuning database's best entry), else the library's own are used.

    Every op group of the plan is one part of the schedule (:meth:`Schedule.part`): its own
    named sequence, which finds its ops by their ``OP_TAG`` (set here on the payload), so
    that the driver can apply the parts one by one and leave a failing group unscheduled
    while every other group is scheduled. The last part vectorizes the function.
    """
    from tilewright.schedule import knobs
    from tilewright.schedule.cpu import attention, config_for, conv, elementwise, flash, matmul, pad, vectorize

    payload = Payload.build(module)
    flash_ops = flash.attention_ops(module)  # tw.attention (C++ extension): flash parts of their own
    if payload == "" and flash_ops:
        payload = Payload(ModuleInfo.from_module(module), [])
    if not isinstance(payload, Payload):
        if payload:
            warnings.warn(f"default schedule: module left unscheduled: {payload}", RuntimeWarning, stacklevel=2)
        return None
    tag_ops(module)
    chains = _raisable_chains(module, payload)
    p = plan(payload, {c.root: c.members | ({c.init_fill} - {None}) for c in chains})
    alone = [i for i in p.alone if payload.nodes[i].name != "linalg.fill"]
    if not (p.attention or p.raised or p.contractions or p.convolutions or p.groups or alone or flash_ops):
        untag_ops(module)
        return None
    # A large payload pad must not be vectorized whole (minutes in LLVM): the "pads" part makes
    # every payload pad a buffer filled and copied in tiles, and the vectorization leaves pads
    # alone (if that part fails, they bufferize as they are) but for the matmul kernels' padded
    # tiles, which fold into their vector reads.
    large_pads = any(math.prod(shapes.result) > MAX_PAD_ELEMENTS for shapes in payload.pads)
    cfg = config_for()
    s = Schedule(name, context=module.context)  # built in the payload's context: applied without printing
    s.tunable = []  # type: ignore[attr-defined]
    info = [n.info for n in payload.nodes]

    def tunable(kind: str, root: int, members: list[int], specs: dict[str, knobs.KnobSpec], **dims: int) -> CpuConfig:
        """The part's knobs (declared when its body is built) and the config their values give."""
        ops = [info[i] for i in sorted({root, *members})]
        group = knobs.group(f"{kind}_{root}", kind, f"{kind} {info[root].name}#{root}", ops, specs, dims, chooser)
        s.tunable.append(group)  # type: ignore[attr-defined]
        return knobs.config_with(cfg, group.values, group.defaults)

    def part(kind: str, root: int, members: list[int], emit: Callable[[dict[int, OpHandle]], object]) -> None:
        """One part scheduling ``root`` and ``members``: their handles matched by tag, then ``emit``."""
        group = next((g for g in s.tunable if g.part == f"{kind}_{root}"), None)  # type: ignore[attr-defined]

        def body(scope: OpHandle) -> None:
            if group is not None:
                knobs.declare(s, group)
            ops: dict[int, OpHandle] = {}
            for i in sorted({root, *members}):
                h = scope.match(interface="LinalgOp", attrs={OP_TAG: f"{i} : i64"})
                ops[i] = h.specialize() if payload.nodes[i].specialize else h
            emit(ops)

        def fallback(scope: OpHandle) -> None:
            """Each op tiled alone into small tiles, as ops outside every group are: the final
            vectorization must never see a whole large tensor."""
            for i in sorted({root, *members}):
                node = payload.nodes[i]
                if node.tileable and node.info.iterator_types:
                    h = scope.match(interface="LinalgOp", attrs={OP_TAG: f"{i} : i64"})
                    elementwise.schedule_bounded(h, node.info.loop_ranges)

        extra = f" + {len(members)} fused ops" if members else ""
        s.part(
            f"{kind}_{root}",
            body,
            fallback=None if kind == "alone" else fallback,
            what=f"{kind} {payload.nodes[root].name}#{root}{extra}",
            location=info[root].location,
        )

    if large_pads:

        def buffers(scope: OpHandle) -> None:
            handles = scope.match("tensor.pad").split(len(payload.pads))  # the payload's: before any kernel's
            for handle, shapes in zip(handles, payload.pads, strict=True):
                pad.materialize_pad(s, handle, shapes.source, shapes.result)

        s.part("pads", buffers, what=f"buffers for the tensor.pads (one of over {MAX_PAD_ELEMENTS} elements)")
    flash.add_parts(s, flash_ops, len(payload.nodes), cfg)
    flashed = attention.flash_roots(info, p.attention, {c.root for c in chains})  # raised, then flashed
    shapes = {c.root: c.shape for c in chains}
    for root, members in p.raised:  # chains only the C++ matcher reads (f16 forms, generic P·V)
        part(
            "raised_attention",
            root,
            members,
            # The shape knows the output's fill (AttentionShape.of): the flash schedule tiles it.
            lambda ops, root=root: attention.raise_and_flash(
                s, ops[root], None, shapes[root], cfg, prefix=f"flash_{root}"
            ),
        )
    for root, fused in p.attention:
        c = tunable(
            "attention", root, fused, knobs.kernel_knobs(cfg), m=info[root].size("m") or 1, n=info[root].size("n") or 1
        )
        part(
            "attention",
            root,
            fused,
            lambda ops, root=root, fused=fused, c=c: attention.schedule_attention(
                s, ops, info, root, fused, cfg=c, threads=threads, flash=root in flashed
            ),
        )
    epilogues: set[int] = set()  # group roots scheduled with their contraction
    for index, fill in p.contractions:
        o = info[index]
        m, n, k = o.size("m"), o.size("n"), o.size("k")
        batch = len(o.contraction_dims["batch"]) if o.contraction_dims else 0
        assert m is not None and n is not None and k is not None
        candidate = epilogue_of(payload, p, index) if fill is not None else None
        specs = knobs.contraction_knobs(cfg, m, n, k, packs=fill is not None)
        c = tunable("contraction", index, [q for q in (fill, candidate) if q is not None], specs, m=m, n=n, k=k)
        fuses = fill is not None and matmul.fuses_epilogue(m, n, k, c, threads)
        epilogue = candidate if fuses else None
        epilogues.update([epilogue] if epilogue is not None else [])
        part(
            "contraction",
            index,
            [q for q in (fill, epilogue) if q is not None],
            lambda ops, index=index, fill=fill, m=m, n=n, k=k, batch=batch, e=epilogue, c=c: (
                matmul.schedule_contraction(
                    s, ops[index], m, n, k, batch=batch, fill=ops.get(fill), cfg=c, threads=threads, epilogue=ops.get(e)
                )
            ),
        )
    for index, fill in p.convolutions:
        members = [fill] if fill is not None else []
        c = tunable("convolution", index, members, knobs.kernel_knobs(cfg))
        part(
            "convolution",
            index,
            members,
            lambda ops, index=index, fill=fill, c=c: conv.schedule_convolution(
                s, ops[index], info[index], fill=ops.get(fill), cfg=c
            ),
        )
    for root, producers in p.groups:
        if root in epilogues:
            continue
        n_in = len(info[root].inputs)
        inits = [q for q in payload.nodes[root].operand_producers[n_in:] if q is not None]
        whole = group_whole_dims(payload, root, producers)
        chunk = whole_inner_loops(payload, root, producers, whole)
        part(
            "group",
            root,
            producers,
            lambda ops, root=root, producers=producers, inits=inits, whole=whole, chunk=chunk: (
                elementwise.schedule_group(
                    s,
                    ops,
                    info,
                    root,
                    producers,
                    init_producers=inits,
                    whole=whole,
                    chunk=chunk,
                    cfg=cfg,
                    threads=threads,
                )
            ),
        )
    for index in p.alone:
        r = info[index].loop_ranges
        part("alone", index, [], lambda ops, index=index, r=r: elementwise.schedule_bounded(ops[index], r))
    s.part(
        "vectorize",
        lambda scope: vectorize(s, scope.match("func.func"), padding=not large_pads),
        what="vectorization of the function",
    )
    return s


def _raisable_chains(module: ir.Module, payload: Payload) -> list[RaisableChain]:
    """The attention chains ``tw-raise-attention`` raises, asked only of payloads with a softmax."""
    if not any("math.exp" in n.info.body_ops for n in payload.nodes):
        return []
    return raisable_chains(module, top_level_ops(module))
