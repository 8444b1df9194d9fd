"""tilewright: StableHLO -> linalg -> scheduled, vectorized native code, driven from Python."""

from tilewright.compiler import CompileOptions, Executable, compile
from tilewright.diagnostics import TilewrightError

__all__ = ["CompileOptions", "Executable", "TilewrightError", "compile"]
__version__ = "0.1.0"
