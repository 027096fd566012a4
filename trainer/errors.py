"""The errors every layer shares, and the one way any failure becomes one line.

This module is a leaf: it imports only the standard library, so the core,
storage, the application layer and both interfaces can all raise and describe
errors without importing each other. Each layer's own error class derives from
``TrainerError``; ``describe`` needs no list of them, which is why a new error
class works everywhere the day it is written.
"""

from __future__ import annotations

import sys

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "TrainerError",
    "UserError",
    "describe",
    "escape_controls",
    "os_error",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_KEEP = {"\n", "\t"}


def _picture(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"\\x{code:02x}"


_CONTROL_PICTURES = {
    code: _picture(chr(code))
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]
    if chr(code) not in _KEEP
}
_LINE_BREAKS = {ord("\n"): "\u2424", ord("\t"): "\u2409"}


def escape_controls(text: str, *, keep_newlines: bool = True) -> str:
    """Control characters made visible (``␛[31m``), so text from a file or a
    package can never drive the terminal; with ``keep_newlines=False`` a line
    break becomes ``␤`` too, so one value cannot forge a second output line."""
    escaped = text.translate(_CONTROL_PICTURES)
    return escaped if keep_newlines else escaped.translate(_LINE_BREAKS)


class TrainerError(Exception):
    """A failure the user can understand: its message is one line naming the
    file, line or value at fault."""


class UserError(TrainerError):
    """A problem the user can fix (a bad argument, a missing card or deck)."""


def os_error(
    error: OSError,
    path: object | None = None,
    action: str = "",
    kind: type[TrainerError] = UserError,
) -> TrainerError:
    """An ``OSError`` as one line naming the file: ``PATH: cannot ACTION: reason``.

    ``kind`` is the error class of the layer that failed (a settings, deck-edit
    or database error), so callers that catch their own class still can.
    """
    where = path if path is not None else error.filename
    reason = error.strerror or str(error)
    doing = f"cannot {action}: " if action else ""
    return kind(f"{where}: {doing}{reason}" if where is not None else f"{doing}{reason}")


def describe(error: BaseException) -> str:
    """Any error as the one line a user reads; control characters, line breaks
    and undecodable bytes (a file name's) escaped."""
    if isinstance(error, TrainerError):
        text = str(error)
    elif isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        text = f"{where}{error.strerror or error}"
    elif isinstance(error, UnicodeEncodeError) and isinstance(error.object, str):
        # a file name or argument with bytes that are not UTF-8 (os.fsdecode's surrogates)
        text = (
            f"{error.object}: not valid UTF-8 (a file name or argument in another encoding); "
            "rename the file or retype the value"
        )
    elif (sqlite := sys.modules.get("sqlite3")) and isinstance(error, sqlite.Error):
        text = f"database error: {error}"
    else:
        text = f"internal error ({type(error).__name__}): {error}"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return escape_controls(text, keep_newlines=False)
