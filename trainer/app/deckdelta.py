"""Re-loading a large deck file in trainer's own form from the cards that changed.

An imported 100k-card glossary is 10 MB of YAML; reading and validating all
of it takes seconds, while an edit (from the TUI, or by hand in ``trainer
edit``) changes one card. For such files (exactly what ``dump_deck_fast``
writes: one key and one JSON value per line, each card a block starting
``"  - "``) trainer keeps a copy of the text it last loaded, named by its
SHA-256, beside the database. When the file changes, the old and new texts
are compared from both ends; only the card blocks between the common prefix
and suffix are read, validated and written to the database.

The fast path is taken only when it cannot differ from a full load: the deck
header is untouched, the changed blocks are still in trainer's form (each
line reads back to itself), they validate, and they hold the same cards
(identities and terms) as before, so no position, uniqueness or retirement
can change. Anything else (a rename, an added or removed card, a YAML
construct) falls back to loading the whole file, which is always correct.

The copy is an optimization only: a missing, stale or unreadable copy (its
content is checked against its name) just means a full load. After an edit
the copy is at first a hard link of the file written (``*.linked.yaml``, its
digest checked when read), and gets its own file from a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from trainer.core.deck import DeckError, deck_from_data
from trainer.core.model import Card, normalize_term

#: Decks smaller than this load in milliseconds; no copy is kept for them.
MIN_CACHED_BYTES = 256 * 1024
#: Where a card block starts (a card is ``"  - key: value"`` then ``"    key: value"`` lines).
BLOCK = b"\n  - "
HEADER_END = b"\ncards:\n"
_CHUNK = 1 << 16


def copy_path(folder: Path, slug: str, sha256: str) -> Path:
    return folder / f"{slug}.{sha256}.yaml"


def linked_path(folder: Path, slug: str, sha256: str) -> Path:
    """Where a copy that is a hard link of the deck file is kept until its own
    copy is written: checked against its digest when read, since an editor that
    writes the deck file in place changes it too."""
    return folder / f"{slug}.{sha256}.linked.yaml"


def kept_copy(folder: Path, slug: str, sha256: str) -> Path | None:
    """The copy of that text, as its own file or still a link; None if neither is kept."""
    for path in (copy_path(folder, slug, sha256), linked_path(folder, slug, sha256)):
        if path.is_file():
            return path
    return None


#: copies being written after an edit returned, by folder and slug
_pending: dict[tuple[Path, str], threading.Thread] = {}
_pending_lock = threading.Lock()


def settle(folder: Path, slug: str) -> None:
    """Wait for the copy of ``slug`` still being written after an edit, if any."""
    with _pending_lock:
        pending = _pending.get((folder, slug))
    if pending is None:
        return
    pending.join()
    with _pending_lock:
        if _pending.get((folder, slug)) is pending:
            del _pending[(folder, slug)]


def settle_all() -> None:
    """Wait for every copy still being written (before a fork, which copies only the
    calling thread: ``app.files.ForkedJob`` works in-process beside other threads)."""
    with _pending_lock:
        pending = list(_pending)
    for folder, slug in pending:
        settle(folder, slug)


def remember(
    folder: Path, slug: str, sha256: str, raw: bytes | Sequence[bytes | memoryview]
) -> None:
    """Keep ``raw`` (or its pieces) as the last loaded text of deck ``slug``;
    decks too small to need it keep no copy, and older copies go."""
    settle(folder, slug)
    pieces = [raw] if isinstance(raw, bytes) else list(raw)
    try:
        target = None
        if sum(map(len, pieces)) >= MIN_CACHED_BYTES:
            folder.mkdir(parents=True, exist_ok=True)
            target = copy_path(folder, slug, sha256)
            if not target.exists():
                _write_copy(folder, slug, pieces, target)
        _drop_older_copies(folder, slug, target)
    except OSError:
        pass  # a copy that cannot be kept only costs the next edit a full load


def remember_file(folder: Path, slug: str, sha256: str, raw: bytes, path: Path) -> None:
    """``remember`` for ``raw`` just read from the deck file ``path``: the copy is a
    hard link of that file at first (its own file is written from ``raw`` by a
    thread), so a sync that loads a 20 MB deck does not wait for a second write
    of it. The link is checked against the digest when read, so a file changed
    since it was read costs a full load, never a wrong one."""
    if len(raw) < MIN_CACHED_BYTES:
        remember(folder, slug, sha256, raw)
        return
    settle(folder, slug)
    link = folder / f".{slug}.{secrets.token_hex(6)}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.link(path, link)
    except (OSError, NotImplementedError):
        remember(folder, slug, sha256, raw)
        return
    _keep_link(folder, slug, sha256, link, [raw])


def _write_copy(
    folder: Path, slug: str, pieces: Sequence[bytes | memoryview], target: Path
) -> None:
    temporary = folder / f".{slug}.{secrets.token_hex(6)}.tmp"
    try:
        with temporary.open("wb") as out:
            for piece in pieces:
                out.write(piece)
        temporary.replace(target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def write_remembered(
    folder: Path,
    slug: str,
    pieces: Sequence[bytes | memoryview],
    write: Callable[[Path | None], bool],
) -> str:
    """Run ``write`` (the deck file's atomic write of ``pieces``, which also links
    the written file to the path it is given and says whether it could) while
    their SHA-256 is made in a thread; keep the copy; the digest.

    The copy is first a hard link of the written file, not a second write: after
    a 100k-card import, writing 22 MB twice made the first edit take 300-700 ms
    (the write itself, not its sync, is what grew). The copy's own file, which
    an editor writing the deck in place cannot change, is written in a thread
    after the edit returns (``settle`` waits for it); until then the link serves,
    checked against its digest. Without hard links the copy is written at once.
    """
    settle(folder, slug)
    digest = hashlib.sha256()
    link: Path | None = None
    if sum(map(len, pieces)) >= MIN_CACHED_BYTES:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            link = folder / f".{slug}.{secrets.token_hex(6)}.tmp"
        except OSError:
            link = None  # no copy: the next edit loads the whole file

    def hash_pieces() -> None:
        for piece in pieces:
            digest.update(piece)

    hasher = threading.Thread(target=hash_pieces)
    hasher.start()
    try:
        linked = write(link)
    finally:
        hasher.join()
    sha = digest.hexdigest()
    if linked and link is not None:
        _keep_link(folder, slug, sha, link, pieces)
    else:
        remember(folder, slug, sha, pieces)  # its own file now; none when small
    return sha


def _keep_link(
    folder: Path, slug: str, sha256: str, link: Path, pieces: Sequence[bytes | memoryview]
) -> None:
    """Name the linked copy by its digest and start writing its own file; older
    copies go in that thread too (freeing a 20 MB file took 5-15 ms)."""
    target = linked_path(folder, slug, sha256)
    try:
        link.replace(target)
    except OSError:
        with contextlib.suppress(OSError):
            link.unlink(missing_ok=True)
        return
    writer = threading.Thread(
        target=_unlink_copy, args=(folder, slug, sha256, pieces), name=f"copy of {slug}"
    )
    with _pending_lock:
        _pending[(folder, slug)] = writer
    writer.start()


def _unlink_copy(
    folder: Path, slug: str, sha256: str, pieces: Sequence[bytes | memoryview]
) -> None:
    """Replace the linked copy by a file of its own, and drop older copies (run in
    a thread)."""
    kept = linked_path(folder, slug, sha256)
    with contextlib.suppress(OSError):  # the link stays: checked when read
        _write_copy(folder, slug, pieces, copy_path(folder, slug, sha256))
        kept = copy_path(folder, slug, sha256)
    with contextlib.suppress(OSError):
        _drop_older_copies(folder, slug, kept)


def _drop_older_copies(folder: Path, slug: str, kept: Path | None) -> None:
    """Every copy of ``slug`` but ``kept``: only the text last loaded is of use."""
    for old in folder.glob(f"{slug}.*.yaml"):
        if old != kept:
            old.unlink(missing_ok=True)


def recall(folder: Path, slug: str, sha256: str, size: int) -> bytes | None:
    """The bytes last loaded for ``slug``, if a copy named by that digest is there
    and has the recorded size (the trust ``sync_decks`` gives a file's size and
    time); a copy that is still a link of the deck file must also match its digest."""
    settle(folder, slug)
    try:
        raw = copy_path(folder, slug, sha256).read_bytes()
        return raw if len(raw) == size else None
    except OSError:
        pass
    try:
        raw = linked_path(folder, slug, sha256).read_bytes()
    except OSError:
        return None
    if len(raw) != size or hashlib.sha256(raw).hexdigest() != sha256:
        return None
    return raw


def common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix (chunks compared in C, then halved)."""
    limit = min(len(a), len(b))
    start = 0
    while start < limit:
        step = min(_CHUNK, limit - start)
        if a[start : start + step] != b[start : start + step]:
            break
        start += step
    low, high = start, min(start + _CHUNK, limit)
    while low < high:  # invariant: a[:low] == b[:low]; they differ before high (or high == limit)
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    end_a, end_b = len(a), len(b)
    length = 0
    while length < limit:
        step = min(_CHUNK, limit - length)
        if a[end_a - length - step : end_a - length] != b[end_b - length - step : end_b - length]:
            break
        length += step
    else:
        return length
    low, high = length, length + step - 1
    while low < high:  # invariant: the last ``low`` characters match; more than ``high`` do not
        middle = (low + high + 1) // 2
        if a[end_a - middle : end_a - length] == b[end_b - middle : end_b - length]:
            low = middle
        else:
            high = middle - 1
    return low


