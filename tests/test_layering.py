"""The layering of docs/design.md, checked on the whole import graph of plm.

The graph has an edge for every import of a plm module anywhere in a file
(module level or inside a function) and for every ``"plm.x"`` or
``"plm.x:function"`` text (the format registry and the worker preload list
import by name). Imports under ``if TYPE_CHECKING:`` never run and are left
out. Rules:

- every module has a layer, and imports only from its own layer or below:
  utilities < model < criteria < io / detect / scoring < viz < workflows <
  package (``plm/__init__``) < cli;
- no import cycle: every strongly connected component is one module;
- ``scoring/`` imports neither ``io/`` nor ``detect/``; ``detect/`` does not
  import ``io/``; nothing outside ``cli/`` imports the CLI;
- no function shadows a module (``plm.score`` is the function only).
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "plm"

#: (layer rank, name): a module's layer is the first rule its name matches.
LAYERS = [
    (0, "utilities", r"plm\.(errors|threads|atomic|_util|_version|plausibility|interrupt)"),
    (1, "model", r"plm\.model(\..*)?"),
    (2, "criteria", r"plm\.criteria"),
    (3, "io/detect/scoring", r"plm\.(io|detect|scoring)(\..*)?|plm\.nights"),
    (4, "viz", r"plm\.plots"),
    (5, "workflows", r"plm\.workflows(\..*)?"),
    (6, "package", r"plm"),
    (7, "cli", r"plm\.cli(\..*)?|plm\.__main__"),
]
_MODULE_TEXT = re.compile(r"plm(\.\w+)+(:\w+)?")


def _modules() -> dict[str, Path]:
    out = {}
    for f in PKG.rglob("*.py"):
        parts = ["plm", *f.relative_to(PKG).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


MODULES = _modules()


def _runtime_nodes(tree: ast.AST):
    """Every node, except the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _known(name: str) -> str | None:
    """The plm module ``name`` is in (``plm.io.edf.read_edf`` -> ``plm.io.edf``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    """plm modules that ``module`` imports (at any depth of its file, or by name in text)."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            # "from . import x" imports the module x when there is one, else a name of base
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_TEXT.fullmatch(node.value):
            names = [node.value.partition(":")[0]]
        found.update(m for m in map(_known, names) if m and m != module)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _layer(module: str) -> tuple[int, str]:
    for rank, name, pattern in LAYERS:
        if re.fullmatch(pattern, module):
            return rank, name
    raise AssertionError(f"{module} belongs to no layer of docs/design.md; add it to LAYERS")


def test_graph_sees_function_level_and_text_imports():
    # The registry names its readers as text; the package wires NightResult at import.
    assert "plm.io.edf" in GRAPH["plm.io.registry"] and "plm.io.summary" in GRAPH["plm.io.registry"]
    # a function-level import (numpy-only module aside, this one is inside a function)
    assert "plm.threads" in GRAPH["plm.workflows.batch.run"]


def test_every_module_has_a_layer():
    for m in MODULES:
        _layer(m)


def test_imports_go_down_the_layers():
    bad = [f"{a} ({_layer(a)[1]}) imports {b} ({_layer(b)[1]})"
           for a, targets in GRAPH.items() for b in targets if _layer(b)[0] > _layer(a)[0]]
    assert not bad, bad


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Kosaraju: finish order on the graph, then search the reversed graph)."""
    order, seen = [], set()
    for start in graph:
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(sorted(graph[start])))]
        while stack:
            node, it = stack[-1]
            nxt = next((n for n in it if n not in seen), None)
            if nxt is None:
                stack.pop()
                order.append(node)
            else:
                seen.add(nxt)
                stack.append((nxt, iter(sorted(graph[nxt]))))
    reverse: dict[str, set[str]] = {m: set() for m in graph}
    for a, targets in graph.items():
        for b in targets:
            reverse[b].add(a)
    comps, done = [], set()
    for start in reversed(order):
        if start in done:
            continue
        comp, stack = [], [start]
        done.add(start)
        while stack:
            node = stack.pop()
            comp.append(node)
            for n in reverse[node] - done:
                done.add(n)
                stack.append(n)
        comps.append(sorted(comp))
    return comps


def test_components_finder_finds_a_cycle():
    comps = _components({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert sorted(map(len, comps)) == [1, 3]


def test_no_import_cycles():
    cycles = [c for c in _components(GRAPH) if len(c) > 1]
    assert not cycles, cycles


@pytest.mark.parametrize("sub, forbidden", [
    ("plm.scoring", ("plm.io", "plm.detect", "plm.cli")),
    ("plm.detect", ("plm.io", "plm.cli")),
])
def test_layer_does_not_import_forbidden(sub, forbidden):
    bad = [f"{a} imports {b}" for a, targets in GRAPH.items() if a == sub or a.startswith(sub + ".")
           for b in targets if any(b == f or b.startswith(f + ".") for f in forbidden)]
    assert not bad, bad


def test_nothing_outside_cli_imports_cli():
    bad = [f"{a} imports {b}" for a, targets in GRAPH.items() if _layer(a)[1] != "cli"
           for b in targets if _layer(b)[1] == "cli"]
    assert not bad, bad


def test_no_function_shadows_a_module():
    # After importing everything, no package attribute that names a submodule may be anything else.
    for info in pkgutil.walk_packages([str(PKG)], prefix="plm."):
        if info.name != "plm.__main__":  # runs the command
            importlib.import_module(info.name)
    for name in MODULES:
        parent, _, child = name.rpartition(".")
        if parent:
            obj = getattr(importlib.import_module(parent), child, None)
            assert obj is None or getattr(obj, "__name__", None) == name, f"{parent}.{child} is {obj!r}"
