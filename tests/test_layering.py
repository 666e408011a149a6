"""The layering rules of docs/DESIGN: scoring/ imports neither io/ nor detect/,
detect/ does not import io/, nothing outside cli/ imports the CLI."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "plm"


def _imports(path: Path) -> set[str]:
    """Absolute names of every module imported by a file (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = ["plm", *path.relative_to(PKG).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    package = parts if path.name == "__init__.py" else parts[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return names


def _files(sub: str):
    return sorted((PKG / sub).rglob("*.py")) if (PKG / sub).is_dir() else [PKG / f"{sub}.py"]


@pytest.mark.parametrize("sub, forbidden", [
    ("scoring", ("plm.io", "plm.detect", "plm.cli")),
    ("detect", ("plm.io", "plm.cli")),
    ("io", ("plm.cli",)),
])
def test_layer_does_not_import_forbidden(sub, forbidden):
    bad = [
        f"{f.relative_to(PKG)} imports {name}"
        for f in _files(sub)
        for name in _imports(f)
        if any(name == fb or name.startswith(fb + ".") for fb in forbidden)
    ]
    assert not bad, bad


def test_nothing_below_cli_imports_cli():
    bad = [
        f"{f.relative_to(PKG)} imports {name}"
        for f in PKG.rglob("*.py")
        if f.relative_to(PKG).parts[0] != "cli" and f.name != "__main__.py"
        for name in _imports(f)
        if name == "plm.cli" or name.startswith("plm.cli.")
    ]
    assert not bad, bad
