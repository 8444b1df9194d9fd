"""Names of the compiler's stages and targets (kept import-free for the CLIs)."""

STAGES = ("linalg", "scheduled", "bufferized", "llvm-dialect", "llvm-ir", "asm", "obj")
TARGETS = ("cpu",)
