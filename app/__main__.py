"""``python -m rally_standings.app``: the ``standings`` command line."""

from rally_standings.app._cli import main

raise SystemExit(main())
