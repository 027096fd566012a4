"""``trainer serve``: the real server as a process, driven by headless Chromium.

The server runs as ``python -m trainer serve`` on
a free loopback port, in the test's TRAINER_HOME with a fixed TRAINER_NOW.
Chromium is Debian's (``.ci/install-browser``), driven through Playwright with
``executable_path``: no browser is downloaded, and every request that is not
for the local server (textual-serve's page asks for a web font) is aborted.

What the browser shows is read from the websocket frames the page receives
(the app's terminal output); what it did is read from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, WebSocket, async_playwright

from tests.conftest import SMALL_DECK
from trainer.cli.serve import register, run_serve
from trainer.web import app_command, is_loopback, valid_port

CHROMIUM = shutil.which("chromium") or ""
NOW = "2026-03-04T09:00:00+00:00"
OTHER_DECK = """\
name: Other deck
cards:
  - term: Delta
    definition: The fourth letter of the Greek alphabet.
"""
START_TIMEOUT = 30.0
PRINTED_URL = re.compile(r"serving on (http://[^/]+/)\?token=([A-Za-z0-9_-]+) ")
SCREEN_TIMEOUT = 30.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM, reason="no chromium on PATH (install it with .ci/install-browser)"
)


# ---------------------------------------------------------------- the server
@dataclass
class Served:
    url: str
    port: int
    db: Path
    process: subprocess.Popen[bytes]
    log: Path
    token: str = ""

    @property
    def entry(self) -> str:
        """The address as printed at start: the root with the token."""
        return f"{self.url}?token={self.token}"

    @property
    def cookie(self) -> str:
        return f"trainer-token-{self.port}={self.token}"

    def reviews(self) -> list[tuple[str, str, str, int, str]]:
        """(card id, term, direction, grade, mode) of every review, oldest first."""
        with contextlib.closing(sqlite3.connect(self.db, timeout=30)) as db:
            return db.execute(
                "SELECT r.card_id, c.term, r.direction, r.grade, r.mode FROM reviews r "
                "JOIN cards c ON c.id = r.card_id ORDER BY r.answered_at, r.rowid"
            ).fetchall()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_web(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trainer", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def http_status(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


@pytest.fixture
def serve_options() -> list[str]:
    """Extra ``trainer serve`` options; a test overrides this fixture to change them."""
    return []


@pytest.fixture
def served(
    isolated_user_area: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    serve_options: list[str],
) -> Iterator[Served]:
    """``trainer serve`` on a free loopback port, over a home with two small decks."""
    home = isolated_user_area
    (home / "decks").mkdir(parents=True)
    (home / "decks" / "small.yaml").write_text(SMALL_DECK, encoding="utf-8")
    (home / "decks" / "other.yaml").write_text(OTHER_DECK, encoding="utf-8")  # 2+ decks
    monkeypatch.setenv("TRAINER_NOW", NOW)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "trainer", "serve", "--port", str(port), *serve_options],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group: the apps it spawns end with it
        )
    served = Served(f"http://127.0.0.1:{port}/", port, home / "trainer.db", process, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (found := PRINTED_URL.search(log.read_text(errors="replace"))):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"trainer serve did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        assert found.group(1) == served.url
        served.token = found.group(2)
        while http_status_or_none(served.entry) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"trainer serve did not answer:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield served
    finally:
        stop(process)


def http_status_or_none(url: str) -> int | None:
    try:
        return http_status(url)
    except OSError:
        return None


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as Ctrl+C would; then make sure nothing of its group is left."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a tab's app that outlived the server


# --------------------------------------------------------------- the browser
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])")


class Tab:
    """One browser page on the server, and the terminal output it received."""

    def __init__(self, page: Page, base_url: str, entry: str = "") -> None:
        self.page = page
        self.base_url = base_url
        self.entry = entry or base_url
        self.received: list[str] = []

    async def open(self) -> Tab:
        page = self.page
        await page.route("**/*", self._local_only)
        page.on("websocket", self._watch)
        await page.goto(self.entry)
        await self.wait_for("Study all")  # the home screen's footer
        await page.locator(".xterm-helper-textarea").focus()
        return self

    async def _local_only(self, route: Route) -> None:
        if route.request.url.startswith(self.base_url):
            await route.continue_()
        else:
            await route.abort()

    def _watch(self, websocket: WebSocket) -> None:
        websocket.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
        self.received.append(text)

    def screen(self, since: int = 0) -> str:
        return ANSI.sub("", "".join(self.received[since:]))

    def mark(self) -> int:
        return len(self.received)

    async def wait_for(self, text: str, since: int = 0) -> None:
        deadline = time.monotonic() + SCREEN_TIMEOUT
        while text not in self.screen(since):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown; last output:\n{self.screen()[-2000:]}")
            await asyncio.sleep(0.05)

    async def press(self, key: str, then_shown: str) -> None:
        mark = self.mark()
        await self.page.keyboard.press(key)
        await self.wait_for(then_shown, since=mark)

    async def study_first_card(self, *, deck_row: int = 0) -> None:
        """Home → study the deck on row ``deck_row`` → reveal; leaves the grade to the caller."""
        for _ in range(deck_row):
            await self.page.keyboard.press("ArrowDown")
        await self.press("Enter", "space: reveal the answer")
        await self.press(" ", "blackout")  # the grade keys under the revealed answer


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_tab(browser: Browser, served: Served) -> Tab:
    page = await browser.new_page(viewport={"width": 1000, "height": 700})
    return await Tab(page, served.url, served.entry).open()


async def wait_for_reviews(served: Served, count: int) -> list[tuple[str, str, str, int, str]]:
    deadline = time.monotonic() + SCREEN_TIMEOUT
    while len(rows := served.reviews()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} reviews expected, the database has {rows}")
        await asyncio.sleep(0.05)
    return rows


# ---------------------------------------------------------- browser tests
@needs_chromium
async def test_a_card_answered_in_the_browser_is_in_the_database(
    served: Served, browser: Browser, tmp_path: Path
) -> None:
    tab = await new_tab(browser, served)
    shown = tab.mark()
    await tab.study_first_card()
    await tab.page.screenshot(path=str(tmp_path / "study.png"))
    assert (tmp_path / "study.png").stat().st_size > 0

    await tab.page.keyboard.press("5")
    [(_, term, direction, grade, mode)] = await wait_for_reviews(served, 1)
    assert (direction, grade, mode) == ("forward", 5, "study")
    assert term in tab.screen(since=shown), "the graded card is the one the page showed"
    await asyncio.sleep(0.5)
    assert len(served.reviews()) == 1, "one key press, one answer"


@needs_chromium
async def test_two_tabs_answering_at_once_both_answers_are_stored(
    served: Served, browser: Browser, tmp_path: Path
) -> None:
    first, second = await asyncio.gather(new_tab(browser, served), new_tab(browser, served))
    await asyncio.gather(first.study_first_card(deck_row=0), second.study_first_card(deck_row=1))
    for name, tab in (("first", first), ("second", second)):
        await tab.page.screenshot(path=str(tmp_path / f"{name}.png"))

    await asyncio.gather(first.page.keyboard.press("5"), second.page.keyboard.press("5"))
    rows = await wait_for_reviews(served, 2)
    assert [(grade, mode) for _, _, _, grade, mode in rows] == [(5, "study"), (5, "study")]
    assert len({card_id for card_id, *_ in rows}) == 2, "each tab answered its own card"
    terms = {term for _, term, *_ in rows}
    assert any(term in first.screen() for term in terms)
    assert any(term in second.screen() for term in terms)


# ------------------------------------------------ the server without a browser
def test_the_page_points_the_browser_back_at_the_address_it_used(served: Served) -> None:
    with urllib.request.urlopen(served.entry, timeout=10) as response:
        page = response.read().decode()
    assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in page
    localhost = f"http://localhost:{served.port}/?token={served.token}"
    with urllib.request.urlopen(localhost, timeout=10) as response:
        page = response.read().decode()
    assert f'data-session-websocket-url="ws://localhost:{served.port}/ws"' in page


def handshake(served: Served, path: str = "/ws", **headers: str) -> int:
    """The status of a websocket handshake on ``path`` (101: accepted)."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        connection.request(
            "GET",
            path,
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                **headers,
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_other_sites_and_other_host_names_are_refused(served: Served) -> None:
    here = f"127.0.0.1:{served.port}"
    token = served.cookie
    assert handshake(served, Origin="http://evil.example", Cookie=token) == 403
    assert handshake(served, Host=f"rebound.example:{served.port}", Cookie=token) == 403
    assert http_status(served.entry, Host=f"rebound.example:{served.port}") == 403
    assert http_status(served.entry, Origin="http://evil.example") == 403
    assert handshake(served, Host="127.0.0.1:1", Cookie=token) == 403  # another port
    assert handshake(served, Host=here, Origin=f"http://{here}", Cookie=token) == 101


