"""The layout's rules, read from the code itself (see annotate/__init__.py): data flows
one way, so a module imports only from its own layer or those below it, readers never
touch the database, and no two modules import each other, directly or round about."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ANNOTATE = Path(__file__).resolve().parents[1] / "annotate"

# Lowest first; a module's layer is that of the longest prefix naming it.
LAYERS = {
    "annotate.models": 0,
    "annotate.offsets": 1,
    "annotate.fullformat": 1,
    "annotate.access": 1,
    "annotate.webhooks": 1,
    "annotate.ingest.records": 1,
    "annotate.ingest.captions": 1,
    "annotate.ingest.readers": 1,
    "annotate.ingest.pagedump": 1,
    "annotate.ingest": 2,
    "annotate.projects": 2,
    "annotate.assist": 2,
    "annotate.mlbackend": 2,
    "annotate.labelling": 3,
    "annotate.review": 4,
    "annotate.quality": 5,
    "annotate.sources": 6,
    "annotate.exports": 7,
    "annotate.views": 8,
    "annotate.workers": 8,
    "annotate.api": 8,
    "annotate.admin": 8,
    "annotate.urls": 8,
    "annotate.management": 8,
    "annotate.templatetags": 8,
    "annotate.apps": 8,
    "annotate.migrations": 8,
}
# What may never be imported from readers: they turn files into records, nothing more.
DATABASE_MODULES = ("annotate.models", "django.db")


def module_name(path: Path) -> str:
    parts = path.relative_to(ANNOTATE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    if module == "annotate":  # the app's docstring, importing nothing
        return 0
    matches = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    if not matches:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return LAYERS[max(matches, key=len)]


def imports_of(path: Path) -> set[str]:
    """Every annotate module the file imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from annotate.labelling import queue` imports the module queue.
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (ANNOTATE.parent / candidate.replace(".", "/")).with_suffix(
                    ".py"
                ).exists() or (ANNOTATE.parent / candidate.replace(".", "/")).is_dir():
                    found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(ANNOTATE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        graph[module_name(path)] = imports_of(path)
    return graph


GRAPH = import_graph()


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_a_module_imports_nothing_from_a_layer_above_it(module):
    own = layer_of(module)
    above = sorted(
        imported
        for imported in GRAPH[module]
        if imported.startswith("annotate") and layer_of(imported) > own
    )
    assert not above, f"{module} (layer {own}) imports from above it: {above}"


def test_readers_never_touch_the_database():
    readers = [m for m in GRAPH if m.startswith("annotate.ingest.readers")]
    assert readers
    for module in readers:
        wrong = [
            imported
            for imported in GRAPH[module]
            if imported.startswith(DATABASE_MODULES)
        ]
        assert not wrong, f"{module} imports {wrong}"


def test_no_module_imports_itself_round_about():
    internal = {
        module: {m for m in imports if m in GRAPH and m != module}
        for module, imports in GRAPH.items()
    }
    # A package's __init__ re-exporting its own modules is not a cycle of design.
    for module, imports in internal.items():
        internal[module] = {m for m in imports if not module.startswith(m + ".")}
    visiting, done, cycles = set(), set(), []

    def visit(module: str, path: list[str]) -> None:
        visiting.add(module)
        for imported in sorted(internal[module]):
            if imported in visiting:
                cycles.append(path[path.index(imported) :] + [imported])
            elif imported not in done:
                visit(imported, [*path, imported])
        visiting.discard(module)
        done.add(module)

    for module in sorted(internal):
        if module not in done:
            visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_walk_sees_a_planted_upward_import(tmp_path):
    """The rules above would pass vacuously if the walk missed imports made inside
    functions: one planted there must be found."""
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from annotate.views import htmx\n")
    assert "annotate.views.htmx" in imports_of(planted) or "annotate.views" in (
        imports_of(planted)
    )
