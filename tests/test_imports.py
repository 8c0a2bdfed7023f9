"""The package's import graph, read with ``ast``: no cycle, and the library stays below the CLI and the app.

Module-level and function-local imports both count. Imports under ``if TYPE_CHECKING:`` never
run, so they do not count for what the library may import, but they do for cycles: a module
that names another's types only under TYPE_CHECKING, to dodge a cycle, is still part of it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "cnnviz"
FRONT_ENDS = ("cnnviz.cli", "cnnviz.__main__")  # may tie the library together; nothing imports them
FORBIDDEN_IN_LIBRARY = ("cnnviz.cli", "app", "pages", "streamlit")


def is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    """``name`` is one of ``prefixes`` or a module inside one of them."""
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in prefixes)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported_names(source: str, package: str, type_checking: bool = False) -> set[str]:
    """Every module an import statement names (``from a import b`` gives a and a.b), at any depth;
    those under ``if TYPE_CHECKING:`` only when ``type_checking``."""
    names: set[str] = set()
    pending: list[ast.AST] = [ast.parse(source)]
    while pending:
        node = pending.pop()
        if not type_checking and _is_type_checking_block(node):
            pending.extend(node.orelse)  # type: ignore[attr-defined]
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return names


def import_graph(type_checking: bool = False) -> dict[str, set[str]]:
    """cnnviz module -> the cnnviz modules it imports (packages count as their __init__); imports under
    ``if TYPE_CHECKING:`` count when ``type_checking``."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = imported_names(path.read_text(encoding="utf-8"), package, type_checking)
        graph[name] = {other for other in imported if other in paths and other != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the DFS stack, "done" after

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = "open"
        for other in sorted(graph.get(node, ())):
            if state.get(other) == "open":
                return [*trail[trail.index(other):], node, other] if other in trail else [node, other]
            if other not in state and (cycle := visit(other, [*trail, node])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [])):
            return cycle
    return None


def test_the_reader_counts_function_local_imports_and_skips_type_checking_ones():
    source = (
        "from typing import TYPE_CHECKING\nimport cnnviz.data.dataset\n"
        "if TYPE_CHECKING:\n    from cnnviz.runs.store import Run\n"
        "def f():\n    from cnnviz.models import layers\n    from .sibling import thing\n"
    )
    names = imported_names(source, "cnnviz.explain")
    assert {"cnnviz.data.dataset", "cnnviz.models.layers", "cnnviz.explain.sibling"} <= names
    assert "cnnviz.runs.store" not in names
    assert "cnnviz.runs.store" in imported_names(source, "cnnviz.explain", type_checking=True)


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_package_has_no_import_cycle_counting_type_checking_imports():
    graph = import_graph(type_checking=True)
    assert graph["cnnviz.training.train"] >= {"cnnviz.runs.store", "cnnviz.runs.schema"}  # edges are seen
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_library_modules_import_neither_the_cli_nor_the_app_nor_streamlit():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if is_under(name, FRONT_ENDS):
            continue
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in imported_names(path.read_text(encoding="utf-8"), package):
            if is_under(imported, FORBIDDEN_IN_LIBRARY):
                offenders.append(f"{name} imports {imported}")
    assert not offenders, offenders
