"""The JAX front door: ``tilewright.jax.jit``, a drop-in for ``jax.jit`` that compiles with tilewright.

JAX traces and lowers the function to StableHLO for the shapes and dtypes of
each call (``jax.jit(fn, keep_unused=True).lower(...)``, so the module takes
every array leaf, used or not); tilewright compiles that module for the CPU
and caches the executable per call signature: the pytree structure of the
dynamic arguments, each leaf's shape, dtype and weak type, the static
arguments' values, and whether ``jax_enable_x64`` is on.

Inputs are pytrees of arrays (numpy, JAX) or Python scalars, as for
``jax.jit``; leaves are converted to the dtype JAX chose (so float64 numpy
arrays become float32 when x64 is off, as JAX does). Outputs have the pytree
structure of the function's result, with **numpy arrays** as leaves: the
compiled code runs on the host and writes into numpy buffers, so returning
numpy avoids a copy onto a JAX device (wrap with ``jnp.asarray`` if needed).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from tilewright.compiler import Executable
from tilewright.compiler import compile as tw_compile
from tilewright.diagnostics import InternalError, TilewrightError
from tilewright.ingress.formats import InputFormat, Source

__all__ = ["CompiledCall", "JittedFunction", "jit"]


@dataclass(frozen=True)
class CompiledCall:
    """One cache entry: the executable for a signature and how to (un)flatten around it."""

    executable: Executable
    in_tree: Any  # PyTreeDef of (dynamic positional args, dynamic keyword args)
    out_tree: Any  # PyTreeDef of the result
    stablehlo: str


def _as_tuple(value: int | str | Iterable[Any] | None) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, int | str):
        return (value,)
    return tuple(value)


def _resolve_static(
    fn: Callable[..., Any], argnums: tuple[int, ...], argnames: tuple[str, ...]
) -> tuple[tuple[int, ...], frozenset[str]]:
    """Static positions and names, each completed from the other through the signature (as jax.jit does)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins and some callables have no signature
        return argnums, frozenset(argnames)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    nums = {n if n >= 0 else len(positional) + n for n in argnums}
    names = set(argnames)
    for i, p in enumerate(positional):
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in names:
            nums.add(i)
        if i in nums and p.kind is p.POSITIONAL_OR_KEYWORD:
            names.add(p.name)
    return tuple(sorted(nums)), frozenset(names)


def _abstract(leaf: Any) -> tuple[tuple[int, ...], np.dtype, bool]:
    """What of a leaf decides the lowered program: (shape, dtype JAX computes in, weak type).

    The same for a numpy array and a ``jax.Array`` of one shape and dtype (one signature,
    one compile); numpy dtypes are canonicalized as JAX places them (float64 is float32
    unless ``jax_enable_x64``), and numpy values are never weak.
    """
    if isinstance(leaf, np.ndarray | np.generic):  # the common case, without jax.typeof's overhead
        return (leaf.shape, jax.dtypes.canonicalize_dtype(leaf.dtype), False)
    aval = jax.typeof(leaf)  # jax.Array, Python scalars
    return (aval.shape, aval.dtype, aval.weak_type)


