"""Pausing Python's cyclic garbage collector while a large structure is built.

The collector runs after every few hundred new container objects and, now and
then, walks every object the program still holds. Parsing a deck file builds
several such objects per card (YAML nodes, mappings, cards, rows) and keeps all
of them to the end, so each walk finds nothing to free and the walks grow with
the deck: a 100k-card hand-written deck spent 5.6 s of its 12.7 s load in the
collector, against 0.24 s of 0.76 s at 10k cards. Reference counting still frees
everything as usual meanwhile; only reference cycles wait for the collector,
which is back on (and finds them) when the build ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for the length of the block, then put it back as it was.

    It is process-wide: another thread's cycles wait too, for as long as the
    block lasts (a few seconds for the largest deck). Nested or concurrent
    pauses end with the collector on unless it was off before the first.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def freeze_long_lived() -> None:
    """Move every object alive now out of the collector's sight (``gc.freeze``).

    An interactive session keeps what it loaded at start (modules, decks, the
    screens it has made) to its end, and every full collection walked all of it
    again: 100 to 160 ms, landing on whatever keypress came then (seen on the
    Progress screen's first paint). Frozen objects are never walked, so a full
    collection costs what was made since. Called once the first screen is
    ready (what exists then lives as long as the app); a cycle that is garbage
    then, or becomes garbage later, waits for ``thaw_long_lived`` when the app
    ends, so this is done once, not after every study session.
    """
    gc.freeze()


def thaw_long_lived() -> None:
    """Give the frozen objects back to the collector (an app that ends): its next
    full collection frees the cycles among them that are garbage by then."""
    gc.unfreeze()
