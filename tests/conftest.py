"""Shared fixtures: small rallies built through the public API."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests import helpers
from tests.helpers import shared_text, start_rally

# Properties here fold logs, write files and start processes: how long an example takes,
# or its data takes to draw, depends on the machine's load, never on the code's
# correctness, so no deadline and no too-slow health check.
settings.register_profile("rally", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rally")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run long trials too")


def pytest_configure(config: pytest.Config) -> None:
    helpers.THOROUGH = bool(config.getoption("--run-slow"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long run: pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def dakar_2004_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of dakar-2004, every category (built once per test run)."""
    from rally_standings.outputs.report import build_report
    from rally_standings.replays import load

    return shared_text(
        tmp_path_factory, "dakar-2004.html", lambda: build_report(load("dakar-2004"))
    )


@pytest.fixture(scope="session")
def dakar_2001_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of dakar-2001's cars and trucks (built once per test run)."""
    from rally_standings.outputs.report import build_report
    from rally_standings.replays import load

    return shared_text(
        tmp_path_factory,
        "dakar-2001-cars-trucks.html",
        lambda: build_report(load("dakar-2001"), categories=["cars", "trucks"]),
    )


@pytest.fixture(scope="session")
def relative_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of dakar-2004's cars with gaps also to No. 201 (built once per test run)."""
    from rally_standings.outputs.report import build_report
    from rally_standings.replays import load

    return shared_text(
        tmp_path_factory,
        "dakar-2004-cars-relative-201.html",
        lambda: build_report(load("dakar-2004"), categories=["cars"], relative_to="201"),
    )


@pytest.fixture(scope="session")
def what_if_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of dakar-2004 with the what-if the report tests draw: a one-hour penalty
    for Peterhansel at stage 5, and his assistance penalty rescinded (built once per test
    run)."""
    from rally_standings.outputs.report import Hypothesis, build_report
    from rally_standings.replays import load

    hour = Hypothesis(
        penalties=("Peterhansel@5=+1:00:00",), rescind=("2004-cars-peterhansel-assistance",)
    )
    return shared_text(
        tmp_path_factory,
        "dakar-2004-what-if.html",
        lambda: build_report(load("dakar-2004"), hypothesis=hour),
    )


@pytest.fixture
def rally_log(tmp_path: Path) -> Path:
    """A fresh log: rally, stages 1 (prologue) to 4, cars 200-203, no results yet."""
    return start_rally(tmp_path / "t.rallylog")
