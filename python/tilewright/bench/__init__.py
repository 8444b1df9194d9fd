"""``tilewright bench``: time a program against numpy/OpenBLAS, XLA and IREE in the same run.

- :mod:`.flops`: flop counts of contractions and convolutions (``2 * product of loop ranges``).
- :mod:`.timing`: calibrated batches, interleaved rounds, median and IQR.
- :mod:`.peers` / :mod:`.worker`: the peers, each in a worker process with its own environment.
- :mod:`.runner`: compile, check every peer's result against tilewright's, time; the report dict.
- :mod:`.report`: rich table, JSON, bar chart.
"""

from tilewright.bench.runner import SPEEDUP_DEFINITION, BenchConfig, run_bench

__all__ = ["SPEEDUP_DEFINITION", "BenchConfig", "run_bench"]
