"""The code base stays typed (mypy --strict) and lint-clean (ruff)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("events", "engine", "outputs", "replays", "app")


def _package_view() -> Path:
    """The source folders seen as the package they install as: rally_standings/<layer>.

    mypy names a module by its path, so it checks ``events/_model.py`` as
    ``rally_standings.events._model`` only from a folder of that name; links to
    the checkout's folders make one without copying anything.
    """
    base = ROOT / ".mypy_cache" / "src"
    package = base / "rally_standings"
    package.mkdir(parents=True, exist_ok=True)
    for layer in LAYERS:
        link = package / layer
        if not link.is_symlink():
            link.symlink_to(ROOT / layer, target_is_directory=True)
    return base


def test_mypy_strict_is_clean() -> None:
    """Every module, tests and benchmarks included, type-checks under mypy --strict."""
    base = _package_view()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--explicit-package-bases",
            str(base / "rally_standings"),
            "tests",
            "benchmarks",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MYPYPATH": str(base)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_clean() -> None:
    """ruff finds nothing to complain about."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
