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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from trainer.errors import UserError, escape_controls, os_error

__all__ = [
    "FileRefused",
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