class JittedFunction:
    """``fn`` compiled by tilewright, once per call signature."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        schedule: Any = None,
        target: str = "cpu",
        static_argnums: int | Sequence[int] | None = None,
        static_argnames: str | Iterable[str] | None = None,
        opt_level: int = 3,
    ) -> None:
        self.fn = fn
        self.schedule = schedule
        self.target = target
        self.opt_level = opt_level
        given_nums = tuple(int(n) for n in _as_tuple(static_argnums))
        given_names = tuple(str(n) for n in _as_tuple(static_argnames))
        self.static_argnums, self.static_argnames = _resolve_static(fn, given_nums, given_names)
        # None (not ()) where not given: jax.jit then infers positions from names and names from positions.
        self._jax_jit = jax.jit(
            fn,
            static_argnums=given_nums if static_argnums is not None else None,
            static_argnames=given_names if static_argnames is not None else None,
            keep_unused=True,
        )
        self._cache: dict[Any, CompiledCall] = {}
        self._lock = threading.Lock()
        self.compilations = 0  # how many signatures were lowered and compiled (cache misses)
        functools.update_wrapper(self, fn)

    @property
    def cache_size(self) -> int:
        return len(self._cache)

    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any], Any]:
        """(dynamic positional args, dynamic keyword args, hashable key of the static ones)."""
        dyn_args = tuple(a for i, a in enumerate(args) if i not in self.static_argnums)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        static = tuple((i, a) for i, a in enumerate(args) if i in self.static_argnums)
        static += tuple(sorted((k, v) for k, v in kwargs.items() if k in self.static_argnames))
        try:
            hash(static)
        except TypeError as exc:
            raise TilewrightError(f"static arguments must be hashable, as for jax.jit ({exc})") from None
        return dyn_args, dyn_kwargs, static

    def _signature(self, dyn_args: tuple[Any, ...], dyn_kwargs: dict[str, Any], static: Any) -> tuple[Any, list[Any]]:
        leaves, treedef = jax.tree_util.tree_flatten((dyn_args, dyn_kwargs))
        try:
            avals = tuple(_abstract(leaf) for leaf in leaves)
        except TypeError as exc:
            raise TilewrightError(f"unsupported argument: {exc}") from None
        return (treedef, avals, static, bool(jax.config.jax_enable_x64)), leaves

    def _compile(self, args: tuple[Any, ...], kwargs: dict[str, Any], treedef: Any) -> CompiledCall:
        lowered = self._jax_jit.lower(*args, **kwargs)
        # With debug info, errors about an op point at the line of Python that produced it.
        text = lowered.as_text(debug_info=True)
        name = getattr(self.fn, "__qualname__", None) or type(self.fn).__name__
        source = Source(text, f"<tilewright.jax.jit {name}>", InputFormat.MLIR_TEXT)
        executable = tw_compile(source, target=self.target, schedule=self.schedule, opt_level=self.opt_level)
        n_inputs = len(executable.signature.inputs)
        if lowered.in_tree != treedef or n_inputs != treedef.num_leaves:
            raise InternalError(
                "jax lowering",
                f"{name} was lowered for arguments {lowered.in_tree} to a module with {n_inputs} argument(s), "
                f"but was called with {treedef}",
            )
        return CompiledCall(executable, lowered.in_tree, lowered.out_tree, text)

    def _entry(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[CompiledCall, list[Any]]:
        dyn_args, dyn_kwargs, static = self._split(args, kwargs)
        key, leaves = self._signature(dyn_args, dyn_kwargs, static)
        with self._lock:
            entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(args, kwargs, key[0])
            with self._lock:
                entry = self._cache.setdefault(key, entry)
                self.compilations += 1
        return entry, leaves

    def get_compiled(self, *args: Any, **kwargs: Any) -> CompiledCall:
        """The cache entry for these arguments, lowering and compiling on a miss."""
        return self._entry(args, kwargs)[0]

    def lower(self, *args: Any, **kwargs: Any) -> str:
        """The StableHLO text that tilewright compiles for these arguments."""
        return self._entry(args, kwargs)[0].stablehlo

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        entry, leaves = self._entry(args, kwargs)
        types = entry.executable.signature.inputs
        inputs = [np.asarray(leaf, dtype=t.dtype) for leaf, t in zip(leaves, types, strict=True)]
        results = entry.executable(*inputs)
        if not isinstance(results, tuple):
            results = (results,)
        return jax.tree_util.tree_unflatten(entry.out_tree, list(results))

    def __repr__(self) -> str:
        return f"<tilewright.jax.jit {getattr(self.fn, '__qualname__', self.fn)!s} ({self.cache_size} compiled)>"


def jit(
    fn: Callable[..., Any] | None = None,
    *,
    schedule: Any = None,
    target: str = "cpu",
    static_argnums: int | Sequence[int] | None = None,
    static_argnames: str | Iterable[str] | None = None,
    opt_level: int = 3,
) -> Any:
    """Like ``jax.jit``, but compiled by tilewright (usable as ``@jit`` or ``@jit(schedule=...)``).

    ``schedule`` is a transform-dialect script (text, a path, or an object with
    ``to_mlir()``) applied to every signature's program.
    """
    options = {
        "schedule": schedule,
        "target": target,
        "static_argnums": static_argnums,
        "static_argnames": static_argnames,
        "opt_level": opt_level,
    }
    if fn is None:
        return lambda f: JittedFunction(f, **options)
    return JittedFunction(fn, **options)
