"""Reading and writing user files safely: checked before read, never half written.

Every file trainer reads comes from the user's folders or a stranger's
download, so it is checked before a byte is read: it must be a regular file
(a symlink is followed only when it ends at one), within its size limit, and
it is read with a bound, since a file can grow between the check and the
read. ``/dev/zero``, a FIFO or a directory gets one line naming it instead of
exhausting memory or hanging the command.

Writes go to a temporary file created exclusively beside the real target and
are renamed over it: through a symlink the target is the file it points to,
so a deck kept in a sync folder behind a link keeps being the one updated.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from trainer.errors import UserError, describe, escape_controls, os_error

__all__ = [
    "BackgroundWrite",
    "FileRefused",
    "ForkedJob",
    "WrittenFile",
    "check_regular",
    "read_bounded",
    "restored_on_failure",
    "shown",
    "write_atomically",
    "write_file",
]

_CHUNK = 1 << 20
#: the largest deck or glossary file read (here, so checking one needs no YAML import)
MAX_DECK_BYTES = 64 * 1024 * 1024


class FileRefused(UserError):
    """A file that is not read: a special file, a missing one, or one too large."""


def shown(path: object) -> str:
    """A path as printed: control characters (newlines too) and undecodable bytes visible."""
    text = os.fsdecode(path) if isinstance(path, bytes | os.PathLike) else str(path)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return escape_controls(text, keep_newlines=False)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: Path, limit: int | None = None, what: str = "file") -> os.stat_result:
    """The file's status if it is a regular file within ``limit`` bytes; else FileRefused.

    ``stat`` follows symlinks, so a link is accepted exactly when it ends at a
    regular file; a dangling link or a link loop is "cannot read".
    """
    try:
        status = path.stat()
    except OSError as error:
        reason = error.strerror or str(error)
        raise FileRefused(f"{shown(path)}: cannot read: {reason}") from None
    if not stat.S_ISREG(status.st_mode):
        raise FileRefused(f"{shown(path)}: {_kind(status.st_mode)}, not a {what}; not read")
    if limit is not None and status.st_size > limit:
        raise FileRefused(
            f"{shown(path)}: {what} is too large ({status.st_size} bytes; the limit is {limit})"
        )
    return status


def read_bounded(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or FileRefused.

    The file is opened without blocking (a FIFO swapped in after the check
    cannot hang the read), checked again through the open descriptor, and read
    no further than one byte past the limit.
    """
    check_regular(path, limit, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise FileRefused(f"{shown(path)}: cannot read: {error.strerror or error}") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise FileRefused(f"{shown(path)}: {_kind(status.st_mode)}, not a {what}; not read")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(_CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileRefused(
                    f"{shown(path)}: {what} is too large (over {limit} bytes; the limit is {limit})"
                )
    except OSError as error:
        raise FileRefused(f"{shown(path)}: cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def resolve_target(path: Path) -> Path:
    """The file a write to ``path`` should change: the end of its symlink chain.

    A dangling link resolves to where it points, so the write creates that file
    and the link starts working, as ``echo > link`` would.
    """
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_atomically(
    path: Path, data: str | bytes | Sequence[bytes | memoryview], also: Path | None = None
) -> bool:
    """Write to a fresh temporary file beside the target, then rename it over the target.

    The rename is atomic on POSIX and Windows, so readers see the old file or
    the new one, never a mix. The temporary name is random and created with
    ``O_EXCL``: a file or symlink planted at a guessable name is never followed
    or overwritten. Through a symlink the target is the file it points to, so
    the link stays a link. Raises OSError; callers turn it into their own
    one-line message, since only they know what the file is to the user.

    ``also`` (a path that must not exist) is given the written file as a hard
    link before it replaces the target, so a second name for the same bytes
    costs no second write (linked from the temporary file, it can only be the
    file written here). Returns whether that link was made: a file system
    without hard links, or another device, is not an error.
    """
    import secrets

    target = resolve_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pieces: Sequence[bytes | memoryview] = (
        [data.encode("utf-8")]
        if isinstance(data, str)
        else [data]
        if isinstance(data, bytes)
        else data
    )
    mode = 0o644
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(target.stat().st_mode)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(temporary, flags, mode)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - a hundred collisions of 48 random bits
        raise FileExistsError(f"{target}: no free temporary name")
    linked = False
    try:
        with os.fdopen(fd, "wb") as handle:
            # pieces, so a large file changed in the middle is never joined in memory
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        linked = also is not None and _hard_link(temporary, also)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if linked and also is not None:  # the text never became the target's
            with contextlib.suppress(OSError):
                os.unlink(also)
        raise
    return linked


def _hard_link(source: Path, name: Path) -> bool:
    try:
        os.link(source, name, follow_symlinks=False)
    except (OSError, NotImplementedError):
        return False
    return True


def write_file(
    path: Path, data: str | bytes | Sequence[bytes | memoryview], also: Path | None = None
) -> bool:
    """``write_atomically``, failing with one line that names the file."""
    try:
        return write_atomically(path, data, also)
    except OSError as error:
        raise os_error(error, shown(path), "write") from None


@contextmanager
def restored_on_failure(paths: Iterable[Path]) -> Iterator[None]:
    """Keep what ``paths`` hold now; if the block fails, put each back as it was.

    A deck file and the database must agree: an import or edit that wrote a file
    and then could not load it leaves the file as it found it (a file that did
    not exist is removed). The original error is the one raised.
    """
    saved = [
        (path, read_bounded(path, MAX_DECK_BYTES, "deck file") if path.exists() else None)
        for path in paths
    ]
    try:
        yield
    except BaseException:
        for path, previous in reversed(saved):
            with suppress(OSError):
                if previous is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomically(path, previous)
        raise


class ForkedJob:
    """Run a function in a child process while this one goes on (``start``); its result
    is one line of text (``result`` waits for it).

    For work that would otherwise wait behind an import's database writes and
    needs none of them: a forked child has every object already in its memory,
    nothing is pickled, and the two use two cores. The child never touches the
    parent's database connection and leaves through ``os._exit``, so none of
    the parent's buffers, exit handlers or SQLite state runs twice. Where there
    is no fork, or other threads run (a fork copies only the calling thread, and
    a lock another thread held would stay locked in the child), the function runs
    in this process when ``start`` is called. Either way ``result`` raises a
    failure as one line (a UserError), and ``wait`` (or leaving the ``with``
    block) makes sure the child is gone before the caller cleans up.
    """

    def __init__(self, pid: int | None, reader: int | None, done: str | None, what: str):
        self._pid = pid
        self._reader = reader
        self._done = done
        self._what = what
        #: whether a child does the work (else it was done in ``start``)
        self.forked = pid is not None
        self._report: tuple[bool, str, int] | None = None

    @classmethod
    def start(cls, work: Callable[[], str], what: str) -> ForkedJob:
        """Run ``work``; ``what`` names it in the message of a child that died."""
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return cls(None, None, work(), what)
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to spare (a limit, no memory): the work is done here
            os.close(reader)
            os.close(writer)
            return cls(None, None, work(), what)
        if pid == 0:  # the child: report, never return
            os.close(reader)
            _child_runs(work, writer)
        os.close(writer)
        return cls(pid, reader, None, what)

    def result(self) -> str:
        """What ``work`` returned, once the child is done; its failure as a UserError."""
        if self._done is not None:
            return self._done
        succeeded, text, status = self._wait()
        if not succeeded:
            raise UserError(
                text
                or f"{self._what}: the process doing it ended unexpectedly "
                f"(wait status {status}); nothing imported"
            )
        self._done = text
        return text

    def wait(self) -> None:
        """Wait for the child, whatever came of it."""
        if self._done is None:
            self._wait()

    def _wait(self) -> tuple[bool, str, int]:
        """Whether the child succeeded, its one line and its wait status (read once)."""
        if self._report is None:
            assert self._pid is not None and self._reader is not None
            chunks = []
            while chunk := os.read(self._reader, 1 << 16):
                chunks.append(chunk)
            os.close(self._reader)
            _, status = os.waitpid(self._pid, 0)
            report = b"".join(chunks).decode("utf-8", "replace")
            self._report = (report.startswith("ok\n"), report.partition("\n")[2], status)
        return self._report

    def __enter__(self) -> ForkedJob:
        return self

    def __exit__(self, *_: object) -> None:
        self.wait()


def _child_runs(work: Callable[[], str], pipe: int) -> NoReturn:
    """The child's whole life: run ``work``, write how it went, leave."""
    code, report = 1, "failed\n"
    try:
        report, code = f"ok\n{work()}", 0
    except BaseException as error:  # the parent reports it; nothing may escape a fork
        report = f"failed\n{describe(error)}"
    finally:
        with suppress(BaseException):
            data = report.encode("utf-8", "replace")
            while data:
                data = data[os.write(pipe, data) :]
        os._exit(code)


@dataclass(frozen=True)
class WrittenFile:
    """What a background write left on disk: the file's size, modification time and
    SHA-256 (a deck's signature)."""

    size: int
    mtime_ns: int
    sha256: str


class BackgroundWrite:
    """Make a file's bytes, write them atomically and keep a copy (``ForkedJob``).

    An import of 100k Anki notes spent half a second turning the new deck into
    YAML, writing, syncing and hashing it and keeping its copy, while its
    database work (longer, and needing none of that) waited.
    """

    def __init__(self, path: Path, job: ForkedJob):
        self.path = path
        self._job = job
        self.forked = job.forked

    @classmethod
    def start(
        cls, path: Path, make: Callable[[], bytes], keep: Callable[[bytes, str], None]
    ) -> BackgroundWrite:
        """Write ``make()`` to ``path`` (see ``write_file``), then ``keep(data, sha256)``."""

        def work() -> str:
            done = _make_and_write(path, make, keep)
            return f"{done.size} {done.mtime_ns} {done.sha256}"

        return cls(path, ForkedJob.start(work, f"writing {shown(path)}"))

    def result(self) -> WrittenFile:
        """The file written; a failure to make or write it as a UserError."""
        size, mtime_ns, sha256 = self._job.result().split(" ")
        return WrittenFile(int(size), int(mtime_ns), sha256)

    def wait(self) -> None:
        self._job.wait()

    def __enter__(self) -> BackgroundWrite:
        return self

    def __exit__(self, *_: object) -> None:
        self.wait()


def _make_and_write(
    path: Path, make: Callable[[], bytes], keep: Callable[[bytes, str], None]
) -> WrittenFile:
    import hashlib

    data = make()
    write_file(path, data)
    status = path.stat()
    sha256 = hashlib.sha256(data).hexdigest()
    keep(data, sha256)
    return WrittenFile(status.st_size, status.st_mtime_ns, sha256)
