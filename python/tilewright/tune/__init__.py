"""The tuner: ``tilewright tune`` and ``tilewright.tune(...)`` search the knobs of the default
schedule of every distinct op group of a program, and record the best in a database that
``tilewright compile`` reads.

==========================  ===============================================================
:mod:`.space`               a group's knobs (from the script) and the project's constraints
:mod:`.strategies`          random, evolutionary, microkernel-first, model-guided
:mod:`.worker`              the measurement process (compile, check, time with the baseline)
:mod:`.measure`             worker processes with a time limit; a local pool
:mod:`.ray_pool`            the same measurements as Ray tasks
:mod:`.database`            SQLite: every measurement committed at once; best entries; export
:mod:`.driver`              the search over groups and strategies, the final re-measurement
:mod:`.report`              progress bar, accounting, convergence plot
==========================  ===============================================================
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any


def tune(
    source: str | Path,
    *,
    strategy: str | list[str] | tuple[str, ...] = "model",
    budget: int = 16,
    workers: int = 1,
    ray_address: str | None = None,
    db: str | Path | None = None,
    plot: str | Path | None = None,
    verbose: bool = False,
    **options: Any,
) -> Any:
    """Tune the default schedule of the program in ``source`` (a file); returns the
    :class:`~tilewright.tune.driver.TuneReport`. Options as ``tilewright tune``'s:
    ``entry``, ``threads`` (1), ``seed``, ``timeout_s``, ``rounds``, ``min_time_s``, ``top``."""
    from tilewright.tune.driver import run

    strategies = (strategy,) if isinstance(strategy, str) else tuple(strategy)
    log = (lambda message: print(message)) if verbose else None
    options = {"budget": budget, "workers": workers, "ray_address": ray_address, "db": db, **options}
    report = run(str(source), strategies=strategies, log=log, **options)
    if plot is not None:
        from tilewright.tune.report import plot as draw

        draw(report, plot)
    return report


__all__ = ["tune"]


class _CallableModule(types.ModuleType):
    """``tilewright.tune`` is this package as soon as any of its modules is imported (Python sets
    the submodule as an attribute of ``tilewright``), shadowing the function of the same name:
    the package itself is therefore callable, as the function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return tune(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
