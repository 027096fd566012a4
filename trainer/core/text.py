"""Card text is shown as text.

Markup is never interpreted (widgets get ``markup=False``), and control
characters are replaced by their visible Unicode "control pictures", so an
ANSI escape sequence in a deck is displayed as ``␛[31m`` instead of recolouring
the terminal.
"""

from __future__ import annotations

from trainer.errors import escape_controls


def visible(text: str) -> str:
    """The text with every control character made visible."""
    return escape_controls(text)


def one_line(text: str) -> str:
    """All whitespace runs, line breaks included, folded to single spaces."""
    return " ".join(text.split())


def excerpt(text: str, width: int) -> str:
    """At most ``width`` characters of ``text`` on one line, ``…`` marking a cut."""
    text = one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def duration_text(seconds: float) -> str:
    """A short duration: ``45s``, ``4m 05s``, ``1h 02m``; every screen and report uses it."""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def count_text(count: int, unit: str) -> str:
    """``1 day``, ``3 days``: a count with its unit, plural when it should be."""
    return f"{count} {unit}{'' if count == 1 else 's'}"


def interval_text(days: int) -> str:
    """An interval as Anki writes it on its answer buttons: ``6d``, ``1.5mo``, ``2.1y``."""
    if days < 30:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.1f}".removesuffix(".0") + "mo"
    return f"{days / 365:.1f}".removesuffix(".0") + "y"
