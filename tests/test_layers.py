"""The house: dependencies point inward, no import circles, the environment read in one place.

Imports are read from the code itself (``ast``), counting imports under ``TYPE_CHECKING`` and
inside functions: a type is a dependency too. ``docs/architecture.md`` draws the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "hgkm_workflow"

#: The decisions: they know nothing of storage, the application or the tools on top.
DOMAIN = ("hgkm_workflow.domain", "hgkm_workflow.phases", "hgkm_workflow.case",
          "hgkm_workflow.advies")
OUTER = ("hgkm_workflow.application", "hgkm_workflow.projections", "hgkm_workflow.adapters",
         "hgkm_workflow.cli", "hgkm_workflow.audit", "hgkm_workflow.monitor",
         "hgkm_workflow.scenario", "hgkm_workflow.simulation", "hgkm_workflow.settings",
         "hgkm_workflow.access")
#: Libraries the domain may not use: storage and the outside world.
DOMAIN_FORBIDDEN_LIBRARIES = ("sqlalchemy", "psycopg", "typer", "rich", "os")


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _imports(module: str) -> tuple[set[str], set[str]]:
    """The package modules and the outside libraries that a module imports."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    inside: set[str] = set()
    outside: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = module.split(".") if is_package else module.split(".")[:-1]
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for imported in names:
            if not imported.startswith("hgkm_workflow"):
                outside.add(imported.split(".")[0])
                continue
            target = imported
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            # a package's __init__ re-exports its children: not a circle of design
            if target and target != module and not module.startswith(target + "."):
                inside.add(target)
    return inside, outside


GRAPH = {m: _imports(m)[0] for m in MODULES}


def _circles() -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_is_read_from_the_code() -> None:
    # the test itself can fail: the application does import the case
    assert "hgkm_workflow.case" in {t for m, ts in GRAPH.items() if "application" in m
                                    for t in ts}


def test_there_are_no_import_circles() -> None:
    assert _circles() == []


def test_the_domain_imports_nothing_from_the_outer_layers() -> None:
    offenders = {}
    for module in MODULES:
        if not _within(module, DOMAIN):
            continue
        inside, outside = _imports(module)
        bad = sorted(t for t in inside if _within(t, OUTER))
        bad += sorted(f"library {lib}" for lib in outside if lib in DOMAIN_FORBIDDEN_LIBRARIES)
        if bad:
            offenders[module] = bad
    assert offenders == {}
    assert any(_within(m, ("hgkm_workflow.domain",)) for m in MODULES)


def test_only_settings_reads_the_environment() -> None:
    readers = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                    and isinstance(node.value, ast.Name) and node.value.id == "os"):
                readers.append(module)
    assert sorted(set(readers) - {"hgkm_workflow.settings"}) == []
