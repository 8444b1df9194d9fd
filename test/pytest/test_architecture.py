"""The house reads as the data flows: ingress -> linalg -> schedule -> bufferize -> lower -> target
-> runtime. These checks read the package's imports (with ``ast``, nothing is imported) and fail
on an arrow back up, an import cycle, a private name taken across packages, or a module past
700 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "tilewright"

STAGES = ("ingress", "linalg", "schedule", "bufferize", "lower", "target", "runtime")

# The machine model is a parameter every stage may read (the schedule library sizes its tiles
# from it): it describes the host, it does not generate code.
MACHINE_MODEL = "tilewright.target.cpu.host"

MAX_LINES = 700


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (annotations only: not a dependency)."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return hidden


def imports(path: Path, name: str) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every tilewright import in ``path``,
    at module level or inside functions (a lazy import is a dependency too)."""
    tree = ast.parse(path.read_text())
    hidden = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tilewright"):
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.startswith("tilewright"):
                for alias in node.names:
                    yield base, alias.name, node.lineno


def package_of(module: str) -> str:
    """The subpackage a module belongs to; "" for the root package and its one-file modules."""
    parts = module.split(".")
    if len(parts) < 2 or not (PACKAGE / parts[1]).is_dir():
        return ""
    return parts[1]


def resolve(target: str, name: str | None, known: dict[str, Path]) -> str:
    """``from a.b import c``: the module ``a.b.c`` if it is one, else ``a.b``."""
    if name and f"{target}.{name}" in known:
        return f"{target}.{name}"
    return target


def edges() -> list[tuple[str, str, str | None, int]]:
    known = modules()
    out = []
    for name, path in known.items():
        for target, imported, line in imports(path, name):
            out.append((name, resolve(target, imported, known), imported, line))
    return out


def test_no_stage_imports_a_later_stage():
    later = []
    for source, target, _, line in edges():
        src, dst = package_of(source), package_of(target)
        if src in STAGES and dst in STAGES and STAGES.index(dst) > STAGES.index(src):
            if target != MACHINE_MODEL:
                later.append(f"{source}:{line} imports {target}")
    assert not later, "arrows back up the pipeline:\n" + "\n".join(later)


def test_no_library_module_imports_a_front_door():
    """The CLIs use the library; the library never reaches into a CLI (bench did, for inputs)."""
    wrong = [
        f"{s}:{line} imports {t}"
        for s, t, _, line in edges()
        if t.startswith("tilewright.cli") and not s.startswith("tilewright.cli")
    ]
    assert not wrong, "\n".join(wrong)


def test_no_private_name_crosses_a_package():
    crossing = [
        f"{s}:{line} imports {t}.{n}"
        for s, t, n, line in edges()
        if n and n.startswith("_") and not n.startswith("__") and package_of(s) != package_of(t)
    ]
    assert not crossing, "\n".join(crossing)


def test_no_import_cycle():
    graph: dict[str, set[str]] = {}
    for source, target, _, _ in edges():
        if source != target and not source.startswith(target + "."):  # a module importing its own package
            graph.setdefault(source, set()).add(target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_no_module_is_past_the_size_limit():
    big = {n: len(p.read_text().splitlines()) for n, p in modules().items()}
    assert not {n: c for n, c in big.items() if c > MAX_LINES}


def test_each_package_says_what_it_owns():
    missing = [
        n for n, p in modules().items() if p.name == "__init__.py" and not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert not missing, f"packages without a docstring: {missing}"


def test_the_checks_see_the_imports():
    """The reader finds the real dependencies (so the checks above cannot pass on nothing)."""
    found = {(s, t) for s, t, _, _ in edges()}
    assert ("tilewright.compiler", "tilewright.schedule.source") in found
    assert ("tilewright.target.cpu.lowering", "tilewright.lower") in found
    assert len(found) > 100
