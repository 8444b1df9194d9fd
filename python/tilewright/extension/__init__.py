"""tilewright's C++ MLIR extension, seen from Python: the ``tw`` dialect, the
``transform.tw.*`` ops and the ``tw-*`` passes (sources in ``dialects/`` and
``transforms/``, built by ``pip install``).

:func:`register` puts them into every ``mlir.ir.Context`` created afterwards
(through the bindings' global dialect registry), so the in-process compiler,
``tilewright-opt`` and the schedule API all see the same ops.
:func:`plugin_path` is the shared library stock ``mlir-opt`` loads with
``--load-dialect-plugin`` / ``--load-pass-plugin``.
"""

from __future__ import annotations

import functools
import importlib
import os
from pathlib import Path
from types import ModuleType

PLUGIN_NAME = "libTilewrightPlugin.so"
# `pip install -e .` puts the built files in this package. A checkout used through
# PYTHONPATH (with SKBUILD_EDITABLE_SKIP set, see README) or a hand-made CMake build
# names its build folder (`<build>/dialects/python`) here instead.
NATIVE_DIR_VARIABLE = "TILEWRIGHT_NATIVE_DIR"
if os.environ.get(NATIVE_DIR_VARIABLE):
    __path__.insert(0, os.environ[NATIVE_DIR_VARIABLE])


# The tw-* passes written in C++ (transforms/lib), registered by :func:`register`: pipelines name
# them like upstream passes.
PASSES: tuple[str, ...] = (
    "tw-collapse-parallel-loops",
    "tw-decompose-attention",
    "tw-math-approximation",
    "tw-raise-attention",
)


class ExtensionUnavailable(RuntimeError):
    """The C++ extension was not built or cannot be loaded."""


@functools.cache
def native_module() -> ModuleType:
    """The compiled ``_tw`` module (imported once), or :class:`ExtensionUnavailable`."""
    import mlir.ir  # noqa: F401 - loads libMLIRPythonCAPI.so, which _tw links

    try:
        return importlib.import_module("tilewright.extension._tw")
    except ImportError as err:
        raise ExtensionUnavailable(
            f"tilewright's C++ extension is not built ({err}); reinstall with `pip install -e .` "
            f"or point {NATIVE_DIR_VARIABLE} at a build folder holding _tw.*.so"
        ) from err


def available() -> bool:
    """Whether the C++ extension loads in this process."""
    try:
        native_module()
    except ExtensionUnavailable:
        return False
    return True


@functools.cache
def register() -> None:
    """Adds the tw dialect, transform.tw.* and tw-* passes to every context created from now on."""
    from mlir._mlir_libs import get_dialect_registry

    module = native_module()
    module.register_dialects(get_dialect_registry())
    module.register_passes()


@functools.cache
def has_pass(name: str) -> bool:
    """Whether the loaded extension registers the pass ``name``: a build older than the checkout
    (a worktree whose build folder was not rebuilt after a rebase) may not."""
    if not available():
        return False
    register()
    from mlir import ir, passmanager

    with ir.Context():
        try:
            passmanager.PassManager.parse(f"builtin.module({name})")
        except ValueError:
            return False
    return True


def plugin_path() -> Path:
    """``libTilewrightPlugin.so`` for stock ``mlir-opt``."""
    for folder in __path__:
        if (Path(folder) / PLUGIN_NAME).is_file():
            return Path(folder) / PLUGIN_NAME
    raise ExtensionUnavailable(f"{PLUGIN_NAME} is not built; reinstall with `pip install -e .`")
