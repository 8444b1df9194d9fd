"""``ScheduleSource``: the schedule a user gave, resolved once at the boundary into one type.

Whatever the API or a CLI was handed — nothing or ``"default"`` (the CPU library),
``"none"``, transform-script text, a ``.mlir`` file, a ``.py`` file, a
:class:`~tilewright.schedule.Schedule`, a function of
:class:`~tilewright.schedule.info.ModuleInfo`, or a built-in name — becomes one
:class:`ScheduleSource` by :func:`resolve_schedule`. Every consumer asks it, never the
raw value: the compile cache (:meth:`ScheduleSource.fingerprint`, by content, so an
edited file compiles anew), the schedule stage (:meth:`ScheduleSource.script`), and
``--dump-dir`` (the script it produced).

Schedules built from Python for a payload (functions, ``.py`` files, built-ins, the
default) are built in the payload's own MLIR context and applied without printing;
only a ``Schedule`` object built beforehand in a context of its own, and text, are
parsed.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlir import ir

from tilewright.diagnostics import SourceLocation, TilewrightError
from tilewright.schedule.context import build_in
from tilewright.schedule.handles import SchedulePart

ENTRY_POINT = "__transform_main"

DEFAULT = "default"
"""``--schedule default`` (and no ``--schedule``): the CPU library's schedule."""

NONE = "none"
"""``--schedule none``: no schedule at all, every linalg op lowers to plain loops."""


@dataclass
class Script:
    """A transform module ready to apply: in the payload's context, ``name`` for its locations."""

    module: ir.Module
    name: str
    entry: str = ENTRY_POINT
    parts: tuple[SchedulePart, ...] = ()  # what a failing schedule that falls back applies one by one

    def text(self) -> str:
        return self.module.operation.get_asm(enable_debug_info=True)


class ScheduleSource:
    """A resolved schedule. ``kind`` names the form; ``falls_back`` is True only for the
    default, whose failure compiles the payload unscheduled (with a warning) instead of
    failing a program that compiles without it."""

    kind = ""
    falls_back = False

    def fingerprint(self) -> str:
        """What identifies the schedule's content (for the compile cache)."""
        raise NotImplementedError

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        """The transform module for ``payload`` in its context; None: nothing to apply."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short label for reports (``bench``, ``--verbose``)."""
        return self.kind

    def applied(self, payload: ir.Module) -> None:
        """Called with the payload once its script was applied (the default removes its op tags)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class DefaultSchedule(ScheduleSource):
    """The CPU library's schedule, built for the payload (:mod:`tilewright.schedule.default`).

    Its knobs take the values of ``knobs`` (group signature -> knob values: what a tuner
    measures), else, with ``tuned``, the best the tuning database recorded for the group
    (:mod:`tilewright.schedule.tuned`; ``tuned_hits`` lists them after :meth:`script`), else
    the library's own.
    """

    kind = DEFAULT
    falls_back = True

    def __init__(
        self, *, tuned: bool = True, knobs: Mapping[str, Mapping[str, int]] | None = None, db: Path | None = None
    ) -> None:
        self.tuned = tuned
        self.knobs = {sig: dict(values) for sig, values in (knobs or {}).items()}
        self.db = db
        self.tuned_hits: list[Any] = []

    def fingerprint(self) -> str:
        from tilewright.schedule.tuned import db_stamp, default_db_path

        if not self.tuned and not self.knobs:
            return DEFAULT
        stamp = db_stamp(self.db or default_db_path()) if self.tuned else "off"
        return f"{DEFAULT}:{json.dumps(self.knobs, sort_keys=True)}:{stamp}"

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        from tilewright.schedule.default import default_schedule
        from tilewright.schedule.tuned import TunedLookup, cpu_key, default_db_path
        from tilewright.target.cpu.host import target_cpu

        lookup = TunedLookup(self.db or default_db_path(), "cpu", cpu_key(target_cpu())) if self.tuned else None

        def chooser(signature: str) -> Mapping[str, int] | None:
            if signature in self.knobs:
                return self.knobs[signature]
            return lookup(signature) if lookup is not None else None

        with payload.context, build_in(payload.context):
            if self.knobs or (lookup is not None and lookup.path.is_file()):
                schedule = default_schedule(payload, threads, chooser=chooser)
            else:
                schedule = default_schedule(payload, threads)
        self.tuned_hits = lookup.hits if lookup is not None else []
        return None if schedule is None else _script_of(schedule, payload, "<default schedule>")

    def applied(self, payload: ir.Module) -> None:
        from tilewright.schedule.tags import untag_ops

        untag_ops(payload)


class NoSchedule(ScheduleSource):
    kind = NONE

    def fingerprint(self) -> str:
        return NONE

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        return None


@dataclass(repr=False)
class ScriptText(ScheduleSource):
    """Transform-script text (``module attributes {transform.with_named_sequence} {...}``)."""

    text: str
    name: str = "<schedule>"
    kind = "text"

    def fingerprint(self) -> str:
        return "text:" + hashlib.sha256(self.text.encode()).hexdigest()

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        return _parse(self.text, self.name, payload.context)


@dataclass(repr=False)
class ScriptFile(ScheduleSource):
    """A ``.mlir`` transform script on disk, read at each use (an edit is never served stale)."""

    path: Path
    kind = "file"

    def fingerprint(self) -> str:
        return f"file:{self.path.resolve()}:{_digest(self.path)}"

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        return _parse(self.path.read_text(), str(self.path), payload.context)

    def describe(self) -> str:
        return str(self.path)


@dataclass(repr=False)
class PythonFile(ScheduleSource):
    """A ``.py`` file defining ``schedule``: a function of the module info, a Schedule, or text.
    Its fingerprint covers the file's own content (not modules it imports)."""

    path: Path
    kind = "python"

    def fingerprint(self) -> str:
        return f"python:{self.path.resolve()}:{_digest(self.path)}"

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        path = self.path
        with build_in(payload.context):
            namespace = _call_user_code(
                lambda: runpy.run_path(str(path), run_name="__tilewright_schedule__"), path, str(path)
            )
        if "schedule" not in namespace:
            raise TilewrightError(
                "a Python schedule must define 'schedule' (a function of the module info, a Schedule, or script text)",
                SourceLocation(str(path)),
            )
        value = namespace["schedule"]
        if isinstance(value, str) or hasattr(value, "to_mlir"):
            return _call_user_code(lambda: _script_of(value, payload, str(path)), path, str(path))
        if callable(value):
            return _build_for(value, payload, str(path), path)
        raise TilewrightError(
            f"'schedule' is a {type(value).__name__}; expected a function, a Schedule or script text",
            SourceLocation(str(path)),
        )

    def describe(self) -> str:
        return str(self.path)


