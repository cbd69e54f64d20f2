"""The import graph is a tree of layers: no cycle between backend's units, and the edges stay edges.

A unit is a subpackage of ``backend`` or one of its top-level modules. Every import counts, also
one deferred into a function or written under ``TYPE_CHECKING``: a cycle hidden that way is still
one that the next change trips over. ``flows`` imports nothing of ``bot`` or ``backend``, and
``backend`` nothing of ``bot``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"


def _sources(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def _imported(path: Path) -> Iterator[tuple[str, int]]:
    """Every module name ``path`` imports, with its line."""
    module = list(path.relative_to(ROOT).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module[:-1]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: list[str]) -> Iterator[tuple[str, int]]:
    """Every module name ``source`` imports, anywhere in it, with its line; relative imports resolved
    against ``package`` (its dotted path as parts)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            prefix = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                yield f"{prefix}.{alias.name}", node.lineno


def _unit(name: str) -> str | None:
    """The backend unit a dotted name belongs to, if it names one."""
    parts = name.split(".")
    if parts[0] != "backend" or len(parts) < 2:
        return None
    if (BACKEND / parts[1]).is_dir() or (BACKEND / f"{parts[1]}.py").is_file():
        return parts[1]
    return None


def unit_graph() -> dict[str, dict[str, list[str]]]:
    """unit -> imported unit -> the places (``path:line``) that import it."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in _sources(BACKEND):
        rel = path.relative_to(BACKEND).with_suffix("").parts
        source = rel[0]
        graph.setdefault(source, {})
        for name, line in _imported(path):
            target = _unit(name)
            if target is not None and target != source:
                graph[source].setdefault(target, []).append(f"{path.relative_to(ROOT)}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        on_stack.add(unit)
        for target in graph.get(unit, {}):
            if target not in index:
                visit(target)
                low[unit] = min(low[unit], low[target])
            elif target in on_stack:
                low[unit] = min(low[unit], index[target])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return found


def test_no_cycle_between_backend_units() -> None:
    graph = unit_graph()
    problems = []
    for component in cycles(graph):
        arrows = [
            f"  {source} -> {target}: {', '.join(graph[source][target])}"
            for source in component
            for target in sorted(graph[source])
            if target in component
        ]
        problems.append(f"cycle between {', '.join(component)}:\n" + "\n".join(arrows))
    assert not problems, "\n".join(problems)


def test_a_cycle_is_found_and_named() -> None:
    graph = {"cases": {"volunteers": ["a.py:1"]}, "volunteers": {"cases": ["b.py:2"]}, "policy": {}}
    assert cycles(graph) == [["cases", "volunteers"]]
    assert cycles({"cases": {"policy": ["a.py:1"]}, "policy": {}}) == []


def test_deferred_relative_and_type_checking_imports_count() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from backend.db.database import Database\n"
        "def f():\n    from backend.intake import IdHasher\n"
        "from ..cases import ports\n"
    )
    found = {name: line for name, line in imports_in(source, ["backend", "monitoring"])}
    assert {_unit(name) for name in found} >= {"db", "intake", "cases"}
    assert found["backend.cases.ports"] == 6


def _outside(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _sources(ROOT / package)
        for name, line in _imported(path)
        if name.split(".")[0] in forbidden
    ]


def test_flows_import_nothing_of_the_edges() -> None:
    assert _outside("flows", ("bot", "backend")) == []


def test_backend_imports_nothing_of_the_bot() -> None:
    assert _outside("backend", ("bot",)) == []
