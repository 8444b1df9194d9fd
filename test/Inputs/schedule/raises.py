# A schedule function with a bug: the error names this file and line, no traceback.
from tilewright.schedule import Schedule


def schedule(info):
    s = Schedule("raises")
    m = info.find("matmul")[0]
    tile = m.size("m") // 0
    s.match("linalg.matmul").tile([tile])
    return s