def test_every_request_needs_the_token(served: Served) -> None:
    here = f"127.0.0.1:{served.port}"
    for path in ("", "static/js/textual.js", "static/", "download/x"):
        assert http_status(served.url + path) == 403, path
        assert http_status(f"{served.url}{path}?token=wrong") == 403, path
    assert handshake(served, Host=here, Origin=f"http://{here}") == 403
    assert handshake(served, Cookie=f"trainer-token-{served.port}=wrong") == 403
    assert handshake(served, f"/ws?token={served.token}") == 101
    assert http_status(served.url + "static/js/textual.js", Cookie=served.cookie) == 200


def test_the_first_visit_sets_a_cookie_and_static_lists_nothing(served: Served) -> None:
    with urllib.request.urlopen(served.entry, timeout=10) as response:
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"trainer-token-{served.port}={served.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert http_status(served.url + "static/", Cookie=served.cookie) in (403, 404)
    assert http_status(served.url + "static/js/", Cookie=served.cookie) in (403, 404)


@pytest.mark.parametrize("serve_options", [["--max-sessions", "1"]])
async def test_one_tab_too_many_gets_a_page_and_a_closed_tab_is_one_quiet_line(
    served: Served, serve_options: list[str]
) -> None:
    import aiohttp

    here = f"127.0.0.1:{served.port}"
    headers = {"Cookie": served.cookie, "Origin": f"http://{here}"}
    async with aiohttp.ClientSession() as session:
        first = await session.ws_connect(f"{served.url}ws?width=80&height=24", headers=headers)
        received = 0
        deadline = time.monotonic() + SCREEN_TIMEOUT
        while received < 500 and time.monotonic() < deadline:  # the tab's app is drawing
            with contextlib.suppress(TimeoutError):
                message = await asyncio.wait_for(first.receive(), timeout=1)
                received += len(message.data) if isinstance(message.data, str | bytes) else 0
        assert received >= 500, "the tab's app never drew its screen"
        async with session.get(served.url, headers={"Cookie": served.cookie}) as page:
            assert page.status == 503
            assert "--max-sessions" in await page.text()
        assert handshake(served, Cookie=served.cookie) == 503
        await first.close()  # the tab goes away
        deadline = time.monotonic() + SCREEN_TIMEOUT
        while http_status(served.url, Cookie=served.cookie) != 200:
            assert time.monotonic() < deadline, "the closed tab's place never freed"
            await asyncio.sleep(0.1)
    log = served.log.read_text(errors="replace")
    assert "a tab closed" in log
    assert "Traceback" not in log


