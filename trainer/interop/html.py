"""Anki fields are HTML; cards here are plain text. This converts both ways.

The reader is a small ``html.parser`` state machine, not a set of regular
expressions, because field HTML comes from a rich-text editor: tags nest,
attributes hold ``>`` and entities hide anywhere. The result is what a reader
would see, as text:

- entities are decoded (``&amp;`` → ``&``, ``&ndash;`` → an en dash);
- whitespace collapses the way a browser collapses it, and a non-breaking space
  counts as an ordinary space (editors sprinkle ``&nbsp;`` where the author
  meant one space), so ``a, &nbsp;b`` reads ``a, b``;
- ``<br>`` ends a line; block elements (``<div>``, ``<p>``, ``<li>``…) start
  and end lines without piling up blank ones, so Anki's ``<div><br></div>``
  is one blank line;
- every other tag is dropped with its text kept, except ``<script>`` and
  ``<style>``, whose content is not text;
- media is not copied, but never silently lost either: ``<img src="x.png">``
  becomes the text ``[image:x.png]`` (mirroring Anki's own ``[sound:x.mp3]``,
  which stays as it is) and both are listed in ``media`` for the import report.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import NamedTuple

__all__ = ["PlainText", "html_to_text", "plain_field", "text_to_html"]

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "template"})
_CELL_TAGS = frozenset({"td", "th"})
_SOUND = re.compile(r"\[sound:([^\]\n]+)\]")
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f\v]+")
_SPACES = re.compile(r" {2,}")

#: A "start a new line unless already at the start of one" marker (block boundaries).
_SOFT_BREAK = None
#: A line break that always ends the current line, even an empty one (``<br>``).
_HARD_BREAK = "\n"


class PlainText(NamedTuple):
    """A field as text (a named tuple: an import makes two per note, and a frozen
    dataclass cost more to build than the fast path below costs to run)."""

    text: str
    #: file names of images and sounds the field refers to, in order, once each
    media: tuple[str, ...] = ()


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[str | None] = []
        self.media: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif self.hidden:
            return
        elif tag == "br":
            self.tokens.append(_HARD_BREAK)
        elif tag in _BLOCK_TAGS:
            self.tokens.append(_SOFT_BREAK)
        elif tag in _CELL_TAGS:
            self.tokens.append(" ")
        elif tag == "img":
            source = dict(attrs).get("src")
            if source:
                self.media.append(source)
                self.tokens.append(f"[image:{source}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN_TAGS:  # ``<script/>`` opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif not self.hidden and tag in _BLOCK_TAGS:
            self.tokens.append(_SOFT_BREAK)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.media.extend(_SOUND.findall(data))
            self.tokens.append(_COLLAPSIBLE.sub(" ", data))


def plain_field(markup: str) -> str | None:
    """``html_to_text(markup).text`` for a field with no tag, entity, sound or spacing
    to fold (most fields of a large deck), else None; the text is then already on
    one line, its only whitespace single spaces between words."""
    if (
        "<" in markup
        or "&" in markup
        or "[sound:" in markup
        or "  " in markup
        or not markup.isprintable()
    ):
        return None
    return markup.strip(" ")


def html_to_text(markup: str) -> PlainText:
    """The plain text a reader sees in an Anki field, and the media it mentions."""
    plain = plain_field(markup)
    if plain is not None:
        return PlainText(plain)
    if "<" not in markup and "&" not in markup and "[sound:" not in markup:
        # no tag, entity or sound: what the parser would do comes down to spacing
        # (the parser is 10x slower)
        plain = _COLLAPSIBLE.sub(" ", markup).replace("\xa0", " ")
        return PlainText(_SPACES.sub(" ", plain).strip())
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    lines: list[str] = []
    current: list[str] = []
    for token in parser.tokens:
        if token is _SOFT_BREAK:
            if "".join(current).strip():
                lines.append("".join(current))
                current = []
        elif token == _HARD_BREAK:
            lines.append("".join(current))
            current = []
        else:
            current.append(token)
    lines.append("".join(current))
    return PlainText(_join_lines(lines), tuple(dict.fromkeys(parser.media)))


def _join_lines(lines: list[str]) -> str:
    cleaned = [_SPACES.sub(" ", line.replace("\xa0", " ")).strip() for line in lines]
    kept: list[str] = []
    for line in cleaned:
        if line or (kept and kept[-1]):  # at most one blank line in a row
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


def text_to_html(text: str) -> str:
    """Plain text as an Anki field: markup characters escaped, line breaks as ``<br>``."""
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")
