"""Writing user files so that a crash never leaves half of one behind."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from trainer.errors import os_error


def write_atomically(path: Path, data: str | bytes | Sequence[bytes]) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    The rename is atomic on POSIX and Windows, so readers see the old file or
    the new one, never a mix. Raises OSError; callers turn it into their own
    one-line message, since only they know what the file is to the user.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(data, str):
            temporary.write_text(data, encoding="utf-8")
        elif isinstance(data, bytes):
            temporary.write_bytes(data)
        else:  # pieces, so a large file changed in the middle is never joined in memory
            with temporary.open("wb") as out:
                for piece in data:
                    out.write(piece)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_file(path: Path, data: str | bytes | Sequence[bytes]) -> None:
    """``write_atomically``, failing with one line that names the file."""
    try:
        write_atomically(path, data)
    except OSError as error:
        raise os_error(error, path, "write") from None


@contextmanager
def restored_on_failure(paths: Iterable[Path]) -> Iterator[None]:
    """Keep what ``paths`` hold now; if the block fails, put each back as it was.

    A deck file and the database must agree: an import or edit that wrote a file
    and then could not load it leaves the file as it found it (a file that did
    not exist is removed). The original error is the one raised.
    """
    saved = [(path, path.read_bytes() if path.exists() else None) for path in paths]
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
