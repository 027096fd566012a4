"""The floor: the same work done with nothing but the standard library's sqlite3.

Each function here does what one trainer figure measures, written the
shortest obvious way against the same database file and schema, so the ratio
trainer/floor says how much the application's layers cost on top of SQLite.
This module imports only the standard library (Textual only inside
``first_card``, whose floor is a minimal Textual app), so it doubles as the
child process for whole-process floors: ``python -m benchmarks.floor JOB ...``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import uuid
from pathlib import Path

NEW_PER_DAY = 20
REVIEWS_PER_DAY = 200

DUE_SQL = """SELECT s.card_id, s.direction, c.deck FROM card_state s
JOIN cards c ON c.id = s.card_id
WHERE s.due <= ? AND c.retired = 0 AND c.suspended = 0
ORDER BY s.due, s.card_id, s.direction LIMIT ?"""
DUE_PER_DECK_SQL = """SELECT c.deck, count(*) FROM card_state s
JOIN cards c ON c.id = s.card_id
WHERE s.due <= ? AND c.retired = 0 AND c.suspended = 0 GROUP BY c.deck"""
NEW_SQL = """SELECT c.id, c.deck FROM cards c
WHERE c.retired = 0 AND c.suspended = 0
AND NOT EXISTS (SELECT 1 FROM card_state s WHERE s.card_id = c.id)
ORDER BY c.deck, c.position LIMIT ?"""
TODAY_SQL = """SELECT coalesce(sum(mode = 'study' AND prev_due IS NULL), 0),
       coalesce(sum(mode = 'study' AND prev_due IS NOT NULL), 0)
