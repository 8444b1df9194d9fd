"""tilewright: StableHLO -> linalg -> scheduled, vectorized native code, driven from Python.

The public names are loaded on first use (module ``__getattr__``), so that
``import tilewright`` and the command lines' ``--help`` load neither MLIR nor
jax/jaxlib: ``tilewright.compile`` imports the compiler the first time it is
touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tilewright import _cpp_logging

if TYPE_CHECKING:
    from tilewright.compiler import CompileOptions, Executable, compile
    from tilewright.diagnostics import TilewrightError
    from tilewright.tune import tune

__all__ = ["CompileOptions", "Executable", "TilewrightError", "compile", "tune"]
__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "CompileOptions": "tilewright.compiler",
    "Executable": "tilewright.compiler",
    "compile": "tilewright.compiler",
    "TilewrightError": "tilewright.diagnostics",
    "tune": "tilewright.tune",
}

_cpp_logging.install()


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tilewright' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
