"""Shared fixtures: small rallies built through the public API."""

from __future__ import annotations

from pathlib import Path

import pytest

from rally_standings.engine import Recorder, create_log
from rally_standings.events import (
    EntryRegistered,
    Person,
    RallyDeclared,
    StageKind,
    StageRule,
    StageScheduled,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run long trials too")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long run: pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def start_rally(path: Path, *, stages: int = 4) -> Path:
    """A log with a rally (cars, bikes), a prologue, ``stages - 1`` specials and four cars."""
    create_log(
        path,
        RallyDeclared(rally_id="t", name="Test Rally", year=2024, categories=("cars", "bikes")),
    )
    with Recorder(path) as recorder:
        recorder.append_many(
            [
                StageScheduled(
                    stage=n,
                    rules=(
                        StageRule("cars", StageKind.PROLOGUE if n == 1 else StageKind.SPECIAL),
                        StageRule("bikes", StageKind.PROLOGUE if n == 1 else StageKind.SPECIAL),
                    ),
                )
                for n in range(1, stages + 1)
            ]
            + [
                EntryRegistered(
                    entry_id=f"cars:{n}",
                    category="cars",
                    number=str(n),
                    crew=(Person(f"Driver {n}", "FRA"), Person(f"Co {n}")),
                    make="Make",
                )
                for n in (200, 201, 202, 203)
            ]
        )
    return path


@pytest.fixture
def rally_log(tmp_path: Path) -> Path:
    """A fresh log: rally, stages 1 (prologue) to 4, cars 200-203, no results yet."""
    return start_rally(tmp_path / "t.rallylog")
