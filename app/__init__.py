"""The top layer: the ``standings`` command line (and, later, the live server)."""

from rally_standings.app._cli import build_parser, main

__all__ = ["build_parser", "main"]
