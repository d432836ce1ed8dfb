"""The layers of docs/architecture.md, checked on every import statement of the packages
(also the ones inside functions): a layer never imports one above it or beside it.

A new import that breaks a rule fails here with the file, the line and the rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (package or module prefix, prefixes it must not import, why)
RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("ohjaus_core", ("ohjaus_tui", "ohjaus_central", "ohjaus.", "textual", "rich", "sqlmodel",
                     "sqlalchemy", "httpx", "fastapi", "uvicorn"),
     "the shared core knows neither side, no screen, database or network"),
    ("ohjaus_central", ("ohjaus_tui", "ohjaus.", "textual"),
     "the central API imports only ohjaus_core of the device's code"),
    ("ohjaus_tui", ("ohjaus_central", "ohjaus.", "fastapi", "uvicorn"),
     "the device imports only ohjaus_core of the server's code"),
    ("ohjaus_tui.store", ("ohjaus_tui.screens", "ohjaus_tui.widgets", "ohjaus_tui.app",
                          "ohjaus_tui.sync.client", "textual", "httpx"),
     "the store speaks SQL only: no screen, no network"),
    ("ohjaus_tui.sync", ("ohjaus_tui.screens", "ohjaus_tui.widgets", "ohjaus_tui.app", "textual"),
     "the sync client runs without a screen (ohjaus sync)"),
    ("ohjaus_tui.widgets", ("ohjaus_tui.screens", "ohjaus_tui.app", "sqlmodel", "sqlalchemy", "httpx"),
     "a widget is given what it shows; it does not know the screens"),
    ("ohjaus_tui.screens", ("sqlmodel", "sqlalchemy", "httpx"),
     "a screen asks the store and the app; it speaks no SQL and no HTTP"),
]


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("ohjaus_core", "ohjaus_tui", "ohjaus_central", "ohjaus"):
        folder = ROOT / package
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((".".join(parts), path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """Every module name an import statement names, relative ones made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.append((node.lineno, target))
            # `from ohjaus_tui import screens` names the module ohjaus_tui.screens
            names += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return names


def _breaks(name: str, forbidden: str) -> bool:
    if forbidden.endswith("."):
        return name == forbidden[:-1] or name.startswith(forbidden)
    return name == forbidden or name.startswith(forbidden + ".")


MODULES = _modules()


def test_the_three_packages_are_there():
    packages = {module.split(".")[0] for module, _ in MODULES}
    assert {"ohjaus_core", "ohjaus_tui", "ohjaus_central"} <= packages


@pytest.mark.parametrize(("layer", "forbidden", "why"), RULES, ids=[rule[0] for rule in RULES])
def test_no_layer_imports_upward_or_sideways(layer, forbidden, why):
    broken = []
    for module, path in MODULES:
        if module != layer and not module.startswith(layer + "."):
            continue
        for line, name in _imports(module, path):
            place = f"{path.relative_to(ROOT)}:{line}"
            if any(_breaks(name, f) for f in forbidden) and not any(b.startswith(place + " ") for b in broken):
                broken.append(f"{place} imports {name}")
    assert not broken, f"{layer}: {why}\n" + "\n".join(broken)


def test_the_check_sees_a_forbidden_import(tmp_path):
    """The checker itself: a relative import that climbs into another layer is caught."""
    package = tmp_path / "ohjaus_tui" / "store"
    package.mkdir(parents=True)
    module = package / "x.py"
    module.write_text("def f():\n    from ..screens.home import HomeScreen\n", encoding="utf-8")
    names = [name for _, name in _imports("ohjaus_tui.store.x", module)]
    assert "ohjaus_tui.screens.home" in names
    assert _breaks("ohjaus_tui.screens.home", "ohjaus_tui.screens")
    assert not _breaks("ohjaus_tui.screensaver", "ohjaus_tui.screens")
