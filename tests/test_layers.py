"""The package's shape: layers that point one way, private parts kept private, one name.

The checkout's root is the package ``rally_standings``; its folders are the layers, low to
high, as ``rally_standings.LAYERS`` lists them (the one list). Every import inside the
package is relative, so a tool reading the checkout sees it; these tests resolve each one
(``from ..events import X``, ``importlib.import_module(".x", __package__)``) and hold it
to that order.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from rally_standings import LAYERS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "rally_standings"
OUTSIDE = ("tests", "benchmarks", "docs", "build")
"""Folders of the checkout that are not part of the package."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _package_files() -> list[Path]:
    """Every source file of the package: the root's own and each layer's."""
    files = sorted(ROOT.glob("*.py"))
    for layer in LAYERS:
        files += sorted((ROOT / layer).rglob("*.py"))
    return files


def _layer(module: str) -> int:
    """A module's floor: 0 for the root's own modules, then 1, 2, … by ``LAYERS``."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2 or parts[1] not in LAYERS:
        return 0
    return LAYERS.index(parts[1]) + 1


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name a relative import in module ``importer`` names."""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def _imports(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line, absolute module, written relative) for every import the file makes, at any
    depth, ``importlib.import_module`` calls with a literal name included."""
    name = _module_name(path)
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, False
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                yield node.lineno, node.module, False
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}", False
                continue
            target = _resolve(name, is_package, node.level, node.module)
            yield node.lineno, target, True
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}", True
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
        ):
            yield from _import_module_call(node, name, is_package)


def _import_module_call(
    node: ast.Call, name: str, is_package: bool
) -> Iterator[tuple[int, str, bool]]:
    first = node.args[0]
    text: str | None = None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        text = first.value
    elif isinstance(first, ast.JoinedStr) and first.values:
        head = first.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            text = head.value + "x"  # f".{module}": a module of this package
    if text is None:
        if name != f"{PACKAGE}._lazy":  # its names are each package's _ON_FIRST_USE, read below
            yield node.lineno, f"<unresolved import_module at {name}>", True
        return
    level = len(text) - len(text.lstrip("."))
    package = name if is_package else name.rpartition(".")[0]  # what __package__ holds
    if level == 0:
        yield node.lineno, text, False
    else:
        yield node.lineno, _resolve(package, True, level, text.lstrip(".")), True


def _on_first_use_modules(path: Path) -> Iterator[tuple[int, str]]:
    """The modules a package's ``_ON_FIRST_USE`` names (imported on first use by ``_lazy``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_ON_FIRST_USE" for t in node.targets)
            and isinstance(node.value, ast.Tuple)
        ):
            for item in node.value.elts:
                assert isinstance(item, ast.Constant)
                assert isinstance(item.value, str)
                yield node.lineno, _resolve(_module_name(path), True, 1, item.value.lstrip("."))


def _faults_upward(path: Path) -> list[str]:
    own = _layer(_module_name(path))
    found = []
    imports = [(line, module) for line, module, _ in _imports(path)]
    for line, module in [*imports, *_on_first_use_modules(path)]:
        if module.startswith("<unresolved"):
            found.append(f"{path.relative_to(ROOT)}:{line}: {module}")
        elif module.split(".")[0] in LAYERS:
            found.append(f"{path.relative_to(ROOT)}:{line}: imports {module} by its bare folder")
        elif module.split(".")[0] == PACKAGE and _layer(module) > own:
            found.append(f"{path.relative_to(ROOT)}:{line}: {_module_name(path)} imports {module}")
    return found


def test_no_import_runs_back_up() -> None:
    """No module imports a layer above its own: at the top of a file or inside a function,
    written relative or not, or loaded by ``importlib`` or on first use."""
    faults = [fault for path in _package_files() for fault in _faults_upward(path)]
    assert faults == []


def test_imports_inside_the_package_are_relative() -> None:
    """Inside the package every import of the package is relative: a tool that reads the
    checkout (where no folder is named ``rally_standings``) follows it."""
    faults = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _package_files()
        for line, module, relative in _imports(path)
        if module.split(".")[0] == PACKAGE and not relative
    ]
    assert faults == []


