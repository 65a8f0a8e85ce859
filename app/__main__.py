"""``python -m rally_standings.app``: the ``standings`` command line."""

from ._cli import main

raise SystemExit(main())
