"""The top layer: the ``standings`` command line, the live server's answers (``LiveRally``)
and the static site (``Publisher``, ``Watcher``)."""

from typing import TYPE_CHECKING

from .._lazy import on_first_use
from ._cli import build_parser, main

if TYPE_CHECKING:  # imported on first use (``__getattr__`` below)
    from ._live import LiveRally
    from ._publish import Publisher, Watcher, site_path

_ON_FIRST_USE = ("._live", "._publish")
"""Modules imported when one of their public names is first asked for: the command line
does not pay for the server's and the publisher's code at start-up."""

if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all attribute
    __getattr__ = on_first_use(globals(), _ON_FIRST_USE)

__all__ = ["LiveRally", "Publisher", "Watcher", "build_parser", "main", "site_path"]