def _private_module(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def test_no_layer_imports_anothers_private_modules() -> None:
    """A layer uses another through its public names, never through its ``_private``
    modules or names; the benchmarks use only public names too."""
    faults = []
    for path in _package_files():
        own = _layer(_module_name(path))
        for line, module, _ in _imports(path):
            target = _layer(module)
            if (
                module.split(".")[0] == PACKAGE
                and target
                and target != own
                and _private_module(module)
            ):
                faults.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        for line, module, _ in _imports(path):
            if module.split(".")[0] == PACKAGE and _private_module(module):
                faults.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert faults == []


def _private_attributes_defined(tree: ast.Module) -> set[str]:
    """The ``_names`` a module defines: methods, class attributes, slots, ``self._x = …``."""
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            defined.add(node.value)  # __slots__ entries, attrs aliases
    return {name for name in defined if name.startswith("_") and not name.startswith("__")}


def _private_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _private_attributes_defined(tree)
    libraries = {  # a library's own private names (argparse._SubParsersAction) are its matter
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and node.attr not in own
        and not (isinstance(node.value, ast.Name) and node.value.id in libraries)
    ]


def test_no_module_reads_anothers_private_attributes() -> None:
    """A module reads ``obj._name`` only for a ``_name`` it defines itself: no module reaches
    into another's objects (``standing._keys``, ``rally._tail``)."""
    faults = [fault for path in _package_files() for fault in _private_reads(path)]
    assert faults == []


def test_the_checkers_see_faults(tmp_path: Path) -> None:
    """Each checker finds the fault it is for (so the tests above can fail)."""
    probe = ROOT / "engine" / "_probe_never_committed.py"
    probe.write_text(
        "import importlib\n"
        "from rally_standings.events import Event\n"
        "def f(rally):\n"
        "    from ..app import main\n"
        "    importlib.import_module('..outputs._data', __package__)\n"
        "    return rally._tail\n",
        encoding="utf-8",
    )
    try:
        upward = _faults_upward(probe)
        absolute = [m for _, m, relative in _imports(probe) if not relative]
        private = _private_reads(probe)
    finally:
        probe.unlink()
    assert [fault.split(": ", 1)[1] for fault in upward] == [
        "rally_standings.engine._probe_never_committed imports rally_standings.app",
        "rally_standings.engine._probe_never_committed imports rally_standings.app.main",
        "rally_standings.engine._probe_never_committed imports rally_standings.outputs._data",
    ]
    assert "rally_standings.events" in absolute
    assert [fault.split(": ", 1)[1] for fault in private] == ["._tail"]


def test_the_layer_list_is_the_one_the_packaging_uses() -> None:
    """``LAYERS`` names every package folder of the checkout, and pyproject.toml installs
    exactly the package folders there are (none forgotten, none invented)."""
    folders = sorted(
        path.parent.relative_to(ROOT)
        for path in ROOT.glob("*/**/__init__.py")
        if path.relative_to(ROOT).parts[0] not in OUTSIDE and ".venv" not in path.parts
    )
    tops = {folder.parts[0] for folder in folders}
    assert tops == set(LAYERS)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert setuptools["package-dir"] == {PACKAGE: "."}
    expected = [PACKAGE, *(".".join([PACKAGE, *folder.parts]) for folder in folders)]
    assert sorted(setuptools["packages"]) == sorted(expected)


@pytest.mark.slow
def test_install_creates_one_top_level_package(tmp_path: Path) -> None:
    """``pip install --target`` adds rally_standings and its dist-info, and nothing else:
    the layers, the root's own modules and its ``py.typed``, no tests or benchmarks.

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
    inside = sorted(p.name for p in (target / PACKAGE).iterdir() if p.name != "__pycache__")
    own = [*sorted(p.name for p in ROOT.glob("*.py")), "py.typed"]
    assert inside == sorted([*LAYERS, *own])
