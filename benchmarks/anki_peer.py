"""Anki's backend doing the benchmark's work, run inside a separate virtualenv.

This file imports only the standard library at module level and ``anki``
(PyPI, the Rust backend Anki's desktop app uses) inside the jobs, so it runs
in the venv ``benchmarks.run`` creates on demand under ``benchmarks/data/``,
never in trainer's own. Every job prints one JSON line on stdout.

    python anki_peer.py build TRAINER_DB TSV COLLECTION   # same cards + history
    python anki_peer.py import TSV COLLECTION             # CSV import of the terms
    python anki_peer.py due COLLECTION                    # open + due counts
    python anki_peer.py stats COLLECTION                  # open + all-time graphs
    python anki_peer.py session COLLECTION ANSWERS        # queue, answers, next card
    python anki_peer.py memory COLLECTION ANSWERS         # peak RSS of a study loop

The history is trainer's own: ``build`` reads the generated trainer database
with ``sqlite3`` and writes the same cards' schedules and the same review log
into the collection, shifted by whole days so that trainer's "today" (the
benchmark's fixed ``NOW``) falls on Anki's today (Anki reads the real clock).
Grades map 0-2 -> Again, 3 -> Hard, 4 -> Good, 5 -> Easy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

#: trainer's benchmark "today" (benchmarks.generate.TODAY); passed to build.
EASE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}


def peak_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _collection(path: str):  # type: ignore[no-untyped-def]
    from anki.collection import Collection

    return Collection(path)


def _anki_headed_copy(tsv: Path, out: Path) -> Path:
    """The TSV with Anki's file headers in place of the column header line (not timed)."""
    lines = tsv.read_text(encoding="utf-8").split("\n", 1)
    head = "#separator:Tab\n#html:false\n#notetype:Basic\n#deck:Default\n"
    out.write_text(head + (lines[1] if len(lines) > 1 else ""), encoding="utf-8")
    return out


def import_tsv(tsv: str, collection: str) -> dict:
    """Anki's CSV importer on the terms (the header copy is made by the caller)."""
    from anki.import_export_pb2 import ImportCsvRequest

    started = time.perf_counter()
    col = _collection(collection)
    metadata = col.get_csv_metadata(tsv, None)
    log = col.import_csv(ImportCsvRequest(path=tsv, metadata=metadata))
    col.close()
    return {"new": len(log.log.new), "seconds": time.perf_counter() - started}


def build(trainer_db: str, tsv: str, collection: str, today_iso: str) -> dict:
    """A collection with trainer's cards, schedules and review log (once, cached)."""
    headed = _anki_headed_copy(Path(tsv), Path(collection).with_suffix(".import.txt"))
    imported = import_tsv(str(headed), collection)
    col = _collection(collection)
    anki_today = col.sched.today
    real_day = (
        dt.date.today()
        if col.get_config("rollover", 4) <= dt.datetime.now().hour
        else (dt.date.today() - dt.timedelta(days=1))
    )
    col.close()
    trainer_today = dt.date.fromisoformat(today_iso)
    shift = real_day - trainer_today

    source = sqlite3.connect(trainer_db)
    anki = sqlite3.connect(collection)
    ids = dict(anki.execute("SELECT n.sfld, c.id FROM cards c JOIN notes n ON n.id = c.nid"))
    by_trainer = {
        card: ids[term]
        for card, term in source.execute("SELECT id, term FROM cards WHERE deck = 'glossary'")
        if term in ids
    }
    now_s = int(time.time())
    updates = []
    for card, reps, easiness, interval, due, lapses in source.execute(
        "SELECT card_id, repetitions, easiness, interval, due, lapses FROM card_state"
        " WHERE direction = 'forward'"
    ):
        cid = by_trainer.get(card)
        if cid is None:
            continue
        due_day = anki_today + (dt.date.fromisoformat(due) - trainer_today).days
        updates.append((max(1, interval), int(easiness * 1000), reps, lapses, due_day, now_s, cid))
    anki.execute("BEGIN")
    anki.executemany(
        "UPDATE cards SET type = 2, queue = 2, ivl = ?, factor = ?, reps = ?, lapses = ?,"
        " due = ?, mod = ? WHERE id = ?",
        updates,
    )
    rows = []
    last_id = 0
    for card, answered_at, grade, mode, ms, prev_interval, interval, easiness in source.execute(
        "SELECT card_id, answered_at, grade, mode, response_ms, prev_interval, interval,"
        " easiness FROM reviews ORDER BY rowid"
    ):
        cid = by_trainer.get(card)
        if cid is None:
            continue
        instant = dt.datetime.fromisoformat(answered_at) + shift
        rid = max(int(instant.timestamp() * 1000), last_id + 1)
        last_id = rid
        kind = 3 if mode == "drill" else (0 if prev_interval is None else 1)
        rows.append(
            (rid, cid, -1, EASE.get(grade, 1), interval or 0, prev_interval or 0,
             int((easiness or 2.5) * 1000), ms or 0, kind)
        )  # fmt: skip
    anki.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    anki.execute("COMMIT")
    anki.close()
    source.close()
    col = _collection(collection)
    check = col.db.scalar("SELECT count(*) FROM revlog")
    col.close()
    headed.unlink()
    return {"cards": imported["new"], "states": len(updates), "reviews": check}


