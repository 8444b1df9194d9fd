"""The default schedule fails per op group, never for the whole module (issue 10, item 2).

Every group of the plan is one part of the schedule (a named sequence that finds its ops by
the ``tw.op_id`` tag); the driver applies the script whole, and only when that fails applies
the parts one at a time from the payload as it was. A failing part leaves its ops as they
were, with a RuntimeWarning naming the group and where it comes from; every other group is
still scheduled. The failures here are injected into the library by monkeypatching.
"""

from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np

import pytest
import tilewright
from tilewright import compiler
from tilewright.schedule.default import OP_TAG


def matmul_softmax(x, w):
    return jax.nn.softmax(jnp.tanh(x @ w), axis=-1)


def program(rows: int = 7, k: int = 97, n: int = 130) -> tuple[str, np.ndarray, np.ndarray]:
    """StableHLO with locations (``debug_info``): the warnings point at this file."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((rows, k), dtype=np.float32)
    w = rng.standard_normal((k, n), dtype=np.float32) / np.float32(np.sqrt(k))
    return jax.jit(matmul_softmax).lower(x, w).as_text(debug_info=True), x, w


def expected(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    z = np.tanh(x.astype(np.float64) @ w.astype(np.float64))
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """Each test compiles anew: the cache would hand back a program built with the real library."""
    monkeypatch.setattr(compiler, "_CACHE", {})


def test_parts_are_named_sequences_included_in_order():
    text, x, w = program()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exe = tilewright.compile(text, threads=1)
    script = exe.compilation.artifacts.get("scheduled.transform") or ""
    scheduled = exe.compilation.artifacts["scheduled"]
    # The tags the parts find their ops by are gone once the schedule is applied.
    assert OP_TAG not in scheduled
    assert "vector.fma" in scheduled
    np.testing.assert_allclose(exe(x, w), expected(x, w), rtol=1e-5, atol=1e-6)
    if script:
        includes = re.findall(r"transform\.include @(\w+)", script)
        assert includes[-1] == "vectorize" and any(i.startswith("contraction_") for i in includes)


def test_parts_of_the_default_schedule():
    from tilewright.compiler import CompileOptions, start
    from tilewright.ingress.formats import as_source
    from tilewright.schedule.default import default_schedule

    text, _, _ = program()
    compilation = start(as_source(text), CompileOptions(schedule="none"))
    with compilation.context:
        s = default_schedule(compilation.module)
    assert s is not None
    kinds = [p.entry.rsplit("_", 1)[0] for p in s.parts]
    assert kinds == ["contraction", "group", "vectorize"]
    group = s.parts[1]
    assert group.what.startswith("group linalg.generic#") and "fused ops" in group.what
    assert group.location is not None and group.location.filename.endswith("test_default_schedule_parts.py")
    main = s.to_mlir()
    assert re.findall(r"transform\.include @(\w+)", main) == [p.entry for p in s.parts]


def test_a_failing_group_leaves_the_others_scheduled(monkeypatch):
    """The softmax group's schedule fails at apply time (a parent the root does not have): its ops
    are tiled alone into small tiles instead (the function's vectorization must never see a whole
    97x1000 tensor), with a warning naming the group and its location; the contraction keeps its
    microkernel and the numbers are right."""
    from tilewright.schedule.cpu import elementwise

    real = elementwise.schedule_group

    def failing(s, ops, info, root, producers, **kwargs):
        ops[root].parent("scf.forall")  # the untiled root has no such parent: fails in the interpreter
        return real(s, ops, info, root, producers, **kwargs)

    monkeypatch.setattr(elementwise, "schedule_group", failing)
    text, x, w = program(rows=97, n=1000)
    with pytest.warns(RuntimeWarning) as record:
        exe = tilewright.compile(text, threads=1)
    messages = [str(r.message) for r in record]
    assert len(messages) == 1, messages
    where = r"\(.*test_default_schedule_parts\.py:\d+"
    assert re.match(rf"default schedule: group linalg\.generic#\d+ \+ \d+ fused ops {where}", messages[0])
    assert "not applied, its ops tiled alone instead" in messages[0]
    scheduled = exe.compilation.artifacts["scheduled"]
    assert "vector.fma" in scheduled  # the contraction's microkernel
    assert "vector<97x1000xf32>" not in scheduled  # what vectorizing the untiled softmax gives
    assert OP_TAG not in scheduled
    assert "compiling unscheduled" not in " ".join(messages)
    np.testing.assert_allclose(exe(x, w), expected(x, w), rtol=1e-5, atol=1e-6)


def test_a_failing_vectorization_keeps_the_tiling(monkeypatch):
    """The last part (the function's vectorization) fails: the groups stay tiled, with a warning."""
    from tilewright.schedule import cpu

    def failing(s, func, **_kwargs):
        func.parent("scf.forall")  # a func.func has no such parent: fails in the interpreter
        return func

    monkeypatch.setattr(cpu, "vectorize", failing)
    text, x, w = program()
    with pytest.warns(RuntimeWarning, match=r"default schedule: vectorization of the function not applied"):
        exe = tilewright.compile(text, threads=1)
    scheduled = exe.compilation.artifacts["scheduled"]
    assert "scf.for" in scheduled and "vector.fma" not in scheduled
    np.testing.assert_allclose(exe(x, w), expected(x, w), rtol=1e-5, atol=1e-6)


def test_a_users_schedule_never_falls_back():
    """Parts are only a fallback of the default schedule: a user's failing schedule is an error."""
    text, _, _ = program()
    bad = """module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    %p = transform.get_parent_op %f {op_name = "scf.forall"} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}"""
    with pytest.raises(tilewright.TilewrightError):
        tilewright.compile(text, schedule=bad, threads=1)
