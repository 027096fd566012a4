"""The benchmark runner behind ``python -m benchmarks``.

For every size N (cards) and history R (reviews) it measures one trainer
figure and the same work done with plain ``sqlite3`` (``benchmarks.floor``),
prints them side by side with their ratio and the issue's target, then the
growth of each figure from the smallest to the largest N.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from benchmarks import floor, generate, interactive, peer
from benchmarks.generate import DATA_DIR, DECK_NAME, NOW, TODAY, format_count, parse_count
from trainer.interop.glossary import import_glossary

REPO = Path(__file__).resolve().parent.parent
WORK_DIR = DATA_DIR / "work"
TIMES = "\u00d7"  # multiplication sign
FIGURES = (
    "import", "due", "stats", "open", "queue", "quiz", "first_card", "answer", "session",
    "browse", "progress", "summary", "keypress", "memory", "anki",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    limit: float
    unit: str  # "s" or "MB"


FLOOR_COLUMNS = tuple(interactive.FLOOR_SORTS)

#: The issue's targets, at 100k cards / 1M reviews (import: 100k terms).
TARGETS = {
    "import_tsv": Target(2.5, "s"),
    "import_tsv_process": Target(2.5, "s"),
    "due_cold": Target(0.25, "s"),
    "first_card": Target(1.0, "s"),
    "first_card_process": Target(1.0, "s"),
    "queue": Target(0.010, "s"),
    "answer_mean": Target(0.001, "s"),
    "answer_p95": Target(0.002, "s"),
    "stats": Target(0.300, "s"),
    "stats_fresh": Target(0.300, "s"),
    "memory": Target(150, "MB"),
    # issue 19: everything interactive under 100 ms
    "quiz_deck": Target(0.100, "s"),
    "quiz_weakest": Target(0.100, "s"),
    "quiz_due-soon": Target(0.100, "s"),
    "edit_card": Target(0.100, "s"),
    "edit_resync": Target(0.100, "s"),
    **{f"browse_{column}": Target(0.100, "s") for column in FLOOR_COLUMNS},
    "browse_filter_word": Target(0.100, "s"),
    "browse_filter_letter": Target(0.100, "s"),
    **{f"browse_filter_{name}": Target(0.100, "s") for name, *_ in interactive.FILTERS},
    **{
        f"browse_filter_{text}_{flag}": Target(0.100, "s")
        for text in ("letter", "common")
        for flag, _ in interactive.TEXT_FLAGS
    },
    "progress": Target(0.100, "s"),
    "summary": Target(0.100, "s"),
    "keypress": Target(0.033, "s"),
    "progress_paint_first": Target(0.100, "s"),
    "progress_paint": Target(0.100, "s"),
    "session_next": Target(0.005, "s"),
}
TARGET_CARDS, TARGET_REVIEWS = 100_000, 1_000_000


@dataclass
class Figure:
    key: str
    label: str
    cards: int
    reviews: int | None
    trainer: float | None
    floor: float | None
    unit: str = "s"
    runs: str = ""
    error: str | None = None
    peer: float | None = None  # Anki's backend doing the same work, when measured

    @property
    def ratio(self) -> float | None:
        if self.trainer is None or not self.floor:
            return None
        return self.trainer / self.floor

    @property
    def peer_ratio(self) -> float | None:
        if self.trainer is None or not self.peer:
            return None
        return self.trainer / self.peer


@dataclass(frozen=True)
class Plan:
    seed: int
    due_runs: int = 5
    stats_runs: int = 3
    queue_runs: int = 20
    first_card_runs: int = 3
    answers: int = 1000
    session_answers: int = 20
    memory_answers: int = 100
    import_runs: int = 3
    peer: bool = False  # --peer anki: Anki's backend on the same data
    browse_runs: int = 3
    keypresses: int = 20


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# ------------------------------------------------------------------ processes


def trainer_command() -> list[str]:
    script = Path(sys.executable).with_name("trainer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "trainer"]


def environment(work: Path, db: Path) -> dict[str, str]:
    env = dict(os.environ)
    # A user's Python caches compiled modules; a sandbox that forbids it would
    # charge every whole-process figure for compiling trainer again (~30 ms).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        TRAINER_HOME=str(work / "home"),
        TRAINER_DB=str(db),
        TRAINER_NOW=NOW.isoformat(),
        TRAINER_CONFIG=str(work / "settings.toml"),
        TZ="UTC",
    )
    return env


def write_settings(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / "settings.toml").write_text('timezone = "UTC"\n', encoding="utf-8")


class ProcessFailed(RuntimeError):
    pass


def run_process(command: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall time of a whole process, and its stdout; raises ProcessFailed on failure."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        raise ProcessFailed(f"exit {done.returncode} after {elapsed:.2f}s: {lines[-1][:160]}")
    return elapsed, done.stdout


def time_to_ready(command: Sequence[str], env: dict[str, str]) -> float:
    """Wall time from spawning a process until it prints READY."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    _out, err = process.communicate(timeout=600)
    if line.strip() != "READY":
        raise ProcessFailed(f"no READY (exit {process.returncode}): {err.strip()[-300:]}")
    return elapsed


