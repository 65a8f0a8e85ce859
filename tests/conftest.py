"""Shared fixtures: small rallies built through the public API."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from tests.helpers import start_rally

# Properties here fold logs, write files and start processes: how long an example takes
# depends on the machine's load, never on the code's correctness, so no deadline.
settings.register_profile("rally", deadline=None)
settings.load_profile("rally")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run long trials too")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long run: pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rally_log(tmp_path: Path) -> Path:
    """A fresh log: rally, stages 1 (prologue) to 4, cars 200-203, no results yet."""
    return start_rally(tmp_path / "t.rallylog")