@dataclass(repr=False)
class BuiltinSchedule(ScheduleSource):
    """A named schedule of :mod:`tilewright.schedule.library`."""

    name: str
    kind = "builtin"

    def fingerprint(self) -> str:
        return "builtin:" + self.name

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        from tilewright.schedule import library

        return _build_for(library.get_builtin(self.name).build, payload, f"<builtin {self.name}>", None)

    def describe(self) -> str:
        return self.name


@dataclass(repr=False)
class ScheduleObject(ScheduleSource):
    """A :class:`~tilewright.schedule.Schedule` (or any object with ``to_mlir()``) built beforehand."""

    schedule: Any
    kind = "object"

    def fingerprint(self) -> str:
        return "script:" + hashlib.sha256(self.schedule.to_mlir().encode()).hexdigest()

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        return _script_of(self.schedule, payload, getattr(self.schedule, "name", "<schedule>"))

    def describe(self) -> str:
        return getattr(self.schedule, "name", "schedule object")


@dataclass(repr=False)
class ScheduleFunction(ScheduleSource):
    """A function ``(ModuleInfo) -> Schedule | str``, called for each payload. Identified by
    the function object (a new function compiles anew; the same one is served from the cache)."""

    build: Callable[[Any], Any]
    kind = "function"

    def fingerprint(self) -> str:
        fn = self.build
        return f"callable:{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}:{id(fn)}"

    def script(self, payload: ir.Module, *, threads: int = 1) -> Script | None:
        return _build_for(self.build, payload, getattr(self.build, "__name__", "<schedule>"), None)

    def describe(self) -> str:
        return getattr(self.build, "__qualname__", "function")


