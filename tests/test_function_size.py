"""Functions short enough to change safely: none in the importers longer than a screen."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 80
"""The most lines a function may span, its signature, docstring and body included."""
CHECKED = ("replays",)
"""The folders held to it."""


def _long_functions(folder: Path) -> list[str]:
    """``path:line name (N lines)`` for every function below ``folder`` longer than LIMIT
    (the path relative to ``folder``)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                span = node.end_lineno - node.lineno + 1
                if span > LIMIT:
                    where = path.relative_to(folder)
                    found.append(f"{where}:{node.lineno} {node.name} ({span} lines)")
    return found


def test_no_function_is_longer_than_the_limit() -> None:
    """Every function of the checked folders spans at most ``LIMIT`` lines: a longer one is
    split into named steps (helpers, or a small class where state runs through them)."""
    assert [f"{folder}/{f}" for folder in CHECKED for f in _long_functions(ROOT / folder)] == []


def test_the_check_sees_a_long_function(tmp_path: Path) -> None:
    """The check finds a function one line over the limit, and passes one at it."""
    body = "".join(f"    x{i} = {i}\n" for i in range(LIMIT - 1))
    (tmp_path / "long.py").write_text(f"def at_limit():\n{body}\n\ndef over():\n{body}    y = 0\n")
    assert _long_functions(tmp_path) == [f"long.py:{LIMIT + 3} over ({LIMIT + 1} lines)"]
