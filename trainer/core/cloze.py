"""Cloze deletions, Anki's syntax: ``{{c1::answer}}`` or ``{{c1::answer::hint}}``.

A cloze text holds one or more numbered gaps; each number is studied as its
own card. For number N the question hides every gap N (as ``[…]``, or
``[hint]`` when the gap has one) and shows the other gaps' answers; the answer
shows the same text with gap N filled in, bracketed so the eye finds it.

Gaps may nest (``{{c1::a {{c2::b}} c}}``), as Anki allows: hiding the outer
gap hides the inner one with it. Text that only looks like a gap (no number,
no closing braces) is kept as written. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Gap", "answers", "has_cloze", "numbers", "parse", "question", "reveal", "strip"]

_OPEN = re.compile(r"\{\{c(\d{1,3})::")
HIDDEN = "[…]"


@dataclass(frozen=True)
class Gap:
    number: int
    #: the gap's content, possibly holding nested gaps
    parts: tuple[str | Gap, ...]
    hint: str | None = None


Node = str | Gap


def parse(text: str) -> tuple[Node, ...]:
    """The text as plain runs and gaps."""
    nodes, _ = _parse(text, 0, nested=False)
    return tuple(nodes)


def _parse(text: str, start: int, *, nested: bool) -> tuple[list[Node], int]:
    """Nodes from ``start`` up to the end, or (``nested``) up to the closing ``}}``."""
    nodes: list[Node] = []
    run: list[str] = []
    position = start
    while position < len(text):
        if nested and text.startswith("}}", position):
            break
        opening = _OPEN.match(text, position)
        if opening and int(opening.group(1)) > 0:
            inner, end = _parse(text, opening.end(), nested=True)
            if end < len(text) and text.startswith("}}", end):
                if run:
                    nodes.append("".join(run))
                    run = []
                nodes.append(_gap(int(opening.group(1)), inner))
                position = end + 2
                continue
        stops = [text.find("{{c", position + 1), text.find("}}", position + 1) if nested else -1]
        stop = min((at for at in stops if at >= 0), default=len(text))
        run.append(text[position:stop])  # plain text up to the next brace pair
        position = stop
    if run:
        nodes.append("".join(run))
    return nodes, position


def _gap(number: int, inner: list[Node]) -> Gap:
    """A gap; a ``::`` in its own text (not in a nested gap) starts the hint."""
    parts: list[Node] = []
    for index, node in enumerate(inner):
        if isinstance(node, str) and "::" in node:
            before, _, hint = node.partition("::")
            if before:
                parts.append(before)
            rest = [hint, *(_plain(n) for n in inner[index + 1 :])]
            return Gap(number, tuple(parts), "".join(rest).strip() or None)
        parts.append(node)
    return Gap(number, tuple(parts))


def _plain(node: Node) -> str:
    return node if isinstance(node, str) else "".join(_plain(part) for part in node.parts)


def has_cloze(text: str) -> bool:
    return any(isinstance(node, Gap) for node in parse(text))


def numbers(text: str) -> tuple[int, ...]:
    """The gap numbers in the text, ascending, once each."""
    found: set[int] = set()

    def walk(nodes: tuple[Node, ...]) -> None:
        for node in nodes:
            if isinstance(node, Gap):
                found.add(node.number)
                walk(node.parts)

    walk(parse(text))
    return tuple(sorted(found))


def _render(nodes: tuple[Node, ...], number: int, *, reveal: bool) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node.number == number:
            if reveal:
                out.append(f"[{_render(node.parts, number, reveal=True)}]")
            else:
                out.append(f"[{node.hint}]" if node.hint else HIDDEN)
        else:
            out.append(_render(node.parts, number, reveal=reveal))
    return "".join(out)


def question(text: str, number: int) -> str:
    """The text with gap ``number`` hidden and the other gaps shown."""
    return _render(parse(text), number, reveal=False)


def reveal(text: str, number: int) -> str:
    """The text with gap ``number`` filled in, bracketed."""
    return _render(parse(text), number, reveal=True)


def strip(text: str) -> str:
    """The text as read with every gap filled in, no markup."""
    return _render(parse(text), 0, reveal=True)


def answers(text: str, number: int) -> tuple[str, ...]:
    """What fills gap ``number``, in order (a number may have several gaps)."""
    found: list[str] = []

    def walk(nodes: tuple[Node, ...]) -> None:
        for node in nodes:
            if isinstance(node, Gap):
                if node.number == number:
                    found.append(_render(node.parts, 0, reveal=True))
                else:
                    walk(node.parts)

    walk(parse(text))
    return tuple(found)
