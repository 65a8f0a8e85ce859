"""``standings serve LOG``: the live results site, following a log another process appends to."""

from __future__ import annotations

import argparse
import sys

from ..replays import resolve_log
from ._base import Command, UsageError, add_log_argument, whole_number

__all__: list[str] = []

INSTALL_HINT = "pip install 'rally-standings[serve]'"


def _host(text: str) -> str:
    """An option holding an address or host name: printable ASCII, no spaces."""
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(
            f"not an address: expected an IP address or a host name such as 127.0.0.1, "
            f"received {text!r}"
        )
    return text


class Serve(Command):
    name = "serve"
    help = "a live results page and JSON API for a log (needs the serve extra)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser)
        parser.add_argument(
            "--host",
            type=_host,
            default="127.0.0.1",
            help="the address to listen on (default 127.0.0.1: this machine only)",
        )
        parser.add_argument(
            "--port",
            type=whole_number(0, 65535, what="a port"),
            default=8000,
            help="the port to listen on (default 8000; 0: any free port, printed)",
        )

    def run(self, args: argparse.Namespace) -> int:
        import socket  # here, not at start-up: every other command goes without it

        try:
            import uvicorn

            from ._server import create_app
        except ImportError as error:
            raise UsageError(
                "standings serve needs the serve extra",
                where="serve",
                expected=INSTALL_HINT,
                received=f"{error.name} is not installed",
            ) from None
        path = resolve_log(args.log)
        app = create_app(path, name=args.log)
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((args.host, args.port))
            listener.listen(2048)  # before saying so: a client may connect at once
        except (OSError, UnicodeError, ValueError) as error:
            listener.close()
            reason = error.strerror if isinstance(error, OSError) else None
            raise UsageError(
                "cannot listen there",
                where=f"{args.host}:{args.port}",
                expected="a free port on an address of this machine",
                received=reason or str(error),
            ) from None
        port = listener.getsockname()[1]
        host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
        sys.stdout.write(f"serving {args.log} on http://{host}:{port}/ (Ctrl-C to stop)\n")
        sys.stdout.flush()
        config = uvicorn.Config(
            app, log_level="warning", timeout_graceful_shutdown=1, lifespan="on"
        )
        uvicorn.Server(config).run(sockets=[listener])
        return 0
