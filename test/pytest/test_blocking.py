"""The BLIS blocking derived from the CPU model (``schedule/cpu/blocking.py``), checked against
numbers worked out by hand from the formulas of Low et al. (TOMS 2016) for CPUs of the model's
table (the table's entries, never the host's sysfs), so a change of formula or of an entry shows
here first."""

from __future__ import annotations

import pytest
from tilewright.schedule.cpu import PACKED_FALLBACK, config_for
from tilewright.schedule.cpu.blocking import Blocking, CacheLevel, derive_blocking, rows_within_sets
from tilewright.schedule.cpu.matmul import choose_packed_tiles
from tilewright.target.cpu.host import KIB, KNOWN_CPUS, MIB, HostCpu, targeting

# (mr, nr, kc, mc, nc) and (mr_min, mr_max, kc_max, mc_max, nc_max) per CPU. Worked by hand:
#
# haswell: 8 lanes, 16 ymm, FMA latency 5 x 2 units = 10 chains: mr_min = ceil(10 / 2) = 5,
#   mr_max = (16 - 2 - 1) // 2 = 6, mr = min(6, ceil(2 * 10 / 2)) = 6, nr = 2 * 8 = 16.
#   L1 32 KiB 8-way, 64 sets: a way is 4 KiB; B takes floor(7 * 16 / 22) = 5 ways:
#   kc = 5 * 4096 / (16 * 4) = 320; kc_max = 7 * 4096 / 64 = 448.
#   L2 256 KiB 8-way: a way is 32 KiB; B's micro-panel (320 * 16 * 4 = 20 KiB) 1 way:
#   mc = 6 * 32768 / (320 * 4) = 153.6 -> 150 (of 6); mc_max = 7 * 32768 / 1280 = 179.2 -> 174.
#   L3 8 MiB 16-way shared by 4: a way is 512 KiB; A's block (150 * 1280 B) 1 way:
#   nc = 14 * 524288 / (1280 * 4) = 1433.6 -> 1424 (of 16); nc_max = 16 * 524288 / 5120 -> 1632.
# x86-64-v3: Haswell's caches, FMA latency 4: mr_min = 4, the rest as Haswell.
# znver3: 8 chains (mr_min 4), mr 6; L1 as Haswell (kc 320); L2 512 KiB 8-way (64 KiB ways):
#   mc = 6 * 65536 / 1280 = 307.2 -> 306, mc_max = 358.4 -> 354; L3 32 MiB 16-way (2 MiB ways)
#   shared by 8: nc = 14 * 2 MiB / (1280 * 8) = 2867.2 -> 2864, nc_max = 3276.8 -> 3264.
# znver4: 16 lanes, 32 zmm: mr_min 4, mr_max (32 - 3) // 2 = 14, mr = min(14, 8) = 8, nr 32.
#   L1 32 KiB 8-way: B takes floor(7 * 32 / 40) = 5 ways: kc = 5 * 4096 / 128 = 160, kc_max 224.
#   L2 1 MiB 8-way (128 KiB ways), B 20 KiB: mc = 6 * 131072 / 640 = 1228.8 -> 1224,
#   mc_max = 1433.6 -> 1432. L3 as Zen 3: nc = 14 * 2 MiB / (640 * 8) = 5734.4 -> 5728,
#   nc_max = 6553.6 -> 6528.
# znver5: L1 48 KiB 12-way (64 sets, 4 KiB ways): B takes floor(11 * 32 / 40) = 8 ways:
#   kc = 8 * 4096 / 128 = 256, kc_max = 11 * 4096 / 128 = 352. L2 1 MiB 16-way (64 KiB ways),
#   B 32 KiB: mc = 14 * 65536 / 1024 = 896, mc_max = 960. L3 as Zen 3: nc = 14 * 2 MiB /
#   (1024 * 8) = 3584, nc_max = 4096.
# skylake-avx512: L1 as Zen 4 (kc 160). L2 1 MiB 16-way: mc = 14 * 65536 / 640 = 1433.6 -> 1432,
#   mc_max = 1536. L3 16 MiB 11-way shared by 12: 16 MiB / (11 * 64) = 23831 sets, ways of
#   1525184 B: nc = 9 * 1525184 / (640 * 12) = 1787.3 -> 1760, nc_max = 2184.5 -> 2176.
# sapphirerapids: L1 as Zen 5 (kc 256). L2 2 MiB 16-way (128 KiB ways): mc = 14 * 131072 /
#   1024 = 1792, mc_max = 1920. L3 64 MiB 15-way shared by 32: 69905 sets, ways of 4473920 B;
#   A's block (1792 KiB) 1 way: nc = 13 * 4473920 / (1024 * 32) = 1774.9 -> 1760,
#   nc_max = 2047.99 -> 2016.
EXPECTED = {
    "haswell": ((6, 16, 320, 150, 1424), (5, 6, 448, 174, 1632)),
    "x86-64-v3": ((6, 16, 320, 150, 1424), (4, 6, 448, 174, 1632)),
    "znver3": ((6, 16, 320, 306, 2864), (4, 6, 448, 354, 3264)),
    "znver4": ((8, 32, 160, 1224, 5728), (4, 14, 224, 1432, 6528)),
    "znver5": ((8, 32, 256, 896, 3584), (4, 14, 352, 960, 4096)),
    "skylake-avx512": ((8, 32, 160, 1432, 1760), (4, 14, 224, 1536, 2176)),
    "sapphirerapids": ((8, 32, 256, 1792, 1760), (4, 14, 352, 1920, 2016)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_blocking_of_known_cpus(name):
    b = derive_blocking(KNOWN_CPUS[name])
    values, bounds = EXPECTED[name]
    assert (b.mr, b.nr, b.kc, b.mc, b.nc) == values
    assert (b.mr_min, b.mr_max, b.kc_max, b.mc_max, b.nc_max) == bounds
    assert b.derived == {"mr", "nr", "kc", "mc", "nc"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_blocking_fits_the_machine(name):
    """What the formulas promise, checked independently of them: the register tile, B vectors and
    a broadcast fit the register file and hide the FMA latency; B's micro-panel and one A
    micro-panel fit L1 with a way to spare; A's block fits L2."""
    cpu = KNOWN_CPUS[name]
    b = derive_blocking(cpu)
    assert b.accumulators + b.nr // b.lanes + 1 <= cpu.vector_registers
    assert b.accumulators >= cpu.fma_latency * cpu.fma_units
    assert (b.nr + b.mr) * b.kc * 4 <= cpu.l1d * (cpu.l1d_ways - 1) // cpu.l1d_ways
    assert b.mc * b.kc * 4 <= cpu.l2 and b.mc % b.mr == 0 and b.nc % b.nr == 0


def test_bounds_for_a_tuner():
    """The tuner's search space: the model's value inside each range, steps that keep tiles whole."""
    b = derive_blocking(KNOWN_CPUS["znver5"])
    bounds = b.bounds()
    assert bounds == {"mr": (4, 14, 1), "kc": (16, 352, 16), "mc": (8, 960, 8), "nc": (32, 4096, 32)}
    for name, (low, high, step) in bounds.items():
        assert low <= getattr(b, name) <= high and getattr(b, name) % step == 0


def test_unknown_associativity_falls_back_to_the_isa_constants():
    """A CPU model without cache associativity (sysfs absent) keeps the register tile, which needs
    no cache figure, and takes kc, mc, nc from the ISA's constants."""
    cpu = HostCpu("mystery", frozenset({"avx", "avx2", "fma", "avx512f"}))
    b = derive_blocking(cpu, fallback=(256, 192, 512))
    assert (b.mr, b.nr, b.kc, b.mc, b.nc) == (8, 32, 256, 192, 512) and b.derived == {"mr", "nr"}
    cfg = config_for(cpu)
    assert cfg.packed_blocks == PACKED_FALLBACK["avx512"] and cfg.kc == 256


def test_config_for_the_target_takes_the_model():
    """``--cpu znver4`` tiles the packed matmul with Zen 4's blocking on any host."""
    with targeting(KNOWN_CPUS["znver4"]):
        cfg = config_for()
    assert (cfg.mr, cfg.nr, cfg.kc) == (8, 32, 160)
    assert cfg.packed_blocks == (1224, 5728)
    with targeting(KNOWN_CPUS["haswell"]):
        cfg = config_for()
    assert (cfg.mr, cfg.nr, cfg.kc, cfg.packed_blocks) == (6, 16, 320, (150, 1424))


@pytest.mark.parametrize(
    ("m", "n", "k", "threads", "mc", "nc"),
    [
        (1024, 1024, 1024, 1, 208, 512),  # task_block's 224 x 768 evened out: 5 x 208, 2 x 512
        (2048, 2048, 2048, 1, 112, 1024),  # 112 x 1792: 19 row blocks, 2 column blocks of 1024
        (2048, 2048, 2048, 2, 176, 2048),  # threads: the ISA's 192 rows evened to 12 tasks, one
        (1000, 999, 1001, 1, 336, 352),  # column block (a 1-D task loop: see _parallel_tiles)
        (1000, 999, 1001, 2, 168, 1024),
        (97, 131, 77, 1, 104, 160),  # clamped to the padded problem
        (7, 1000, 97, 1, 8, 352),
    ],
)
def test_packed_tiles_from_the_model(m, n, k, threads, mc, nc):
    with targeting(KNOWN_CPUS["znver5"]):
        t = choose_packed_tiles(m, n, k, config_for(), threads)
    assert (t.mc, t.nc) == (mc, nc)
    tasks = -(-m // t.mc) * -(-n // t.nc)
    if threads > 1:
        assert tasks >= 2 * threads and tasks % threads == 0


def test_task_block_keeps_a_and_c_in_l2():
    """Zen 5 (kc 256): A's L2 ways, 16 - 1 (one way) - 1 (B's 32 KiB micro-panel) = 14 of 64 KiB,
    hold 229376 f32 of A's and C's blocks: square mc = nc = (sqrt(256^2 + 4 * 229376) - 256) / 2
    = 367.7 -> mc 360 (of 8), nc = 229376 // 360 - 256 = 381 -> 352 (of 32), at K = 1001. At
    K = 1024 A's 8 KiB slices lie 32 KiB apart: two 8 KiB windows of the 64 KiB way, 14 slices
    each, so mc = 28 * 8 = 224 and nc = 229376 // 224 - 256 = 768; at K = 2048 (64 KiB apart, one
    window) mc = 112, nc = 2048 - 256 = 1792."""
    b = derive_blocking(KNOWN_CPUS["znver5"])
    assert b.a_ways == 14 and b.l2 is not None and b.l2.way_bytes == 64 * KIB
    assert b.task_block(1001, 256) == (360, 352)
    assert (b.rows_for(1024, 256), b.task_block(1024, 256)) == (224, (224, 768))
    assert (b.rows_for(2048, 256), b.task_block(2048, 256)) == (112, (112, 1792))
    for k in (1001, 1024, 2048):
        mc, nc = b.task_block(k, 256)
        assert mc * (256 + nc) <= b.a_ways * b.l2.way_bytes // 4


def test_rows_within_sets():
    """Slices of 8 lines 2 KiB apart in a 4 KiB-way cache alternate between two 8-set windows."""
    cache = CacheLevel(16 * KIB, 4)  # 64 sets of 64 B: a way is 4 KiB
    assert rows_within_sets(cache, 4, 512, 2048, 100) == 8  # 4 per window
    assert rows_within_sets(cache, 4, 512, 512, 100) == 32  # contiguous: the whole cache
    assert rows_within_sets(cache, 4, 512, 4096, 3) == 3


def test_cache_level_geometry():
    l1 = CacheLevel(48 * KIB, 12)
    assert (l1.sets, l1.way_bytes, l1.ways_for(32 * KIB), l1.ways_for(32 * KIB + 1)) == (64, 4096, 8, 9)
    assert CacheLevel(32 * MIB, 16).way_bytes == 2 * MIB


def test_blocking_is_a_frozen_dataclass():
    b = derive_blocking(KNOWN_CPUS["haswell"])
    assert isinstance(b, Blocking) and b.accumulators == 12
    with pytest.raises(AttributeError):
        b.mr = 4  # type: ignore[misc]


def test_tuned_cache_tiles_replace_the_model():
    """The tuner's knobs start from the model's (evened) blocks, and a tuned mc/nc is taken as is."""
    from tilewright.schedule import knobs

    with targeting(KNOWN_CPUS["znver5"]):
        cfg = config_for()
    specs = knobs.contraction_knobs(cfg, 1024, 1024, 1024, packs=True)
    defaults = {name: spec.default for name, spec in specs.items()}
    assert (defaults["mr"], defaults["kc"], defaults["mc_tiles"], defaults["nc_tiles"]) == (8, 256, 26, 16)
    tuned = knobs.config_with(cfg, {**defaults, "mc_tiles": 16, "nc_tiles": 8}, defaults)
    t = choose_packed_tiles(1024, 1024, 1024, tuned)
    assert (t.mc, t.nc) == (128, 256)
