# A schedule whose tiling fails on the payload: 4 tile sizes for a 3-loop matmul.
from tilewright.schedule import Schedule


def schedule(info):
    s = Schedule("bad-tile")
    mm = s.match("linalg.matmul")
    mm.tile([8, 16, 4, 2])
    return s