FROM reviews r WHERE day = ?
AND NOT EXISTS (SELECT 1 FROM review_undos u WHERE u.review_id = r.id)"""
DRILLS_SQL = """SELECT card_id, direction FROM reviews WHERE rowid IN
(SELECT max(rowid) FROM reviews r WHERE day = ?
 AND NOT EXISTS (SELECT 1 FROM review_undos u WHERE u.review_id = r.id)
 GROUP BY card_id, direction) AND grade < 4"""
STATE_SQL = """SELECT repetitions, easiness, interval, due, lapses FROM card_state
WHERE card_id = ? AND direction = ?"""
INSERT_REVIEW_SQL = """INSERT INTO reviews (id, card_id, direction, answered_at, day, grade,
mode, response_ms, prev_repetitions, prev_easiness, prev_interval, prev_due, prev_lapses,
repetitions, easiness, interval, due, lapses)
VALUES (?, ?, ?, ?, ?, ?, 'study', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
UPSERT_STATE_SQL = """INSERT INTO card_state (card_id, direction, repetitions, easiness,
interval, due, lapses, last_review) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (card_id, direction) DO UPDATE SET repetitions = excluded.repetitions,
easiness = excluded.easiness, interval = excluded.interval, due = excluded.due,
lapses = excluded.lapses, last_review = excluded.last_review"""
DAILY_SQL = """SELECT day, count(*), coalesce(sum(response_ms), 0),
       sum(mode != 'drill' AND prev_due IS NULL),
       sum(mode != 'drill' AND prev_repetitions > 0 AND prev_interval < 21),
       sum(mode != 'drill' AND prev_repetitions > 0 AND prev_interval < 21 AND grade >= 3),
       sum(mode != 'drill' AND prev_repetitions > 0 AND prev_interval >= 21),
       sum(mode != 'drill' AND prev_repetitions > 0 AND prev_interval >= 21 AND grade >= 3)
FROM reviews r WHERE day BETWEEN ? AND ?
AND NOT EXISTS (SELECT 1 FROM review_undos u WHERE u.review_id = r.id)
GROUP BY day ORDER BY day"""
#: Study days come from the day index alone; days with undone answers are re-checked.
STUDY_DAYS_SQL = "SELECT DISTINCT day FROM reviews ORDER BY day"
UNDONE_DAYS_SQL = """SELECT r.day, count(*) FROM review_undos u CROSS JOIN reviews r
ON r.id = u.review_id GROUP BY r.day"""
CATEGORY_SQL = """SELECT CASE WHEN c.retired THEN 'retired' WHEN s.due IS NULL THEN 'new'
  WHEN s.repetitions < 2 THEN 'learning' WHEN s.interval < 21 THEN 'young' ELSE 'mature' END,
  count(*)
FROM cards c LEFT JOIN card_state s ON s.card_id = c.id GROUP BY 1"""
FORECAST_SQL = """SELECT max(s.due, ?1) AS day, count(*) FROM card_state s
JOIN cards c ON c.id = s.card_id
WHERE c.retired = 0 AND c.suspended = 0 AND s.due <= date(?1, '+29 days')
GROUP BY 1 ORDER BY 1"""
HARDEST_SQL = """SELECT s.card_id, s.direction, s.lapses, s.easiness, c.term
FROM (SELECT * FROM card_state ORDER BY lapses DESC, easiness, card_id, direction LIMIT 100) s
JOIN cards c ON c.id = s.card_id WHERE c.retired = 0
ORDER BY s.lapses DESC, s.easiness, s.card_id, s.direction LIMIT 10"""


def connect(path: str | Path) -> sqlite3.Connection:
    """The same connection settings trainer uses (WAL is a property of the file)."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def defer_checkpoints(conn: sqlite3.Connection) -> None:
    """As trainer's interactive session does: the WAL checkpoint waits for idle time."""
    from trainer.app.trainer import DEFERRED_CHECKPOINT_PAGES

    conn.execute(f"PRAGMA wal_autocheckpoint = {DEFERRED_CHECKPOINT_PAGES}")


# ------------------------------------------------------------------ queue & due


def queue(conn: sqlite3.Connection, today: str) -> list[tuple[str, str, str]]:
    """Today's queue: due reviews, new cards, pending drills (kind, card, direction)."""
    new_done, reviews_done = conn.execute(TODAY_SQL, [today]).fetchone()
    review_room = max(0, REVIEWS_PER_DAY - reviews_done)
    new_room = max(0, NEW_PER_DAY - new_done)
    out = [("review", c, d) for c, d, _ in conn.execute(DUE_SQL, [today, review_room])]
    out += [("new", c, "forward") for c, _ in conn.execute(NEW_SQL, [new_room])]
    scheduled = {(c, d) for _, c, d in out}
    out += [
        ("drill", c, d) for c, d in conn.execute(DRILLS_SQL, [today]) if (c, d) not in scheduled
    ]
    return out


def due_json(db: str, today: str) -> str:
    """What ``trainer due --json`` prints, from plain SQL."""
    conn = connect(db)
    per_deck = dict(conn.execute(DUE_PER_DECK_SQL, [today]).fetchall())
    entries = queue(conn, today)
    names = conn.execute("SELECT slug, name FROM decks WHERE retired = 0 ORDER BY name").fetchall()
    new_by_deck: dict[str, int] = {}
    for _, deck in conn.execute(NEW_SQL, [NEW_PER_DAY]):
        new_by_deck[deck] = new_by_deck.get(deck, 0) + 1
    rows = [
        {
            "deck": slug,
            "name": name,
            "due": min(per_deck.get(slug, 0), REVIEWS_PER_DAY),
            "new": new_by_deck.get(slug, 0),
        }
        for slug, name in names
    ]
    conn.close()
    return json.dumps(
        {
            "day": today,
            "decks": rows,
            "due": sum(1 for kind, _, _ in entries if kind == "review"),
            "new": sum(1 for kind, _, _ in entries if kind == "new"),
        },
        indent=2,
    )


# -------------------------------------------------------------------- answers


def _sm2(state: tuple | None, grade: int, today: str) -> tuple:
    import datetime as dt

    repetitions, easiness, interval, _due, lapses = state or (0, 2.5, 0, None, 0)
    if grade < 3:
        lapses += 1 if repetitions >= 1 else 0
        repetitions, interval = 0, 1
    else:
        interval = (
            1 if repetitions == 0 else 6 if repetitions == 1 else -(-interval * easiness // 1)
        )
        interval = min(int(interval), 36_500)
        miss = 5 - grade
        easiness = max(1.3, easiness + (0.1 - miss * (0.08 + miss * 0.02)))
        repetitions += 1
    due = (dt.date.fromisoformat(today) + dt.timedelta(days=interval)).isoformat()
    return (repetitions, easiness, interval, due, lapses)


def answer(
    conn: sqlite3.Connection, card_id: str, direction: str, grade: int, at: str, today: str
) -> None:
    """One answer: read the state, append the review, upsert the state; one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    before = conn.execute(STATE_SQL, [card_id, direction]).fetchone()
    after = _sm2(before, grade, today)
    conn.execute(
        INSERT_REVIEW_SQL,
        [uuid.uuid4().hex, card_id, direction, at, today, grade, 5000,
         *(before or (0, 2.5, 0, None, 0)), *after],
    )  # fmt: skip
    conn.execute(UPSERT_STATE_SQL, [card_id, direction, *after, at])
    conn.execute("COMMIT")


# --------------------------------------------------------------------- stats


def stats_json(db: str, today: str, days: int = 30) -> str:
    """What ``trainer stats --json`` reports, from SQL aggregates.

    A 30-day window of per-day aggregates, every study day (for streaks), card
    categories, a 30-day forecast and the hardest cards.
    """
    import datetime as dt

    conn = connect(db)
    since = (dt.date.fromisoformat(today) - dt.timedelta(days=days - 1)).isoformat()
    window = conn.execute(DAILY_SQL, [since, today]).fetchall()
    study_days = [row[0] for row in conn.execute(STUDY_DAYS_SQL)]
    for day, undone in conn.execute(UNDONE_DAYS_SQL).fetchall():
        if (
            conn.execute("SELECT count(*) FROM reviews WHERE day = ?", [day]).fetchone()[0]
            == undone
        ):
            study_days.remove(day)
    categories = dict(conn.execute(CATEGORY_SQL).fetchall())
    forecast = conn.execute(FORECAST_SQL, [today]).fetchall()
    hardest = conn.execute(HARDEST_SQL).fetchall()
    conn.close()
    return json.dumps(
        {
            "days": [
                {"day": d, "reviews": n, "seconds": ms / 1000, "new": new,
                 "young": [yt, yp], "mature": [mt, mp]}
                for d, n, ms, new, yt, yp, mt, mp in window
            ],
            "study_days": len(study_days),
            "categories": categories,
            "forecast": forecast,
            "hardest": hardest,
        },
        indent=2,
    )  # fmt: skip


# -------------------------------------------------------------------- imports


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def import_tsv(tsv: str | Path, yaml_out: str | Path, db: str | Path, slug: str) -> int:
    """Read a TSV glossary, write a YAML deck, insert the cards: one pass, one transaction."""
    lines = Path(tsv).read_text(encoding="utf-8").splitlines()[1:]
    out = [f"name: {_yaml_string(slug)}\ncards:\n"]
    rows = []
    for position, line in enumerate(lines):
        term, definition = line.split("\t", 1)
        out.append(f"- term: {_yaml_string(term)}\n  definition: {_yaml_string(definition)}\n")
        key = " ".join(term.casefold().split())
        rows.append((f"{slug}/{key}", slug, term, definition, position))
    Path(yaml_out).write_text("".join(out), encoding="utf-8")
    insert_cards(db, rows)
    return len(rows)


def rebuild_search(db: str | Path) -> None:
    """FTS5's own rebuild of the search index, one transaction."""
    conn = connect(db)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO cards_fts (cards_fts) VALUES ('rebuild')")
    conn.execute("COMMIT")
    conn.close()


def edit_definition(
    yaml_path: str | Path, db: str | Path, card_id: str, old: str, new: str
) -> None:
    """Change one definition in a deck file as text, and its row: the least an edit does."""
    path = Path(yaml_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(_yaml_string(old), _yaml_string(new), 1), encoding="utf-8")
    conn = connect(db)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE cards SET definition = ? WHERE id = ?", [new, card_id])
    conn.execute("COMMIT")
    conn.close()


#: the page cache of a bulk write, in KiB: trainer's ``BULK_CACHE_KIB``
#: (``trainer.storage.database``; not imported, this module is the floor's child process)
BULK_CACHE_KIB = 64 * 1024
#: the triggers that keep the search index up to date row by row
SEARCH_TRIGGERS = ("cards_ai", "cards_ad", "cards_au")


def insert_cards(db: str | Path, rows: list[tuple[str, str, str, str, int]]) -> None:
    """executemany of N card rows into a trainer-schema database, one transaction,
    with the SQLite settings trainer loads a large new deck with: a 64 MB page
    cache, a rollback journal (``synchronous = FULL``) instead of the log, the
    cards' secondary indexes built once after the rows, and the search index
    left to its own figure (its triggers dropped and put back, as trainer's load
    leaves it out of date; ``rebuild_search`` is the floor of its rebuild)."""
    conn = connect(db)
    conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT OR REPLACE INTO decks (slug, name, directions, retired) "
        "VALUES (?, ?, '[\"forward\"]', 0)",
        [rows[0][1], rows[0][1]],
    )
    partial = {row[1] for row in conn.execute("PRAGMA index_list(cards)") if row[4]}
    schema = [
        (kind, name, sql)
        for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'cards' "
            "AND sql IS NOT NULL AND type IN ('index', 'trigger')"
        )
        if name not in partial and (kind == "index" or name in SEARCH_TRIGGERS)
    ]
    for kind, name, _ in schema:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    conn.executemany(
        "INSERT INTO cards (id, deck, term, definition, aliases, tags, position, retired, "
        "suspended, added_at) VALUES (?, ?, ?, ?, '[]', '[]', ?, 0, 0, '2026-06-01')",
        rows,
    )
    for _, _, sql in schema:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()


