"""Arguments for an entry function from the command line: npz files and seeded random arrays.

Shared by ``tilewright run`` and ``tilewright bench``. An npz file's arrays are the
arguments in stored order (``np.savez(f, a, b)`` or ``np.savez(f, x=a, y=b)``).
npz cannot name the ml_dtypes types (bfloat16, float8...): it stores them as raw
voids of their width, so they are viewed as the type the entry expects.

Every error names the file it is about: ``FILE: error: ...``.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.runtime import check_inputs
from tilewright.runtime.memref import empty_aligned
from tilewright.types import Signature

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive (an empty one starts with its end record)
_NPY_MAGIC = b"\x93NUMPY"


def read_npz(path: str, what: str = "inputs") -> dict[str, np.ndarray]:
    """The arrays of an npz file by name, in stored order; ``what`` names the file in "not found"."""
    p = Path(path)
    if not p.is_file():
        raise TilewrightError("is a directory" if p.is_dir() else f"{what} file not found", SourceLocation(path))
    try:
        with p.open("rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise TilewrightError(f"cannot read {what}: {exc.strerror}", SourceLocation(path)) from None
    if not head.startswith(_ZIP_MAGIC):
        message = f"not an .npz file ({_what_it_is(head)}; numpy.savez writes .npz files)"
        raise TilewrightError(message, SourceLocation(path))
    try:
        with np.load(p, allow_pickle=False) as data:
            return {name: _member(data, name, path) for name in data.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise TilewrightError(f"cannot read npz {what}: {exc}", SourceLocation(path)) from None


def _what_it_is(head: bytes) -> str:
    if not head:
        return "it is empty"
    if head.startswith(_NPY_MAGIC):
        return "it holds a single .npy array"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return "no zip archive signature"
    return "it is text"


def _member(data: Any, name: str, path: str) -> np.ndarray:
    try:
        array = data[name]
    except ValueError:  # object arrays need pickle, which is never enabled for input files
        raise TilewrightError(f"array '{name}' holds Python objects, not numbers", SourceLocation(path)) from None
    if not isinstance(array, np.ndarray):  # numpy hands back the raw bytes of a member that is no .npy
        raise TilewrightError(f"not an .npz file (its member '{name}' is not a .npy array)", SourceLocation(path))
    return array


def load_npz_inputs(path: str) -> list[np.ndarray]:
    """The arrays of an npz file in stored order, each in a cache-line aligned buffer (``np.load``
    gives 16-byte aligned ones; a streaming kernel such as RMSNorm ran 2x slower on them)."""
    return [_aligned(a) for a in read_npz(path).values()]


def restore_custom_dtype(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """npz stores bfloat16 and the other ml_dtypes as raw voids of their width: view them as ``dtype``."""
    if array.dtype.kind == "V" and array.dtype.itemsize == np.dtype(dtype).itemsize:
        return array.view(dtype)
    return array


def match_inputs(arrays: Sequence[np.ndarray], signature: Signature, entry: str, path: str) -> list[np.ndarray]:
    """The arrays of npz file ``path`` checked against ``@entry``'s arguments (count, shape, dtype)."""
    if len(arrays) != len(signature.inputs):
        raise TilewrightError(
            f"'@{entry}' takes {len(signature.inputs)} argument(s) but the npz file holds {len(arrays)} array(s)",
            SourceLocation(path),
        )
    restored = [restore_custom_dtype(a, t.dtype) for a, t in zip(arrays, signature.inputs, strict=True)]
    try:
        return check_inputs(signature, restored, entry)
    except TilewrightError as exc:  # the runtime's own check, located at the file the arrays came from
        raise TilewrightError(exc.message, SourceLocation(path)) from None


def random_inputs(signature: Signature, seed: int) -> list[np.ndarray]:
    """Seeded arguments for every input: small integers, booleans, normal floats (complex: both parts)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for t in signature.inputs:
        dtype = t.dtype
        if dtype == np.bool_:
            arrays.append(rng.random(t.shape) < 0.5)
        elif np.issubdtype(dtype, np.integer):
            arrays.append(rng.integers(-8 if np.issubdtype(dtype, np.signedinteger) else 0, 9, t.shape).astype(dtype))
        elif np.issubdtype(dtype, np.complexfloating):
            arrays.append((rng.standard_normal(t.shape) + 1j * rng.standard_normal(t.shape)).astype(dtype))
        else:
            arrays.append(rng.standard_normal(t.shape).astype(dtype))
    return [_aligned(a) for a in arrays]


def _aligned(array: np.ndarray) -> np.ndarray:
    """``array`` in a cache-line aligned buffer, as XLA and IREE hold their arguments (see
    :data:`tilewright.runtime.memref.ARRAY_ALIGNMENT`)."""
    out = empty_aligned(array.shape, array.dtype)
    out[...] = array
    return out