@dataclass(frozen=True)
class Span:
    """Whole card blocks that differ: ``old[start:old_end]`` became ``new[start:new_end]``."""

    start: int
    old_end: int
    new_end: int


def changed_span(old: bytes, new: bytes) -> Span | None:
    """The card blocks between the texts' common prefix and suffix; None when the
    header (before ``cards:``) differs or the texts are equal."""
    header = old.find(HEADER_END)
    if header < 0 or old == new:
        return None
    first_block = header + len(HEADER_END)
    prefix = common_prefix(old, new)
    if prefix < first_block:
        return None
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    # block boundaries whose marker lies wholly inside the common prefix / suffix
    before = old.rfind(BLOCK, first_block - 1, prefix)
    start = before + 1 if before >= 0 else first_block
    changed_end = max(len(old) - suffix, prefix)
    after = old.find(BLOCK, changed_end)
    old_end = after + 1 if after >= 0 else len(old)
    return Span(start, old_end, old_end - len(old) + len(new))


def changed_cards(old: bytes, new: bytes, slug: str, source: str) -> list[Card] | None:
    """The cards whose blocks changed from ``old`` to ``new`` (both in trainer's
    form), when nothing else can have changed; None when a full load is needed.

    Only the changed blocks are decoded: the rest is the same bytes as before,
    which were valid UTF-8 then."""
    from trainer.app.deckfile import read_canonical

    span = changed_span(old, new)
    if span is None:
        return None
    try:
        was_text = old[span.start : span.old_end].decode("utf-8")
        now_text = new[span.start : span.new_end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    before = read_canonical("cards:\n" + was_text)
    after = read_canonical("cards:\n" + now_text)
    if before is None or after is None:
        return None
    try:
        was = deck_from_data(before, slug, source)
        now = deck_from_data(after, slug, source)
    except DeckError:
        return None
    if was.drafts or now.drafts or len(was.cards) != len(now.cards):
        return None
    for old_card, new_card in zip(was.cards, now.cards, strict=True):
        if old_card.identity != new_card.identity:
            return None
        if normalize_term(old_card.term) != normalize_term(new_card.term):
            return None
    return list(now.cards)


def card_block(raw: bytes, term: str) -> tuple[int, int] | None:
    """Where the block of the card whose ``term:`` line holds ``term`` starts and ends,
    in a deck file in trainer's form; None unless exactly one such line exists."""
    from trainer.app.deckfile import quote_value

    header = raw.find(HEADER_END)
    if header < 0:
        return None
    # one scan for the line's end (a scan of 20 MB per way the line can start took
    # 10 ms each), then each hit's start is checked: ``\n  - term:`` or ``\n    term:``
    value = b"term: " + quote_value(term).encode("utf-8") + b"\n"
    hits: list[int] = []
    at = raw.find(value, header)
    while at >= 0 and len(hits) < 2:
        if at - 5 >= header and raw[at - 5 : at] in (b"\n  - ", b"\n    "):
            hits.append(at - 5)
        at = raw.find(value, at + 1)
    if len(hits) != 1:
        return None
    line = hits[0]
    start = raw.rfind(BLOCK, header, line + len(BLOCK)) + 1
    after = raw.find(BLOCK, line + 1)
    return start, after + 1 if after >= 0 else len(raw)
