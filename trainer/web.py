"""``trainer serve``: the same Textual app in a web browser, through textual-serve.

textual-serve answers each browser tab's websocket by starting the command it
was given as a new process (a shell command, with this process's environment
plus Textual's web-driver variables) and relaying keys and screen updates. So
every tab is a complete ``trainer home`` of its own on the one database;
SQLite in WAL mode with busy timeouts, and the store's ``BEGIN IMMEDIATE``
writes, keep two tabs answering at once from losing or mixing anything. The
command names the database by its resolved path and inherits ``TRAINER_*``,
so the browser sees exactly the data and settings the terminal does.

What textual-serve does not do, this server does:

* A random token, printed in the URL at start, is required for every HTTP
  request and websocket, as Jupyter does: the first visit carries it in the
  query and gets it back as a cookie (HttpOnly, SameSite=Strict, named per
  port), so only someone who saw the URL can drive the trainer.
* ``Host`` must name the address the connection arrived on (or this machine's
  name, or a loopback name on loopback) and ``Origin``, when sent, must be the
  page's own: a web page elsewhere, or one reached by DNS rebinding, is
  refused whatever ``--host`` is.
* Its page points the browser at ``<host>:<port>`` as given to the server,
  which is unreachable when listening on ``0.0.0.0``; here the page's URLs are
  built from the address the browser used.
* At most ``--max-sessions`` tabs run at once (each is a whole process); one
  more gets a page saying so. ``/static/`` lists no directory, and a tab that
  closes is one quiet log line, not a traceback.

There is no TLS: listening on anything but loopback prints a one-line warning
before serving.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

    from aiohttp import web

# The standard modules only serving needs (logging, sockets, URLs, HMAC) are imported
# where they are used: ``trainer.cli`` imports this module for the defaults below, and
# every other command would pay for them at start-up.

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 4
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
TOKEN_PARAMETER = "token"
#: each tab is a whole trainer process (about 46 MB); more than a few is a mistake or an attack
MAX_SESSIONS_CEILING = 64


# ------------------------------------------------------------------- serving
def serve(
    db_path: str | os.PathLike[str] | None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    python: str = sys.executable,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    token: str | None = None,
) -> None:
    """Serve the home screen on ``host:port`` until Ctrl+C or SIGTERM.

    The database is opened (migrated, decks synced) once here, so a problem
    with it is one line now rather than a dead browser tab later.
    """
    import secrets

    from trainer.app import locations
    from trainer.app.trainer import Trainer
    from trainer.errors import UserError, escape_controls

    port = valid_port(port)
    max_sessions = valid_max_sessions(max_sessions)
    path = locations.database_path(db_path).resolve()
    trainer = Trainer.open(path)
    try:
        for error in trainer.sync_decks().errors:
            line = escape_controls(str(error), keep_newlines=False)
            print(f"trainer: warning: {line} (deck skipped)", file=sys.stderr)
    finally:
        trainer.close()

    if not is_loopback(host):
        print(
            f"trainer: warning: serving on {host_port(host, port)} with no TLS: "
            "anyone who can see the address with its token can study and change your "
            "review history",
            file=sys.stderr,
        )
    server = make_server(
        app_command(path, python),
        host=host,
        port=port,
        token=token or secrets.token_urlsafe(24),
        max_sessions=max_sessions,
    )
    try:
        server.serve()
    except OSError as error:
        reason = error.strerror or str(error)
        if "error while attempting to bind" in reason:  # asyncio's wording; keep the cause
            reason = reason.rsplit(": ", 1)[-1]
        raise UserError(f"cannot listen on {host_port(host, port)}: {reason}") from None


def valid_max_sessions(value: int | str) -> int:
    from trainer.errors import UserError

    try:
        count = int(value)
    except ValueError:
        raise UserError(f"--max-sessions: not a whole number: {value!r}") from None
    if not 1 <= count <= MAX_SESSIONS_CEILING:
        raise UserError(f"--max-sessions: must be from 1 to {MAX_SESSIONS_CEILING}, not {count}")
    return count


def app_command(db_path: Path, python: str = sys.executable) -> str:
    """The shell command textual-serve runs for each browser tab."""
    import shlex

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
    import ipaddress

    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _one_line_formatter() -> logging.Formatter:
    """Log records as one line each: an exception is its type and message, no traceback.

    A tab closing mid-write is routine for a web server; it must not print a
    screenful of traceback on the console the user started ``trainer serve`` in.
    """
    import logging

    from trainer.errors import escape_controls

    class OneLineFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                message = f"{message} ({type(error).__name__}: {error})"
            return f"trainer: {escape_controls(message, keep_newlines=False)}"

        def formatException(self, ei: Any) -> str:
            return ""

    return OneLineFormatter()


def _quiet_logging() -> None:
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_one_line_formatter())
    for name in ("trainer.serve", "textual-serve", "aiohttp"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO if name == "trainer.serve" else logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def _make_server_class() -> type:
    import asyncio
    import contextlib
    import hmac
    import logging
    import signal

    import aiohttp_jinja2
    import jinja2
    from aiohttp import WSMsgType, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    log = logging.getLogger("trainer.serve")

    class _TrainerServer(Server):
        def __init__(
            self, command: str, *, host: str, port: int, token: str, max_sessions: int
        ) -> None:
            super().__init__(command, host=host, port=port, title="trainer")
            self.token = token
            self.cookie = f"trainer-token-{port}"
            self.max_sessions = max_sessions
            self.sessions: set[asyncio.Task[Any]] = set()
            self.machine_names = _machine_names()

        def initialize_logging(self) -> None:
            _quiet_logging()

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
                access_log=None,
            )

        async def _make_app(self) -> web.Application:
            """textual-serve's routes, behind the guard, and no directory listings."""
            app = web.Application(middlewares=[self._guard])
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
            app.add_routes(
                [
                    web.get("/", self.handle_index, name="index"),
                    web.get("/ws", self.handle_websocket, name="websocket"),
                    web.get("/download/{key}", self.handle_download, name="download"),
                    web.static("/static", self.statics_path, show_index=False, name="static"),
                ]
            )
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        def _announce(self, *_: object) -> None:
            shown = "<this machine's address>" if self.host in WILDCARD_HOSTS else self.host
            url = f"http://{host_port(shown, self.port)}/?{TOKEN_PARAMETER}={self.token}"
            print(f"trainer: serving on {url} (Ctrl+C to stop)")
            sys.stdout.flush()

        async def on_startup(self, app: web.Application) -> None:
            """Quiet: textual-serve's banner would claim the address before binding."""

        async def on_shutdown(self, app: web.Application) -> None:
            """End every tab's app now (each answer is already committed), not at the timeout."""
            for task in self.sessions:
                task.cancel()
            if self.sessions:
                await asyncio.wait(self.sessions, timeout=5)

        @web.middleware
        async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
            """Every request: the right Host and Origin, then the token (query or cookie)."""
            refusal = self._refusal(request)
            if refusal is not None:
                log.info("refused %s %s: %s", request.method, request.path, refusal)
                return web.Response(status=403, text=f"trainer: {refusal}\n")
            response = await handler(request)
            offered = request.query.get(TOKEN_PARAMETER)
            if offered is not None and isinstance(response, web.Response) and not response.prepared:
                response.set_cookie(
                    self.cookie, self.token, httponly=True, samesite="Strict", path="/"
                )
            return response

        def _refusal(self, request: web.Request) -> str | None:
            sockname = request.transport.get_extra_info("sockname") if request.transport else None
            local = str(sockname[0]) if sockname else self.host
            if not host_allowed(request.host, local, self.port, self.machine_names):
                return f"this server does not answer to the name {request.host!r}"
            origin = request.headers.get("Origin")
            if origin is not None and not same_origin(origin, request):
                return "requests from another site are refused"
            offered = request.query.get(TOKEN_PARAMETER) or request.cookies.get(self.cookie, "")
            if not hmac.compare_digest(offered.encode(), self.token.encode()):
                return (
                    "a token is required: open the address trainer serve printed "
                    "(it ends in ?token=...)"
                )
            return None

        def _full(self) -> web.Response:
            return web.Response(
                status=503,
                content_type="text/html",
                text=(
                    "<!doctype html><title>trainer: too many tabs</title>"
                    f"<p>trainer is already open in {len(self.sessions)} tabs, the most "
                    "<code>--max-sessions</code> allows. Close one of them, then reload this "
                    "page.</p>\n"
                ),
            )

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            if len(self.sessions) >= self.max_sessions:
                return self._full()
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
            """One tab: its own trainer process, relayed until either side closes."""
            if len(self.sessions) >= self.max_sessions:
                return self._full()
            task = asyncio.current_task()
            assert task is not None
            self.sessions.add(task)
            websocket = web.WebSocketResponse(heartbeat=15)
            service: AppService | None = None
            try:
                await websocket.prepare(request)
                service = AppService(
                    self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                    debug=self.debug,
                )
                await service.start(
                    _int(request.query.get("width", "80"), 80),
                    _int(request.query.get("height", "24"), 24),
                )
                await self._relay(websocket, service)
                log.info("a tab closed")
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # the browser went away mid-message: routine
                log.info("a tab closed (%s)", type(error).__name__)
            finally:
                self.sessions.discard(task)
                if service is not None:
                    with contextlib.suppress(Exception):
                        await service.stop()
            return websocket

        async def _relay(self, websocket: web.WebSocketResponse, service: AppService) -> None:
            """The browser's keys, resizes and focus changes to the tab's process."""
            async for message in websocket:
                if message.type != WSMsgType.TEXT:
                    continue
                envelope = message.json()
                if not isinstance(envelope, list) or not envelope:
                    continue
                kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
                if kind == "stdin" and isinstance(data, str):
                    await service.send_bytes(data.encode("utf-8"))
                elif kind == "resize" and isinstance(data, dict):
                    await service.set_terminal_size(
                        _int(str(data.get("width", 80)), 80), _int(str(data.get("height", 24)), 24)
                    )
                elif kind == "ping":
                    await websocket.send_json(["pong", data])
                elif kind == "blur":
                    await service.blur()
                elif kind == "focus":
                    await service.focus()

    return _TrainerServer