# ----------------------------------------------------------------- first card


def quiz_cards(
    conn: sqlite3.Connection, source: str, today: str = "", questions: int = 10
) -> list[tuple]:
    """The cards a 10-question, 4-choice quiz shows: its questions and 3 distractors each."""
    if source == "weakest":
        asked = conn.execute(
            "SELECT card_id FROM card_state GROUP BY card_id "
            "ORDER BY sum(lapses) DESC, min(easiness) LIMIT ?",
            [questions],
        ).fetchall()
    elif source == "due-soon":
        asked = conn.execute(
            "SELECT card_id FROM card_state WHERE due <= date(?, '+7 days') GROUP BY card_id "
            "ORDER BY min(due) LIMIT ?",
            [today, questions],
        ).fetchall()
    else:
        asked = conn.execute(
            "SELECT id FROM cards WHERE retired = 0 ORDER BY random() LIMIT ?", [questions]
        ).fetchall()
    marks = ",".join("?" * len(asked))
    shown = conn.execute(
        f"SELECT id, term, definition FROM cards WHERE id IN ({marks})", [a[0] for a in asked]
    ).fetchall()
    others = conn.execute(
        "SELECT id, term, definition FROM cards WHERE retired = 0 ORDER BY random() LIMIT ?",
        [3 * questions],
    ).fetchall()
    return shown + others


