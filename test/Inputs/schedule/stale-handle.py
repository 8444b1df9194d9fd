# Uses a handle after tiling consumed it.
from tilewright.schedule import Schedule

s = Schedule("stale")
mm = s.match("linalg.matmul")
tiled, loops = mm.tile([8, 16, 0])
mm.vectorize()
schedule = s