def make_server(
    command: str,
    *,
    host: str,
    port: int,
    token: str = "",
    max_sessions: int = DEFAULT_MAX_SESSIONS,
) -> Any:
    """textual-serve's Server with the changes above; textual-serve loads only now."""
    import secrets

    return _make_server_class()(
        command,
        host=host,
        port=port,
        token=token or secrets.token_urlsafe(24),
        max_sessions=max_sessions,
    )


def _machine_names() -> frozenset[str]:
    """This machine's own names, which a browser on the network may use as Host."""
    import socket

    names = {socket.gethostname().lower()}
    with_domain = socket.getfqdn().lower()
    names.add(with_domain)
    names.update(f"{name}.local" for name in list(names) if "." not in name)
    return frozenset(name for name in names if name)


def host_allowed(header: str, local: str, port: int, machine_names: frozenset[str]) -> bool:
    """Whether a Host header names this server: the address the connection arrived
    on, this machine's name, or (arriving on loopback) a loopback name; and its port.

    A page reached through DNS rebinding sends its own domain as Host, which is
    none of these, whatever address the server listens on.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(f"//{header}")
    try:
        given_port = parts.port or 80
    except ValueError:
        return False
    name = (parts.hostname or "").lower()
    if given_port != port or not name:
        return False
    local = local.lower().removeprefix("::ffff:")
    if name.strip("[]") == local:
        return True
    if is_loopback(local):
        return is_loopback(name)
    return name in machine_names


def same_origin(origin: str, request: web.Request) -> bool:
    from urllib.parse import urlsplit

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
