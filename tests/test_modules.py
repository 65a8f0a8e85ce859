"""Names imported on first use (events.on_first_use): there when asked for, not before."""

from __future__ import annotations

import pytest

from rally_standings import engine, outputs
from tests.helpers import python_c


@pytest.mark.parametrize("package", [engine, outputs], ids=lambda p: p.__name__)
def test_every_public_name_resolves(package: object) -> None:
    """Each name of the package's __all__ is there, whether imported at once or on first use."""
    for name in package.__all__:  # type: ignore[attr-defined]
        assert getattr(package, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name that is not public is refused as any module refuses it."""
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = engine.no_such_name  # type: ignore[attr-defined]


def test_the_what_if_and_the_views_wait_for_their_first_use() -> None:
    """Importing the engine and the outputs does not import the what-if code or the views;
    asking for what_if does, and gives the function of the module that defines it."""
    code = (
        "import sys\n"
        "import rally_standings.engine as e, rally_standings.outputs as o\n"
        "print('rally_standings.engine._whatif' in sys.modules,"
        " 'rally_standings.outputs._views' in sys.modules)\n"
        "from rally_standings.engine._whatif import what_if\n"
        "print(e.what_if is what_if)\n"
    )
    proc = python_c(code)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split()
    assert out == ["False", "False", "True"]