def resolve_schedule(value: Any) -> ScheduleSource:
    """The :class:`ScheduleSource` for any accepted form of schedule.

    A ``Path`` is always a file. A string is, in this order: ``default``/``none``; a
    file that exists (whatever characters its path holds); a built-in name; script text
    if it reads as MLIR; else an error naming the missing file and the built-ins.
    """
    if value is None:
        return DefaultSchedule()
    if isinstance(value, ScheduleSource):
        return value
    if isinstance(value, Path):
        return _file_source(value)
    if isinstance(value, str):
        if value == DEFAULT:
            return DefaultSchedule()
        if value == NONE:
            return NoSchedule()
        if _is_file(value):
            return _file_source(Path(value))
        if "\n" not in value and _is_builtin(value):
            return BuiltinSchedule(value)
        if _reads_as_mlir(value):
            return ScriptText(value)
        from tilewright.schedule import library

        known = ", ".join([DEFAULT, NONE, *library.builtin_names()])
        raise TilewrightError(
            f"schedule file not found, and not a built-in schedule (known: {known})", SourceLocation(value)
        )
    if hasattr(value, "to_mlir"):
        return ScheduleObject(value)
    if callable(value):
        return ScheduleFunction(value)
    raise TilewrightError(f"cannot use a {type(value).__name__} as a schedule")


def schedule_text(schedule: Any, payload: ir.Module) -> tuple[str, str]:
    """(script text, file name for its locations) of any accepted form of schedule, for ``payload``."""
    script = resolve_schedule(schedule).script(payload)
    return ("", "<no schedule>") if script is None else (script.text(), script.name)


def _file_source(path: Path) -> ScheduleSource:
    if not path.is_file():
        raise TilewrightError("schedule file not found", SourceLocation(str(path)))
    return PythonFile(path) if path.suffix == ".py" else ScriptFile(path)


def _is_file(text: str) -> bool:
    try:
        return "\n" not in text and Path(text).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


def _is_builtin(name: str) -> bool:
    from tilewright.schedule import library

    return library.is_builtin(name)


def _reads_as_mlir(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(("module", "transform.", "//", "#", "!")) or "transform." in text


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _parse(text: str, name: str, context: ir.Context) -> Script:
    from tilewright.schedule.apply import parse_script

    return Script(parse_script(text, name, context), name)


def _script_of(result: Any, payload: ir.Module, name: str) -> Script:
    """A Schedule (used as is when built in the payload's context) or script text, as a Script."""
    if isinstance(result, str):
        return _parse(result, name, payload.context)
    name = getattr(result, "name", name)
    module = getattr(result, "module", None)
    if isinstance(module, ir.Module) and module.context is payload.context:
        if hasattr(result, "verify"):
            result.verify()
        return Script(module, name, parts=tuple(getattr(result, "parts", ())))
    try:
        text = result.to_mlir(debug_info=True)
    except TypeError:  # an object whose to_mlir() takes no options
        text = result.to_mlir()
    return _parse(text, name, payload.context)


def _build_for(build: Callable[[Any], Any], payload: ir.Module, name: str, path: Path | None) -> Script:
    """Call ``build(module_info)`` in the payload's context; its Schedule or text as a Script."""
    from tilewright.schedule.info import ModuleInfo

    info = ModuleInfo.from_module(payload)
    with build_in(payload.context):
        result = _call_user_code(lambda: build(info), path, name)
    if not (isinstance(result, str) or hasattr(result, "to_mlir")):
        raise TilewrightError(
            f"schedule builder returned a {type(result).__name__}, expected a Schedule or script text",
            SourceLocation(str(path) if path else name),
        )
    return _call_user_code(lambda: _script_of(result, payload, name), path, name)


def _call_user_code(work: Callable[[], Any], path: Path | None, name: str) -> Any:
    """Run user schedule code; its exceptions become errors at the user's line, not tracebacks."""
    try:
        return work()
    except TilewrightError:
        raise
    except SyntaxError as exc:
        loc = SourceLocation(exc.filename or name, exc.lineno or 0, exc.offset or 0)
        raise TilewrightError(f"invalid Python in schedule: {exc.msg}", loc) from None
    except Exception as exc:  # noqa: BLE001 - any error in user code is reported at its line
        frames = traceback.extract_tb(exc.__traceback__)
        loc = SourceLocation(str(path) if path else name)
        user_frames = [f for f in frames if path is not None and Path(f.filename).resolve() == path.resolve()]
        chosen = user_frames[-1] if user_frames else (frames[-1] if frames else None)
        if chosen is not None:
            loc = SourceLocation(chosen.filename, chosen.lineno or 0, (getattr(chosen, "colno", None) or 0) + 1)
        raise TilewrightError(f"error in schedule: {type(exc).__name__}: {exc}", loc) from None
