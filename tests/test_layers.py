"""The package's shape: layers that point one way, private modules kept private, one name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "rally_standings"
LAYERS = ("events", "engine", "outputs", "replays", "app")
"""Low to high: each layer may import the layers before it, never one after it."""


def _modules() -> list[tuple[str, Path]]:
    return [(layer, path) for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement names, at any depth (lazy imports included)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] in LAYERS:
        return parts[0]  # an import of a source folder by its bare name: never right
    if parts[0] == PACKAGE and len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    return None


def test_no_import_runs_back_up() -> None:
    """No module imports a layer above its own, at the top of the file or inside a function."""
    faults = []
    for layer, path in _modules():
        for line, module in _imports(path):
            target = _layer_of(module)
            if module.split(".")[0] in LAYERS:
                faults.append(f"{path.relative_to(ROOT)}:{line} imports {module} (not {PACKAGE}.…)")
            elif target is not None and LAYERS.index(target) > LAYERS.index(layer):
                faults.append(f"{path.relative_to(ROOT)}:{line}: {layer} imports {module}")
    assert faults == []


def test_no_layer_imports_anothers_private_modules() -> None:
    """A layer uses another through its public names, never through its ``_private`` modules."""
    faults = []
    for layer, path in _modules():
        for line, module in _imports(path):
            parts = module.split(".")
            target = _layer_of(module)
            if target is not None and target != layer and any(p.startswith("_") for p in parts):
                faults.append(f"{path.relative_to(ROOT)}:{line}: {layer} imports {module}")
    assert faults == []


def test_the_checker_sees_a_fault() -> None:
    """The import walker finds an upward import inside a function (so the tests above can fail)."""
    source = "def f():\n    from rally_standings.app import main\n"
    tree_imports = [
        (node.lineno, node.module)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    ]
    assert tree_imports == [(2, "rally_standings.app")]
    assert _layer_of("rally_standings.app") == "app"
    assert LAYERS.index("app") > LAYERS.index("events")


@pytest.mark.slow
def test_install_creates_one_top_level_package(tmp_path: Path) -> None:
    """``pip install --target`` adds rally_standings and its dist-info, and nothing else.

    Slow (a build in a fresh environment); ``.ci/run`` installs the checkout the same way.
    """
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    top = sorted(path.name for path in target.iterdir())
    packages = [name for name in top if not name.endswith(".dist-info") and name != "bin"]
    assert packages == [PACKAGE]  # bin: the `standings` script
    assert sorted(path.name for path in (target / PACKAGE).iterdir()) == sorted(LAYERS)
