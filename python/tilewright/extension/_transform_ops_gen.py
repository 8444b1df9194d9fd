"""What generated transform-extension builders import as ``._transform_ops_gen``."""

from mlir.dialects._transform_ops_gen import _Dialect  # noqa: F401