def peak_memory(command: Sequence[str], env: dict[str, str]) -> tuple[float, dict]:
    """Peak RSS (VmHWM, MB) a child process reports for itself, and its JSON report."""
    _, out = run_process(command, env)
    result = json.loads(out.strip().splitlines()[-1])
    return result["peak_kb"] / 1024, result


def guarded(key: str, label: str, cards: int, reviews: int | None, unit: str = "s"):  # type: ignore[no-untyped-def]
    """Decorator-free helper: build a Figure from a measuring function, keeping errors."""

    def measure(work: Callable[[], tuple[float | None, float | None, str]]) -> Figure:
        try:
            mine, base, runs = work()
            return Figure(key, label, cards, reviews, mine, base, unit, runs)
        except Exception as error:  # report and keep going: one broken figure is a result too
            log(f"    {label}: FAILED: {error}")
            return Figure(key, label, cards, reviews, None, None, unit, error=str(error))

    return measure


# --------------------------------------------------------------- in-process


def open_trainer(db: Path, deck_dirs: Sequence[Path] | None = None):  # type: ignore[no-untyped-def]
    from trainer.app.settings import Settings
    from trainer.app.trainer import Trainer
    from trainer.core.clock import FixedClock

    return Trainer.open(
        db,
        clock=FixedClock(NOW),
        settings=Settings(timezone="UTC"),
        tz=dt.UTC,
        deck_dirs=deck_dirs,
    )


def first_card_in_process(make_app: Callable[[], object]) -> float:
    """From app construction to #front showing text, under Pilot (headless)."""
    marks: list[float] = []

    async def go() -> None:
        started = time.perf_counter()
        app = make_app()
        await floor.wait_for_front(app, lambda: marks.append(time.perf_counter() - started))

    asyncio.run(go())
    return marks[0]


# ------------------------------------------------------------------- imports


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    (path / "decks").mkdir(parents=True)
    return path


def _quoted(text: str) -> str:
    from trainer.app.deckfile import quote_value

    return quote_value(text)