def first_due_text(conn: sqlite3.Connection, today: str) -> str:
    entries = queue(conn, today)
    _kind, card_id, direction = entries[0]
    column = "definition" if direction == "reverse" else "term"
    return conn.execute(f"SELECT {column} FROM cards WHERE id = ?", [card_id]).fetchone()[0]


def first_card_app(db: str, today: str):  # -> textual App
    """A minimal Textual app that shows the first card's front in a Static."""
    from textual.app import App
    from textual.widgets import Static

    class Floor(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Static(id="front", markup=False)

        def on_mount(self) -> None:
            conn = connect(db)
            self.query_one("#front", Static).update(first_due_text(conn, today))
            conn.close()

    return Floor()


async def wait_for_front(app, ready) -> None:  # type: ignore[no-untyped-def]
    """Run ``app`` headless until #front shows text, then call ``ready()``."""
    from textual.css.query import NoMatches
    from textual.widgets import Static

    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100_000):
            try:
                text = str(app.screen.query_one("#front", Static).render())
            except NoMatches:
                text = ""
            if text:
                ready()
                return
            await pilot.pause()
        raise RuntimeError("the first card never appeared")


# ------------------------------------------------------------ child processes


def peak_rss_kb() -> int:
    """This process's peak resident set size (VmHWM), in kB.

    Not ``ru_maxrss``: Linux carries a child's high-water mark across
    ``exec``, so a child forked from a big parent would report the parent's
    size. VmHWM belongs to the address space the program itself built.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _memory_session(db: str, today: str, answers: int) -> None:
    conn = connect(db)
    for i in range(answers):
        entries = queue(conn, today)
        if not entries:
            break
        _, card_id, direction = entries[0]
        answer(conn, card_id, direction, (5, 4, 4, 3)[i % 4], f"{today}T09:00:00+00:00", today)
        conn.execute(STATE_SQL, [card_id, direction]).fetchone()
    conn.close()


def main(argv: list[str]) -> int:
    job, db, today = argv[0], argv[1], argv[2]
    if job == "due":
        print(due_json(db, today))
    elif job == "stats":
        print(stats_json(db, today))
    elif job == "memory":
        _memory_session(db, today, int(argv[3]))
        print(json.dumps({"peak_kb": peak_rss_kb()}))
    elif job == "first-card":
        import asyncio

        asyncio.run(wait_for_front(first_card_app(db, today), lambda: print("READY", flush=True)))
    elif job == "import":
        started = time.perf_counter()
        import_tsv(argv[3], argv[4], db, "glossary")
        print(json.dumps({"seconds": time.perf_counter() - started}))
    else:
        raise SystemExit(f"unknown job {job!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
