"""Load jaxlib's native libraries with JAX's default C++ log level, leaving the user's environment alone.

jaxlib's C++ logging reads ``TF_CPP_MIN_LOG_LEVEL`` once, when its first native
library is loaded. ``import jax`` sets it to ``1`` first (``os.environ.setdefault``),
which hides INFO lines such as ``pjrt_client.cc:579] PjRt-IFRT device count``.
tilewright's ingress imports ``jaxlib.mlir`` without ``jax``, so without this a
process that compiles with tilewright and then uses JAX would print those lines
on every backend start.

:func:`install` adds an import hook that, for the first jaxlib extension module
only, sets ``TF_CPP_MIN_LOG_LEVEL=1`` while that library loads, then removes the
variable again (a value the user set is never touched), and then uninstalls itself.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
JAX_DEFAULT_LEVEL = "1"  # what ``import jax`` sets by default: warnings and errors only
_lock = threading.Lock()


@contextlib.contextmanager
def jax_default_log_level() -> Iterator[None]:
    """``TF_CPP_MIN_LOG_LEVEL`` as ``import jax`` would have it, only inside the block, unless the user set it."""
    if LOG_LEVEL_ENV in os.environ:
        yield
        return
    os.environ[LOG_LEVEL_ENV] = JAX_DEFAULT_LEVEL
    try:
        yield
    finally:
        if os.environ.get(LOG_LEVEL_ENV) == JAX_DEFAULT_LEVEL:
            del os.environ[LOG_LEVEL_ENV]


class _QuietLoader(importlib.abc.Loader):
    """An extension loader whose ``create_module`` (the ``dlopen``) runs with JAX's default log level."""

    def __init__(self, loader: Any, finder: _FirstJaxlibLibrary) -> None:
        self._loader = loader
        self._finder = finder

    def create_module(self, spec: Any) -> Any:
        try:
            with jax_default_log_level():
                return self._loader.create_module(spec)
        finally:
            self._finder.uninstall()

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)

    def __getattr__(self, name: str) -> Any:  # get_filename, is_package, ...: the extension loader's own
        return getattr(self._loader, name)


class _FirstJaxlibLibrary(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith("jaxlib."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            spec.loader = _QuietLoader(spec.loader, self)
        return spec

    def uninstall(self) -> None:
        with _lock, contextlib.suppress(ValueError):
            sys.meta_path.remove(self)


_finder = _FirstJaxlibLibrary()


def install() -> None:
    """Hook the first jaxlib native library of this process (no-op once jaxlib is loaded)."""
    with _lock:
        if any(m.startswith("jaxlib.") and m != "jaxlib.version" for m in sys.modules):
            return  # jaxlib's native code is loaded: its log level is already decided
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
