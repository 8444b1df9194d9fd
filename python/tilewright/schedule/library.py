"""Named built-in schedules: ``--schedule NAME`` and ``tilewright.compile(..., schedule="NAME")``.

A built-in is a function ``(ModuleInfo) -> Schedule`` registered under a name::

    from tilewright.schedule.library import register_builtin

    @register_builtin("cpu-matmul", description="BLIS-style tiled + vectorized matmul")
    def matmul(info: ModuleInfo) -> Schedule: ...

Modules that register built-ins are imported lazily on the first lookup (the
schedule library is large and most compilations never name one); add a library
module to ``LIBRARY_MODULES``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tilewright.diagnostics import TilewrightError

# Modules whose import registers built-ins (skipped if not present).
LIBRARY_MODULES: tuple[str, ...] = ("tilewright.schedule.cpu",)


@dataclass(frozen=True)
class Builtin:
    name: str
    build: Callable[[Any], Any]  # (ModuleInfo) -> Schedule | str
    description: str = ""


_REGISTRY: dict[str, Builtin] = {}
_loaded = False


def register_builtin(
    name: str, fn: Callable[[Any], Any] | None = None, *, description: str = "", replace: bool = False
) -> Any:
    """Register ``fn`` as the built-in schedule ``name``; usable as a decorator."""

    def add(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
        if name in _REGISTRY and not replace and _REGISTRY[name].build is not f:
            raise ValueError(f"built-in schedule '{name}' is already registered")
        doc = description or ((f.__doc__ or "").strip().splitlines() or [""])[0]
        _REGISTRY[name] = Builtin(name, f, doc)
        return f

    return add(fn) if fn is not None else add


def _load_library() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module_name in LIBRARY_MODULES:
        try:
            found = importlib.util.find_spec(module_name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            try:
                importlib.import_module(module_name)
            except Exception as exc:  # a broken library is reported, not a traceback
                _loaded = False
                raise TilewrightError(
                    f"the built-in schedule library '{module_name}' failed to load: {type(exc).__name__}: {exc}"
                ) from exc


def builtin_names() -> list[str]:
    """Names of every registered built-in schedule, sorted."""
    _load_library()
    return sorted(_REGISTRY)


def builtins() -> list[Builtin]:
    _load_library()
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]


def is_builtin(name: str) -> bool:
    _load_library()
    return name in _REGISTRY


def get_builtin(name: str) -> Builtin:
    """The built-in ``name``; an error listing the known ones if there is none."""
    _load_library()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none registered"
        raise TilewrightError(f"unknown built-in schedule '{name}' (known: {known})") from None