def test_a_port_in_use_is_one_line_and_exit_1(isolated_user_area: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_web("--port", str(port))
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"trainer: cannot listen on 127.0.0.1:{port}: address already in use"
    ]
    assert "serving on" not in result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "trainer: --port: must be from 1 to 65535, not 0"),
        ("65536", "trainer: --port: must be from 1 to 65535, not 65536"),
        ("http", "trainer: --port: not a port number: 'http'"),
    ],
    ids=["zero", "too-big", "not-a-number"],
)
def test_a_bad_port_is_one_line_and_exit_1(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli import main

    assert main(["serve", "--port", value]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [message]
    assert captured.out == ""


def test_another_address_warns_on_one_line_before_serving(isolated_user_area: Path) -> None:
    # 192.0.2.1 is a documentation address no interface has: the bind fails, nothing is sent.
    result = run_web("--host", "192.0.2.1", "--port", str(free_port()))
    lines = result.stderr.splitlines()
    assert result.returncode == 1, result
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("trainer: warning: serving on 192.0.2.1:")
    assert "no TLS" in lines[0]
    assert lines[1].startswith("trainer: cannot listen on 192.0.2.1:")


def test_loopback_serves_without_a_warning(served: Served) -> None:
    assert "warning" not in served.log.read_text(errors="replace")


# ------------------------------------------------------------------- units
def test_each_tab_runs_the_home_screen_on_the_same_database(tmp_path: Path) -> None:
    db = tmp_path / "with space" / "trainer.db"
    command = app_command(db)
    assert shlex.split(command) == [sys.executable, "-m", "trainer", "--db", str(db), "home"]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("tablet.lan", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("value", ["0", "65", "many"])
def test_a_bad_max_sessions_is_one_line(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from trainer.cli import main

    assert main(["serve", "--max-sessions", value]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("trainer: --max-sessions: ")


def test_host_names_are_checked_against_the_arriving_address() -> None:
    from trainer.web import host_allowed

    names = frozenset({"laptop", "laptop.local"})
    assert host_allowed("127.0.0.1:8000", "127.0.0.1", 8000, names)
    assert host_allowed("localhost:8000", "127.0.0.1", 8000, names)
    assert not host_allowed("evil.example:8000", "127.0.0.1", 8000, names)
    assert not host_allowed("127.0.0.1:9000", "127.0.0.1", 8000, names)
    # listening on every network: the address the browser reached, or the machine's name
    assert host_allowed("192.168.1.20:8000", "192.168.1.20", 8000, names)
    assert host_allowed("laptop.local:8000", "192.168.1.20", 8000, names)
    assert not host_allowed("localhost:8000", "192.168.1.20", 8000, names)
    assert not host_allowed("rebound.example:8000", "192.168.1.20", 8000, names)
    assert not host_allowed("192.168.1.21:8000", "192.168.1.20", 8000, names)
    assert host_allowed("[::1]:8000", "::1", 8000, names)
    assert host_allowed("192.168.1.20:8000", "::ffff:192.168.1.20", 8000, names)


def test_valid_port_accepts_the_whole_range() -> None:
    assert valid_port("1") == 1
    assert valid_port(65535) == 65535


def test_register_declares_serve_as_the_cli_declares_commands() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="trainer")
    commands = parser.add_subparsers()

    def command(name: str, handler: object, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--db", default=argparse.SUPPRESS)
        sub.set_defaults(handler=handler)
        return sub

    register(command)
    args = parser.parse_args(["serve", "--db", "x.db"])
    assert (args.host, args.port, args.db, args.handler) == ("127.0.0.1", "8000", "x.db", run_serve)
    assert args.max_sessions == "4"
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", "9000")
