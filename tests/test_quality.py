"""The code base stays typed (mypy --strict) and lint-clean (ruff)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mypy import build
from mypy.main import process_options
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("tests", "benchmarks")
"""Folders checked beside the package, under their own names."""


def _module_name(path: Path) -> str:
    """The name a file of the checkout is imported by: ``engine/_fold.py`` is
    ``rally_standings.engine._fold`` (the checkout's root is the package), a test is
    ``tests.test_fold``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts if parts and parts[0] in CHECKED else ["rally_standings", *parts])


def _sources() -> list[BuildSource]:
    skipped = {".venv", "build", "docs", ".git"}
    return [
        BuildSource(str(path), _module_name(path))
        for path in sorted(ROOT.rglob("*.py"))
        if not skipped.intersection(path.relative_to(ROOT).parts)
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    ]


def test_mypy_strict_is_clean() -> None:
    """Every module, tests and benchmarks included, type-checks under mypy --strict.

    mypy is given each file with the module name it has when installed, so it checks the
    checkout as the package (no copy, no links), whatever the checkout's folder is called.
    """
    _, options = process_options(
        [
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "-c",
            "pass",
        ]
    )
    result = build.build(_sources(), options)
    assert result.errors == []


def test_ruff_is_clean() -> None:
    """ruff finds nothing to complain about."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
