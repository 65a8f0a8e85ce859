"""The top layer: the ``standings`` command line (and, later, the live server)."""

from ._cli import build_parser, main

__all__ = ["build_parser", "main"]