def due(collection: str) -> dict:
    """What ``trainer due --json`` answers: per-deck new/learn/review counts."""
    col = _collection(collection)
    tree = col.sched.deck_due_tree()
    out = [
        {"deck": child.name, "new": child.new_count, "due": child.review_count}
        for child in tree.children
    ]
    col.close()
    return {"decks": out}


def stats(collection: str) -> dict:
    """The all-time statistics screen's data (``graphs`` over every review)."""
    col = _collection(collection)
    graphs = col._backend.graphs(search="", days=0)
    col.close()
    return {"bytes": graphs.ByteSize()}


def session(collection: str, answers: int) -> dict:
    """Open, today's queue (built cold, median of 3 opens), then answers one by one.

    ``answer`` is ``answer_card`` alone (the scheduling states arrive with the
    queued card, as in Anki's reviewer); ``next`` is fetching the next card.
    """
    from anki.collection import Collection  # first: anki.scheduler imports it circularly
    from anki.scheduler.v3 import CardAnswer

    del Collection
    opens, queues = [], []
    for _ in range(3):
        started = time.perf_counter()
        col = _collection(collection)
        opens.append(time.perf_counter() - started)
        started = time.perf_counter()
        col.sched.get_queued_cards(fetch_limit=1)
        queues.append(time.perf_counter() - started)
        col.close()
    col = _collection(collection)
    ratings = (CardAnswer.GOOD, CardAnswer.GOOD, CardAnswer.EASY, CardAnswer.HARD, CardAnswer.AGAIN)
    answer_times, next_times = [], []
    queued = col.sched.get_queued_cards(fetch_limit=1)
    for i in range(answers):
        if not queued.cards:
            break
        top = queued.cards[0]
        states = top.states
        rating = ratings[i % len(ratings)]
        new_state = {
            CardAnswer.AGAIN: states.again,
            CardAnswer.HARD: states.hard,
            CardAnswer.GOOD: states.good,
            CardAnswer.EASY: states.easy,
        }[rating]
        answer = CardAnswer(
            card_id=top.card.id,
            current_state=states.current,
            new_state=new_state,
            rating=rating,
            answered_at_millis=int(time.time() * 1000),
            milliseconds_taken=4000,
        )
        started = time.perf_counter()
        col.sched.answer_card(answer)
        answer_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        queued = col.sched.get_queued_cards(fetch_limit=1)
        next_times.append(time.perf_counter() - started)
    col.close()
    return {
        "open": statistics.median(opens),
        "queue": statistics.median(queues),
        "answers": answer_times,
        "next": next_times,
    }


def memory(collection: str, answers: int) -> dict:
    """Peak RSS of opening, building the queue and answering ``answers`` cards."""
    done = session(collection, answers)
    return {"answers": len(done["answers"]), "peak_kb": peak_rss_kb()}


def main(argv: list[str]) -> int:
    job, *args = argv
    os.environ.setdefault("TZ", "UTC")
    if job == "build":
        result = build(*args)
    elif job == "import":
        result = import_tsv(*args)
    elif job == "due":
        result = due(*args)
    elif job == "stats":
        result = stats(*args)
    elif job == "session":
        result = session(args[0], int(args[1]))
    elif job == "memory":
        result = memory(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown job {job!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
