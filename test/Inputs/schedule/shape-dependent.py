# Tile sizes chosen from the payload's shapes (ModuleInfo): the largest divisor of M up to 16, N whole.
from tilewright.schedule import Schedule


def schedule(info):
    s = Schedule("shape-dependent")
    (mm,) = info.find("matmul")
    m, n, k = mm.size("m"), mm.size("n"), mm.size("k")
    tile_m = max(d for d in range(1, 17) if m % d == 0)
    s.match("linalg.matmul").annotate(f"m{m}_n{n}_k{k}_{mm.inputs[0].dtype}")
    s.match("linalg.matmul").tile([tile_m, 0, 0])
    return s
