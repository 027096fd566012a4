"""``trainer serve``: the same Textual app in a web browser, through textual-serve.

textual-serve answers each browser tab's websocket by starting the command it
was given as a new process (a shell command, with this process's environment
plus Textual's web-driver variables) and relaying keys and screen updates. So
every tab is a complete ``trainer home`` of its own on the one database;
SQLite in WAL mode with busy timeouts, and the store's ``BEGIN IMMEDIATE``
writes, keep two tabs answering at once from losing or mixing anything. The
command names the database by its resolved path and inherits ``TRAINER_*``,
so the browser sees exactly the data and settings the terminal does.

Two defaults of textual-serve are changed here:

* Its page points the browser at ``<host>:<port>`` as given to the server,
  which is unreachable when listening on ``0.0.0.0`` (the browser would dial
  0.0.0.0). The page's URLs are built from the address the browser used.
* It accepts a websocket from any web page, and a browser lets any site open
  a websocket to localhost, so any page visited while serving could drive the
  trainer. The websocket must come from a page this server served (Origin
  matches Host), and when listening on loopback the Host must be a loopback
  name too, which also shuts out DNS rebinding.

There is no login and no TLS: listening on anything but loopback prints a
one-line warning before serving.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from aiohttp import web

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


# ------------------------------------------------------------------- serving
def serve(
    db_path: str | os.PathLike[str] | None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    python: str = sys.executable,
) -> None:
    """Serve the home screen on ``host:port`` until Ctrl+C or SIGTERM.

    The database is opened (migrated, decks synced) once here, so a problem
    with it is one line now rather than a dead browser tab later.
    """
    from trainer.app import locations
    from trainer.app.trainer import Trainer
    from trainer.errors import UserError

    port = valid_port(port)
    path = locations.database_path(db_path).resolve()
    trainer = Trainer.open(path)
    try:
        for error in trainer.sync_decks().errors:
            print(f"trainer: warning: {error} (deck skipped)", file=sys.stderr)
    finally:
        trainer.close()

    if not is_loopback(host):
        print(
            f"trainer: warning: serving on {host_port(host, port)} with no login and no TLS: "
            "anyone who can reach this address can study and change your review history",
            file=sys.stderr,
        )
    server = make_server(app_command(path, python), host=host, port=port)
    try:
        server.serve()
    except OSError as error:
        reason = error.strerror or str(error)
        if "error while attempting to bind" in reason:  # asyncio's wording; keep the cause
            reason = reason.rsplit(": ", 1)[-1]
        raise UserError(f"cannot listen on {host_port(host, port)}: {reason}") from None


def app_command(db_path: Path, python: str = sys.executable) -> str:
    """The shell command textual-serve runs for each browser tab."""
    return shlex.join([python, "-m", "trainer", "--db", str(db_path), "home"])


def valid_port(value: int | str) -> int:
    from trainer.app.trainer import UserError

    try:
        port = int(value)
    except ValueError:
        raise UserError(f"--port: not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise UserError(f"--port: must be from 1 to 65535, not {port}")
    return port


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _make_server_class() -> type:
    import asyncio
    import contextlib
    import signal

    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.server import Server

    class _TrainerServer(Server):
        def __init__(self, command: str, *, host: str, port: int) -> None:
            super().__init__(command, host=host, port=port, title="trainer")
            self.loopback_only = is_loopback(host)
            self.sessions: set[asyncio.Task[Any]] = set()

        def serve(self, debug: bool = False) -> None:
            """Server.serve, but announcing the address only once it is bound."""
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(signal.SIGINT, self.request_exit)
                loop.add_signal_handler(signal.SIGTERM, self.request_exit)
            web.run_app(
                self._make_app(),
                host=self.host,
                port=self.port,
                handle_signals=False,
                loop=loop,
                print=self._announce,
                shutdown_timeout=5,
            )

        def _announce(self, *_: object) -> None:
            shown = "<this machine's address>" if self.host in WILDCARD_HOSTS else self.host
            print(f"trainer: serving on http://{host_port(shown, self.port)} (Ctrl+C to stop)")
            sys.stdout.flush()

        async def on_startup(self, app: web.Application) -> None:
            """Quiet: textual-serve's banner would claim the address before binding."""

        async def on_shutdown(self, app: web.Application) -> None:
            """End every tab's app now (each answer is already committed), not at the timeout."""
            for task in self.sessions:
                task.cancel()
            if self.sessions:
                await asyncio.wait(self.sessions, timeout=5)

        def _check(self, request: web.Request, *, websocket: bool = False) -> None:
            if self.loopback_only and not is_loopback(request.url.host or ""):
                raise web.HTTPForbidden(text="trainer serves this address only as localhost\n")
            origin = request.headers.get("Origin")
            if websocket and origin is not None and not same_origin(origin, request):
                raise web.HTTPForbidden(text="websocket from another site refused\n")

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            self._check(request)
            base = f"{request.scheme}://{request.host}"
            ws_scheme = "wss" if request.scheme == "https" else "ws"
            context = {
                "font_size": _int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": f"{ws_scheme}://{request.host}/ws",
                "config": {"static": {"url": f"{base}/static/"}},
                "application": {"name": self.title},
            }
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            self._check(request, websocket=True)
            task = asyncio.current_task()
            assert task is not None
            self.sessions.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.sessions.discard(task)

    return _TrainerServer


def make_server(command: str, *, host: str, port: int) -> Any:
    """textual-serve's Server with the changes above; textual-serve loads only now."""
    return _make_server_class()(command, host=host, port=port)


def same_origin(origin: str, request: web.Request) -> bool:
    parts = urlsplit(origin)
    default = 443 if parts.scheme == "https" else 80
    try:
        origin_port = parts.port or default
    except ValueError:
        return False
    return (parts.scheme, parts.hostname, origin_port) == (
        request.scheme,
        request.url.host,
        request.url.port,
    )


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
