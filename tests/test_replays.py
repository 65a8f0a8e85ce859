"""The shipped logs: found by name, and rebuilt byte for byte by the code that built them."""

from __future__ import annotations

from pathlib import Path

import pytest

from rally_standings.events import LogNotFoundError
from rally_standings.replays import resolve_log, shipped_logs
from rally_standings.replays.build_example import EXAMPLE_PATH, build_example


def test_shipped_logs_are_found_by_name() -> None:
    """`example-rally` (with or without the suffix) resolves to the shipped file."""
    assert shipped_logs()["example-rally"] == EXAMPLE_PATH
    assert resolve_log("example-rally") == EXAMPLE_PATH
    assert resolve_log("example-rally.rallylog") == EXAMPLE_PATH


def test_a_path_wins_over_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An existing file of that name in the working directory is taken as a path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "example-rally").write_bytes(b"x")
    assert resolve_log("example-rally") == Path("example-rally")


def test_unknown_log_lists_the_shipped_ones() -> None:
    """A name that is neither a file nor a shipped log says which logs exist."""
    with pytest.raises(LogNotFoundError, match="example-rally"):
        resolve_log("no-such-rally")


def test_example_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    """The shipped example log is exactly what replays/build_example.py writes."""
    rebuilt = build_example(tmp_path / "example.rallylog")
    assert rebuilt.read_bytes() == EXAMPLE_PATH.read_bytes()