def bench_import(n: int, plan: Plan) -> list[Figure]:
    from trainer.app.deckfile import parse_deck_text
    from trainer.storage import open_database

    tsv, yaml_path = generate.glossary_files(n, plan.seed)
    base = WORK_DIR / f"import-n{n}"
    runs = plan.import_runs if n <= 20_000 else 1
    figures: list[Figure] = []
    log(f"  import of {format_count(n)} terms ({runs} run(s) each)")

    def import_tsv() -> tuple[float, float, str]:
        mine, floors = [], []
        for _ in range(runs):
            work = fresh_dir(base / "trainer")
            trainer = open_trainer(work / "trainer.db", deck_dirs=[work / "decks"])
            mine.append(
                timed(
                    lambda trainer=trainer: import_glossary(
                        trainer,
                        tsv,
                        deck_name=DECK_NAME,
                        out=None,
                        fmt=None,
                        refuse_missing_terms=False,
                        overwrite=True,
                    )
                )
            )
            assert trainer.store.db.execute("SELECT count(*) FROM cards").fetchone()[0] == n
            indexing.append(timed(trainer.store.bring_search_index_up_to_date))
            trainer.close()
            work = fresh_dir(base / "floor")
            open_database(work / "trainer.db").conn.close()  # schema: not timed
            floors.append(
                timed(
                    lambda work=work: floor.import_tsv(
                        tsv, work / "decks" / "glossary.yaml", work / "trainer.db", "glossary"
                    )
                )
            )
            index_floors.append(timed(lambda work=work: floor.rebuild_search(work / "trainer.db")))
        return median(mine), median(floors), f"median of {runs}"

    indexing: list[float] = []
    index_floors: list[float] = []
    figures.append(guarded("import_tsv", "import TSV glossary (in-process)", n, None)(import_tsv))

    def search_index() -> tuple[float, float, str]:
        if not indexing:
            raise RuntimeError("the import figure failed")
        note = "after the import, in a thread of the TUI or on the first search"
        return median(indexing), median(index_floors), note

    figures.append(
        guarded("search_index", "  then the search index, built later (once)", n, None)(
            search_index
        )
    )

    # whole processes, Anki's importer beside them: the median of three runs at every
    # size, as one run of each side at 100k varied by a third between runs
    process_runs = plan.import_runs

    def import_process() -> tuple[float, float, str]:
        mine, floors = [], []
        for _ in range(process_runs):
            work = fresh_dir(base / "process")
            write_settings(work)
            db = work / "trainer.db"
            env = environment(work, db)
            seconds, _ = run_process(
                [*trainer_command(), "--db", str(db), "import", str(tsv), "--deck", DECK_NAME],
                env,
            )
            mine.append(seconds)
            work = fresh_dir(base / "floor-process")
            open_database(work / "trainer.db").conn.close()
            floor_db = work / "trainer.db"
            out_yaml = work / "decks" / "glossary.yaml"
            command = [sys.executable, "-m", "benchmarks.floor", "import", str(floor_db)]
            seconds, _ = run_process([*command, TODAY.isoformat(), str(tsv), str(out_yaml)], env)
            floors.append(seconds)
        return median(mine), median(floors), f"median of {process_runs}"

    figures.append(
        guarded("import_tsv_process", "trainer import FILE (whole process)", n, None)(
            import_process
        )
    )
    if plan.peer:
        attach_peer(
            figures, "import_tsv_process", lambda: anki_import(tsv, base / "anki", process_runs)
        )

    edits: dict[str, float] = {}

    def edit_one_card() -> tuple[float, float, str]:
        work = fresh_dir(base / "edit")
        trainer = open_trainer(work / "trainer.db", deck_dirs=[work / "decks"])
        options = {"deck_name": DECK_NAME, "fmt": None, "refuse_missing_terms": False}
        outcome = import_glossary(trainer, tsv, out=None, overwrite=True, **options)
        card = trainer.store.cards(deck=outcome.slug)[n // 2]
        from trainer.app.deckedit import CardEdit

        changed = card.card.definition + " (edited)"
        edit = CardEdit(card.card.term, changed, card.card.aliases, card.card.tags)
        mine = timed(lambda: trainer.edit_card(card.id, edit))
        assert trainer.card(card.id).card.definition == changed
        # `trainer edit`: the editor changed one definition; the next command re-syncs
        other = trainer.store.cards(deck=outcome.slug)[n // 3]
        text = outcome.path.read_text(encoding="utf-8")
        old_line = f"definition: {_quoted(other.card.definition)}\n"
        assert text.count(old_line) == 1
        by_hand = other.card.definition + " (by hand)"
        outcome.path.write_text(
            text.replace(old_line, f"definition: {_quoted(by_hand)}\n"), encoding="utf-8"
        )
        edits["resync"] = timed(trainer.sync_decks)
        assert trainer.card(other.id).card.definition == by_hand
        trainer.close()
        base_time = timed(
            lambda: floor.edit_definition(
                outcome.path, work / "trainer.db", card.id, changed, card.card.definition
            )
        )
        edits["floor"] = base_time
        return mine, base_time, "1 run; floor = replace one line of text + UPDATE one row"

    figures.append(
        guarded("edit_card", "edit one card of the imported deck (Trainer.edit_card)", n, None)(
            edit_one_card
        )
    )

    def resync() -> tuple[float, float, str]:
        if "resync" not in edits:
            raise RuntimeError("the edit figure failed")
        return edits["resync"], edits["floor"], "1 run; one definition changed in the file"

    figures.append(
        guarded("edit_resync", "  after `trainer edit`: re-sync the changed deck", n, None)(resync)
    )

    def imported_form() -> Path:
        """The same deck as trainer's importer writes it (dump_deck_fast), not PyYAML."""
        from trainer.app.deckfile import dump_deck_fast

        cards = [{"term": t, "definition": d} for t, d in generate.glossary(n, plan.seed)]
        path = base / "imported-form.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_deck_fast({"name": DECK_NAME, "cards": cards}), encoding="utf-8")
        return path

    def sync_yaml(deck_file: Path) -> Callable[[], tuple[float, float, str]]:
        def run() -> tuple[float, float, str]:
            rows = [
                (generate.card_id(generate.DECK_SLUG, term), generate.DECK_SLUG, term, d, i)
                for i, (term, d) in enumerate(generate.glossary(n, plan.seed))
            ]
            mine, floors = [], []
            for _ in range(runs):
                work = fresh_dir(base / "sync")
                shutil.copy2(deck_file, work / "decks" / "glossary.yaml")
                trainer = open_trainer(work / "trainer.db", deck_dirs=[work / "decks"])
                report = None

                def sync(trainer=trainer) -> None:  # type: ignore[no-untyped-def]
                    nonlocal report
                    report = trainer.sync_decks()

                mine.append(timed(sync))
                assert report is not None and report.parsed == ["glossary"], report
                trainer.close()
                work = fresh_dir(base / "floor-sync")
                open_database(work / "trainer.db").conn.close()
                floors.append(
                    timed(lambda work=work: floor.insert_cards(work / "trainer.db", rows))
                )
            return median(mine), median(floors), f"median of {runs}"

        return run

    figures.append(
        guarded("sync_yaml", "load N-card YAML deck into empty DB (sync_decks)", n, None)(
            sync_yaml(yaml_path)
        )
    )

    def parse_yaml() -> tuple[float, float, str]:
        import yaml

        text = yaml_path.read_text(encoding="utf-8")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        mine = timed(lambda: parse_deck_text(text, "glossary", str(yaml_path)))
        base_time = timed(lambda: yaml.load(text, Loader=loader))
        return mine, base_time, "1 run; floor = bare yaml.load(CSafeLoader)"

    figures.append(
        guarded("parse_yaml", "  of which: YAML parse + validate (parse_deck_text)", n, None)(
            parse_yaml
        )
    )
    figures.append(
        guarded("sync_imported", "the same deck as an import writes it (sync_decks)", n, None)(
            sync_yaml(imported_form())
        )
    )
    return figures


# ------------------------------------------------------------------ histories


def bench_history(n: int, r: int, plan: Plan, wanted: set[str]) -> list[Figure]:
    from trainer.app.session import StudySession
    from trainer.app.trainer import IDLE_CHECKPOINT_ANSWERS
    from trainer.core.model import Mode

    cached = generate.database(n, r, plan.seed)
    work = WORK_DIR / f"n{n}-r{r}"
    db = generate.working_copy(cached, work / "db")
    write_settings(work)
    env = environment(work, db)
    today = TODAY.isoformat()
    due_command = [*trainer_command(), "--db", str(db), "due", "--json"]
    figures: list[Figure] = []
    log(f"  {format_count(n)} cards / {format_count(r)} reviews ({work})")

    # Warm-up: the first run re-hashes the copied deck file (its path moved) and
    # loads the bundled decks; every later command finds the database current.
    _, out = run_process(due_command, env)
    log(f"    warm-up due: {json.loads(out)['due']} due, {json.loads(out)['new']} new")

    def measure(key: str, label: str, unit: str = "s"):  # type: ignore[no-untyped-def]
        return guarded(key, label, n, r, unit)

    if "due" in wanted:

        def due() -> tuple[float, float, str]:
            mine = [run_process(due_command, env)[0] for _ in range(plan.due_runs)]
            command = [sys.executable, "-m", "benchmarks.floor", "due", str(db), today]
            base = [run_process(command, env)[0] for _ in range(plan.due_runs)]
            return median(mine), median(base), f"median of {plan.due_runs}"

        figures.append(measure("due_cold", "trainer due --json (cold process)")(due))

    if "stats" in wanted:

        def stats() -> tuple[float, float, str]:
            command = [*trainer_command(), "--db", str(db), "stats", "--json"]
            mine = [run_process(command, env)[0] for _ in range(plan.stats_runs)]
            command = [sys.executable, "-m", "benchmarks.floor", "stats", str(db), today]
            base = [run_process(command, env)[0] for _ in range(plan.stats_runs)]
            return median(mine), median(base), f"median of {plan.stats_runs}"

        figures.append(measure("stats", "trainer stats --json (whole history)")(stats))

        def stats_after_studying() -> tuple[float, float, str]:
            # An answer changes the log, and trainer stats computes the scheduler
            # check and forecast again (it keeps them until then): forget the kept
            # ones before each run, as a study session would.
            command = [*trainer_command(), "--db", str(db), "stats", "--json"]
            mine = []
            for _ in range(plan.stats_runs):
                forget_scheduler_reports(db)
                mine.append(run_process(command, env)[0])
            command = [sys.executable, "-m", "benchmarks.floor", "stats", str(db), today]
            base = [run_process(command, env)[0] for _ in range(plan.stats_runs)]
            return median(mine), median(base), f"median of {plan.stats_runs}"

        label = "  the first after studying (scheduler check computed)"
        figures.append(measure("stats_fresh", label)(stats_after_studying))

    trainer = open_trainer(db)
    trainer.sync_decks()
    conn = floor.connect(db)

    if "queue" in wanted:

        def queue() -> tuple[float, float, str]:
            mine = [timed(trainer.queue) for _ in range(plan.queue_runs)]
            base = [timed(lambda: floor.queue(conn, today)) for _ in range(plan.queue_runs)]
            return median(mine), median(base), f"median of {plan.queue_runs}"

        figures.append(measure("queue", "build today's queue (Trainer.queue)")(queue))

    if "quiz" in wanted:
        from trainer.app.quiz_run import QuizOptions, QuizRun

        def quiz(source: str) -> Callable[[], tuple[float, float, str]]:
            options = QuizOptions(decks=None, questions=10, choices=4, source=source, seed=7)

            def run() -> tuple[float, float, str]:
                mine = [timed(lambda: QuizRun.start(trainer, options)) for _ in range(3)]
                base = [timed(lambda: floor.quiz_cards(conn, source, today)) for _ in range(3)]
                return median(mine), median(base), "median of 3; 10 questions, 4 choices"

            return run

        for source in ("deck", "weakest", "due-soon"):
            label = f"start a quiz, source {source} (QuizRun.start)"
            figures.append(measure(f"quiz_{source}", label)(quiz(source)))

    if "first_card" in wanted:
        from trainer.tui.app import TrainerApp

        def first_card() -> tuple[float, float, str]:
            runs = plan.first_card_runs
            mine = [
                first_card_in_process(lambda: TrainerApp(trainer, start="study"))
                for _ in range(runs)
            ]
            base = [
                first_card_in_process(lambda: floor.first_card_app(str(db), today))
                for _ in range(runs)
            ]
            return median(mine), median(base), f"median of {runs}; floor = 1-Static Textual app"

        figures.append(measure("first_card", "first card on study screen (in-process)")(first_card))

        def first_card_process() -> tuple[float, float, str]:
            runs = plan.first_card_runs
            command = [sys.executable, "-m", "benchmarks.child", "first-card"]
            mine = [time_to_ready(command, env) for _ in range(runs)]
            command = [sys.executable, "-m", "benchmarks.floor", "first-card", str(db), today]
            base = [time_to_ready(command, env) for _ in range(runs)]
            return median(mine), median(base), f"median of {runs}; floor = 1-Static Textual app"

        figures.append(
            measure("first_card_process", "first card, whole process (headless)")(
                first_card_process
            )
        )

    # As in the app (TrainerApp): the log's checkpoint waits for idle time, which a
    # user's second of reading gives after every answer; the trainer's idle job runs
    # there, untimed, for trainer and floor alike (the floor's connection defers
    # SQLite's own checkpoint the same way, and the floor's answers count for it).
    trainer.defer_checkpoints()
    floor.defer_checkpoints(conn)

    floor_answers = [0]

    def idle(floor_answer: bool = False) -> None:
        job = trainer.idle_job()
        if floor_answer:  # the floor's answers are not trainer's: counted here alike
            floor_answers[0] += 1
            if floor_answers[0] % IDLE_CHECKPOINT_ANSWERS == 0:
                job = trainer.store.checkpoint_job()
        if job is not None:
            job()

    if "answer" in wanted:
        entries = trainer.queue()
        rng = random.Random(plan.seed)
        grades = [rng.choice((5, 4, 4, 4, 3, 2)) for _ in range(plan.answers)]
        mine_times: list[float] = []
        base_times: list[float] = []

        def answers() -> None:
            clock = trainer.clock
            for i, grade in enumerate(grades):
                entry = entries[i % len(entries)]
                clock.advance(seconds=3)  # type: ignore[attr-defined]
                started = time.perf_counter()
                trainer.record_answer(entry.card_id, entry.direction, grade, Mode.STUDY, 4000)
                mine_times.append(time.perf_counter() - started)
                idle()
            for i, grade in enumerate(grades):
                entry = entries[i % len(entries)]
                at = (NOW + dt.timedelta(hours=2, seconds=3 * i)).isoformat()
                started = time.perf_counter()
                floor.answer(conn, entry.card_id, str(entry.direction), grade, at, today)
                base_times.append(time.perf_counter() - started)
                idle(floor_answer=True)

        error = None
        try:
            answers()
        except Exception as failure:
            error = str(failure)
            log(f"    answers: FAILED: {failure}")
        runs = f"{plan.answers} answers, each its own transaction"
        if error is None:
            figures.append(
                Figure(
                    "answer_mean",
                    "record one answer, mean",
                    n,
                    r,
                    statistics.fmean(mine_times),
                    statistics.fmean(base_times),
                    runs=runs,
                )
            )
            figures.append(
                Figure(
                    "answer_p95",
                    "record one answer, p95",
                    n,
                    r,
                    p95(mine_times),
                    p95(base_times),
                    runs=runs,
                )
            )
        else:
            figures.append(
                Figure("answer_mean", "record one answer", n, r, None, None, error=error)
            )

    if "session" in wanted:

        def session() -> tuple[float, float, str]:
            study = StudySession(trainer)
            mine = []
            for i in range(plan.session_answers):
                trainer.clock.advance(seconds=3)  # type: ignore[attr-defined]
                mine.append(
                    timed(lambda i=i: (study.answer((5, 4, 3)[i % 3], 3000), study.current()))
                )
                idle()
            base = []
            for i in range(plan.session_answers):
                at = (NOW + dt.timedelta(hours=4, seconds=3 * i)).isoformat()

                def step(i: int = i, at: str = at) -> None:
                    _, card, direction = floor.queue(conn, today)[0]
                    floor.answer(conn, card, direction, (5, 4, 3)[i % 3], at, today)
                    floor.first_due_text(conn, today)

                base.append(timed(step))
                idle(floor_answer=True)
            return (
                statistics.fmean(mine),
                statistics.fmean(base),
                (f"mean of {plan.session_answers}: answer + next card"),
            )

        figures.append(
            measure("session_next", "study session: answer -> next card (StudySession)")(session)
        )

    figures += interactive_figures(trainer, conn, db, n, r, plan, wanted)
    trainer.close()
    conn.close()

    if "open" in wanted:

        def open_figure() -> tuple[float, float, str]:
            def open_close() -> None:
                open_trainer(db).close()

            def open_floor() -> None:
                floor.connect(db).execute("SELECT count(*) FROM decks").fetchone()

            mine = [timed(open_close) for _ in range(5)]
            base = [timed(open_floor) for _ in range(5)]
            return median(mine), median(base), "median of 5; Trainer.open + close"

        figures.append(measure("open", "open the database (in-process)")(open_figure))

    if "memory" in wanted:

        def memory() -> tuple[float, float, str]:
            command = [sys.executable, "-m", "benchmarks.child", "memory", str(plan.memory_answers)]
            mine, result = peak_memory(command, env)
            answered = result["answers"]
            command = [sys.executable, "-m", "benchmarks.floor", "memory", str(db), today]
            base, _ = peak_memory([*command, str(plan.memory_answers)], env)
            return mine, base, f"TUI session start + {answered} answers; peak RSS (VmHWM)"

        figures.append(measure("memory", "peak memory, study session (child)", "MB")(memory))
    if plan.peer:
        anki_history(figures, n, cached, work / "anki", plan, wanted)
    return figures


def interactive_figures(  # type: ignore[no-untyped-def]
    trainer, conn, db: Path, n: int, r: int, plan: Plan, wanted: set[str]
) -> list[Figure]:
    """Browse by each column and filtered, Progress, the summary, a keypress (issue 19)."""
    figures: list[Figure] = []
    today = TODAY.isoformat()

    def measure(key: str, label: str):  # type: ignore[no-untyped-def]
        return guarded(key, label, n, r)

    if "browse" in wanted:
        try:
            found = interactive.browse_figures(trainer, conn, plan.browse_runs)
        except Exception as error:
            log(f"    browse: FAILED: {error}")
            found = {}
        for name, (mine, base, *query) in found.items():
            label = (
                f"Browse filtered by {query[0]!r}, sorted by {query[1]}"
                if query
                else f"Browse sorted by {name} (500 rows)"
            )
            runs = f"median of {plan.browse_runs}; floor = one LEFT JOIN ... ORDER BY ... LIMIT 500"
            figures.append(Figure(f"browse_{name}", label, n, r, mine, base, runs=runs))
    if "progress" in wanted:

        def progress() -> tuple[float, float, str]:
            mine, base = interactive.progress_figure(trainer, str(db), today, 3)
            return mine, base, "median of 3; floor = the stats floor's queries"

        label = "open Progress (what it reads: a year, heatmap, report)"
        figures.append(measure("progress", label)(progress))
        try:
            first, again, base = interactive.progress_paint_figure(trainer, str(db), today, 5)
        except Exception as error:  # one broken figure must not end the run
            log(f"    progress painted: FAILED: {error}")
        else:
            runs = "floor = 1-Static app showing the stats floor's figures"
            figures += [
                Figure(
                    "progress_paint_first",
                    "  p on Home -> Progress painted, first time",
                    n,
                    r,
                    first,
                    base,
                    runs=runs,
                ),
                Figure(
                    "progress_paint",
                    "  p on Home -> Progress painted, after an answer (median of 5)",
                    n,
                    r,
                    again,
                    base,
                    runs=runs,
                ),
            ]
    if "summary" in wanted:

        def summary() -> tuple[float, float, str]:
            mine, base = interactive.summary_figure(trainer, conn, today)
            return mine, base, "median of 5; floor = next due day + due tomorrow"

        figures.append(measure("summary", "session summary (StudySession.summary)")(summary))
    if "keypress" in wanted:

        def keypress() -> tuple[float, float, str]:
            mine, base = interactive.keypress_figure(trainer, str(db), today, plan.keypresses)
            return mine, base, f"median of {plan.keypresses}; floor = 1-Static app, SQL answer"

        figures.append(
            measure("keypress", "keypress: grade -> next card's frame (headless)")(keypress)
        )
    return figures


# ----------------------------------------------------------------------- peer


def forget_scheduler_reports(db: Path) -> None:
    """Drop the scheduler check and forecast that trainer keeps until the log changes."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM meta WHERE key LIKE 'scheduler_report:%'")


def attach_peer(figures: Sequence[Figure], key: str, work: Callable[[], float]) -> None:
    """Measure Anki's side of the figure ``key`` (if present) and keep it on the figure."""
    found = [f for f in figures if f.key == key]
    if not found:
        return
    try:
        found[0].peer = work()
    except Exception as error:  # one broken peer figure must not end the run
        log(f"    anki {key}: FAILED: {error}")


def anki_import(tsv: Path, work: Path, runs: int = 1) -> float:
    """Anki's CSV importer on the same terms, as a whole process on a new collection
    (the median of ``runs``, each into a new one)."""
    if work.exists():
        shutil.rmtree(work)
    headed = peer.headed_copy(tsv, work / "terms.txt")
    peer.run("import", headed, work / "warm.anki2")  # warm-up: page cache, bytecode
    times = []
    for run in range(runs):
        seconds, result = peer.run("import", headed, work / f"collection-{run}.anki2")
        if result["new"] < 1:
            raise RuntimeError(f"anki imported nothing: {result}")
        times.append(seconds)
    return median(times)


def anki_history(
    figures: list[Figure], n: int, cached: Path, work: Path, plan: Plan, wanted: set[str]
) -> None:
    """Anki's backend on the same cards and history: open, due, stats, queue, answers, memory."""
    log(f"    anki: collection for {cached.name}")
    tsv, _ = generate.glossary_files(n, plan.seed)
    try:
        path = peer.collection(cached, tsv, work)
    except Exception as error:
        log(f"    anki: cannot build the collection: {error}")
        return
    if "due" in wanted:
        attach_peer(figures, "due_cold", lambda: peer.median_process("due", path, plan.due_runs))
    if "stats" in wanted:
        attach_peer(figures, "stats", lambda: peer.median_process("stats", path, plan.stats_runs))
        # Anki computes its statistics afresh every time: the same figure on both lines
        same = next((f.peer for f in figures if f.key == "stats"), None)
        attach_peer(figures, "stats_fresh", lambda: same)
    keys = {"open", "queue", "answer_mean", "answer_p95", "session_next"}
    if keys & {f.key for f in figures}:
        try:
            _, result = peer.run("session", path, plan.answers)
        except Exception as error:
            log(f"    anki session: FAILED: {error}")
        else:
            answers, nexts = result["answers"], result["next"]
            values = {
                "open": result["open"],
                "queue": result["queue"],
                "answer_mean": statistics.fmean(answers),
                "answer_p95": peer.p95(answers),
                "session_next": statistics.fmean(
                    a + b for a, b in zip(answers, nexts, strict=True)
                ),
            }
            for key, value in values.items():
                attach_peer(figures, key, lambda value=value: value)
    if "memory" in wanted:
        path = peer.collection(cached, tsv, work)

        def memory() -> float:
            _, result = peer.run("memory", path, plan.memory_answers)
            return result["peak_kb"] / 1024

        attach_peer(figures, "memory", memory)


# --------------------------------------------------------------------- report


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "MB":
        return f"{value:.0f} MB"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.01:
        return f"{value * 1000:.0f} ms"
    return f"{value * 1000:.2f} ms"


def target_mark(figure: Figure) -> str:
    target = TARGETS.get(figure.key)
    if target is None:
        return ""
    text = f"≤ {show(target.limit, target.unit)}"
    at_target = figure.cards == TARGET_CARDS and figure.reviews in (None, TARGET_REVIEWS)
    if at_target and figure.trainer is not None:
        text += "  ok" if figure.trainer <= target.limit else "  MISSED"
    return text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def report(figures: Sequence[Figure], peer_name: str | None = None) -> str:
    with_peer = peer_name is not None
    rows = []
    for f in figures:
        ratio = f"{f.ratio:.1f}{TIMES}" if f.ratio is not None else ""
        mine = show(f.trainer, f.unit) if f.error is None else "FAILED"
        row = [
            f.label,
            format_count(f.cards),
            format_count(f.reviews) if f.reviews else "-",
            mine,
            show(f.floor, f.unit),
            ratio,
        ]
        if with_peer:
            peer_ratio = f"{f.peer_ratio:.2f}{TIMES}" if f.peer_ratio is not None else ""
            row += [show(f.peer, f.unit) if f.peer is not None else "", peer_ratio]
        rows.append([*row, target_mark(f)])
    headers = ["figure", "cards", "reviews", "trainer", "sqlite3 floor", "trainer/floor"]
    if with_peer:
        headers += [str(peer_name), f"trainer/{'Anki' if peer_name else 'peer'}"]
    right = set(range(1, len(headers)))
    out = [table([*headers, "target"], rows, right)]
    failures = [f for f in figures if f.error]
    if failures:
        out.append("\nfailures:")
        out += [f"  {f.label} ({format_count(f.cards)}): {f.error}" for f in failures]
    out.append("\n" + growth(figures))
    return "\n".join(out)


def growth(figures: Sequence[Figure]) -> str:
    """How each figure grows from the fewest to the most cards (same history), and
    from the shortest to the longest history (same cards): nothing should grow
    faster than the data (10x the cards or reviews: at most about 10x)."""
    return "\n\n".join(
        [
            _growth(figures, "cards", lambda f: f.cards, lambda f: f.reviews),
            _growth(figures, "reviews", lambda f: f.reviews, lambda f: f.cards),
        ]
    )


def _growth(
    figures: Sequence[Figure],
    axis: str,
    size: Callable[[Figure], int | None],
    other: Callable[[Figure], int | None],
) -> str:
    sizes = sorted({value for f in figures if (value := size(f))})
    if len(sizes) < 2:
        return f"(growth with {axis}: needs two sizes)"
    low, high = sizes[0], sizes[-1]
    by_key = {(f.key, size(f), other(f)): f for f in figures}
    rows = []
    for f in figures:
        if size(f) != low:
            continue
        bigger = by_key.get((f.key, high, other(f)))
        if bigger is None:
            continue
        grown = (
            f"{bigger.trainer / f.trainer:.1f}{TIMES}"
            if bigger.trainer is not None and f.trainer
            else "—"
        )
        floor_grown = f"{bigger.floor / f.floor:.1f}{TIMES}" if bigger.floor and f.floor else "—"
        linear = ""
        if bigger.trainer is not None and f.trainer:
            # 20% slack: a figure of a few milliseconds moves that much run to run
            linear = "yes" if bigger.trainer / f.trainer <= 1.2 * high / low else "NO"
        held = other(f)
        rows.append(
            [
                f.label,
                format_count(held) if held else "-",
                show(f.trainer, f.unit),
                show(bigger.trainer, bigger.unit),
                grown,
                floor_grown,
                linear,
            ]
        )
    if not rows:
        return f"(growth with {axis}: no figure measured at both sizes)"
    held_name = "reviews" if axis == "cards" else "cards"
    title = (
        f"growth {format_count(low)} → {format_count(high)} {axis} "
        f"({high // low}{TIMES} {axis}, same {held_name})"
    )
    headers = [
        "figure", held_name, format_count(low), format_count(high), "trainer", "floor",
        "≤ linear",
    ]  # fmt: skip
    return title + "\n" + table(headers, rows, {1, 2, 3, 4, 5})


def bench_anki(n: int, plan: Plan) -> list[Figure]:
    """``trainer import PKG.apkg`` beside Anki's own importer, in the Anki column (with
    ``--peer anki``; else in the floor column, this figure having no sqlite floor)."""
    from benchmarks import anki

    python, where = anki.anki_python()
    label = "trainer import PKG.apkg vs Anki's importer (whole process)"
    if python is None:
        log(f"  Anki import of {format_count(n)} notes: skipped: {where}")
        return [Figure("anki_import", label, n, None, None, None, error=f"skipped: {where}")]
    apkg = anki.package(n, plan.seed)
    # every size alternates three times: one run of each side at 100k varied by
    # half (2.6 to 5.0 s for the same trainer, 1.9 to 3.2 s for Anki)
    runs = plan.import_runs
    log(f"  Anki package import of {format_count(n)} notes ({runs} run(s); Anki from {where})")

    anki_seconds: list[float] = []

    def measure() -> tuple[float, float | None, str]:
        mine, theirs = [], []
        for _ in range(runs):
            work = fresh_dir(WORK_DIR / f"anki-n{n}" / "trainer")
            write_settings(work)
            env = environment(work, work / "trainer.db")
            mine.append(anki.time_trainer(trainer_command(), apkg, env))
            theirs.append(anki.time_anki(python, apkg, fresh_dir(WORK_DIR / f"anki-n{n}" / "anki")))
        anki_seconds.append(median(theirs))
        if plan.peer:
            return median(mine), None, f"median of {runs}, alternating with Anki"
        return median(mine), median(theirs), f"median of {runs}; floor = Anki"

    figure = guarded("anki_import", label, n, None)(measure)
    if plan.peer and anki_seconds:
        figure.peer = anki_seconds[0]
    return [figure]


# ----------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="trainer at scale: each figure beside the same work in plain sqlite3.",
    )
    parser.add_argument("--sizes", help="card counts, comma separated (default 10k,100k)")
    parser.add_argument("--reviews", help="review-history sizes (default 100k,1m)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1k cards, 10k reviews")
    parser.add_argument(
        "--figures",
        default=",".join(FIGURES),
        help=f"subset to measure (default all: {','.join(FIGURES)})",
    )
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument(
        "--peer",
        choices=["anki"],
        help="also measure Anki's backend (PyPI anki, in its own venv) on the same data",
    )
    args = parser.parse_args(argv)

    sizes = [
        parse_count(s) for s in (args.sizes or ("1k" if args.quick else "10k,100k")).split(",")
    ]
    histories = [
        parse_count(s) for s in (args.reviews or ("10k" if args.quick else "100k,1m")).split(",")
    ]
    wanted = {name.strip() for name in args.figures.split(",") if name.strip()}
    unknown = wanted - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)} (known: {', '.join(FIGURES)})")
    plan = Plan(seed=args.seed)
    if args.quick:
        plan = Plan(
            seed=args.seed,
            due_runs=3,
            stats_runs=1,
            queue_runs=5,
            first_card_runs=1,
            answers=200,
            session_answers=5,
            memory_answers=20,
            import_runs=1,
        )

    peer_name = None
    if args.peer == "anki":
        try:
            peer_name = f"Anki {peer.ensure_anki()}"
            plan = replace(plan, peer=True)
        except peer.PeerUnavailable as error:
            log(f"Anki peer skipped: {error}")

    started = time.perf_counter()
    log(f"generating / reusing data in {generate.CACHE_DIR}")
    for n in sizes:
        for r in histories:
            generate.database(n, r, args.seed)
    figures: list[Figure] = []
    if "import" in wanted:
        for n in sizes:
            figures += bench_import(n, plan)
    if "anki" in wanted:
        for n in [1_000] if args.quick else [20_000, 100_000]:
            figures += bench_anki(n, plan)
    for n in sizes:
        for r in histories:
            figures += bench_history(n, r, plan, wanted)
    text = report(figures, peer_name)
    print(text)
    elapsed = time.perf_counter() - started
    print(f"\n(total {elapsed:.0f}s; seed {args.seed}; python {sys.version.split()[0]})")
    destination = args.json or DATA_DIR / "results.json"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps([asdict(f) for f in figures], indent=2), encoding="utf-8")
    return 0
