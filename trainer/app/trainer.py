"""The application layer: what the TUI and the CLI both call; neither speaks SQL.

It wires the pure core to storage: keeps the database's copy of the deck files
current (re-parsing a file only when its size, mtime and hash say it changed),
builds today's queue and records answers, one transaction each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from trainer.app import locations
from trainer.app.collector import collector_paused
from trainer.app.files import BackgroundWrite, shown
from trainer.app.settings import Settings, load_settings
from trainer.core.clock import Clock, FixedClock, SystemClock, parse_instant, study_day
from trainer.core.deck import DeckError, deck_from_data
from trainer.core.model import BrowseRow, CardStatus, Deck, Direction, Mode, ReviewRecord
from trainer.core.queue import (
    Limits,
    QueueEntry,
    QueueKind,
    TodayLog,
    advance_plan,
    buries_new_cards,
    plan_queue,
    space_out,
    summarize_today,
)
from trainer.core.replay import Anchor, Replayed, replay
from trainer.core.scheduler import Scheduler
from trainer.core.sm2 import SM2, SM2State, lapses_reach
from trainer.errors import TrainerError, UserError
from trainer.storage import Store, open_connection

if TYPE_CHECKING:
    from trainer.app.deckedit import CardEdit
    from trainer.core.stats import ProgressReport
from trainer.storage.store import DeckRow, DeckSignature, StoredCard

#: the write-ahead log's bound (4 KiB pages) while checkpoints wait for idle time:
#: a few hundred answers at 100k cards, where an answer changes 20 to 40 pages
DEFERRED_CHECKPOINT_PAGES = 8000
#: answers committed before an idle moment copies the log into the database file
IDLE_CHECKPOINT_ANSWERS = 50


def review_id_at(stamp: dt.datetime) -> str:
    """A new answer's id: 32 hex digits, the answer's time in milliseconds, then 80
    random bits (unique across devices, as a random UUID's 122 bits are in
    practice). Ids in time order make each answer's entry in the log's primary
    key index go at its end, on a page just written, instead of on a random
    page of a million-entry index."""
    millis = int(stamp.timestamp() * 1000)
    return f"{millis & 0xFFFF_FFFF_FFFF:012x}{secrets.token_hex(10)}"


@dataclass(frozen=True)
class DeckSummary:
    slug: str
    name: str
    cards: int
    new: int
    due: int
    learning: int
    directions: tuple[Direction, ...]
    path: str
    #: new cards this deck offers in today's queue of all decks (the allowance is shared)
    new_today: int = 0
    #: drills pending today (answers graded below 4 today)
    drills: int = 0


@dataclass(frozen=True)
class QueuePlan:
    """Today's queue before spacing, and what it was built from: what a study
    session needs to advance it after an answer instead of building it again."""

    entries: tuple[QueueEntry, ...]
    decks: tuple[str, ...] | None
    today: dt.date
    limits: Limits
    bury_siblings: bool
    #: the card answered last today, which ``space_out`` keeps from coming next
    last_card: str | None
    #: the database's change marker when the plan was made (``Store.change_marker``)
    marker: tuple[int, int]

    def spaced(self) -> list[QueueEntry]:
        """The queue in the order it is shown."""
        return space_out(self.entries, self.last_card)


@dataclass(frozen=True)
class QueueCounts:
    """What today's queue holds, by kind."""

    due: int = 0
    new: int = 0
    drill: int = 0

    @property
    def total(self) -> int:
        return self.due + self.new + self.drill


@dataclass(frozen=True)
class TodayOverview:
    day: dt.date
    due: int
    new: int
    answered: int
    streak: int
    drill: int = 0


#: how many of its latest writes a trainer remembers for ``answers_between``
JOURNAL_LENGTH = 1000


@dataclass(frozen=True)
class JournalEntry:
    """One write of this trainer that only added an answer (``record``) or kept a
    report (``record`` None), with ``Store.change_marker()`` before and after it."""

    before: tuple[int, int]
    after: tuple[int, int]
    record: ReviewRecord | None
    #: whether the card direction had a stored state before the answer
    had_state: bool


@dataclass
class SyncReport:
    parsed: list[str] = field(default_factory=list)
    errors: list[DeckError] = field(default_factory=list)


def local_timezone(settings: Settings) -> dt.tzinfo:
    if settings.timezone:
        return ZoneInfo(settings.timezone)
    tz = dt.datetime.now().astimezone().tzinfo
    return tz if tz is not None else dt.UTC


def clock_from_environment(tz: dt.tzinfo) -> Clock:
    """``TRAINER_NOW`` pins the clock for scripts and tests that simulate days."""
    value = os.environ.get("TRAINER_NOW")
    if not value:
        return SystemClock()
    try:
        instant = parse_instant(value, tz)
    except (ValueError, OverflowError):
        raise UserError(f"TRAINER_NOW: not an ISO timestamp: {value!r}") from None
    if not 1970 <= instant.year <= 9000:
        raise UserError(f"TRAINER_NOW: {value!r} is outside the years 1970 to 9000")
    return FixedClock(instant)


class Trainer:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        settings: Settings,
        tz: dt.tzinfo,
        deck_dirs: Sequence[Path],
        user_decks: Path,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.tz = tz
        self.deck_dirs = list(deck_dirs)
        self.user_decks = user_decks
        #: copies of the large decks' last loaded text, for re-loading only what changed
        self.deck_copies = user_decks.parent / "cache" / "decks"
        #: the scheduler every answer and replay goes through: SM-2 (as promised)
        #: unless the ``scheduler`` setting chooses FSRS
        self.scheduler: Scheduler[SM2State] = scheduler_for(settings, store)
        #: card directions replayed when this trainer opened (the setting changed), if any
        self.replayed_on_open: int | None = None
        #: (review id, whether it made a leech) of the last answer recorded here
        self._last_leech: tuple[str, bool] = ("", False)
        #: answers recorded since the last idle checkpoint (``idle_job``)
        self._unchecked_answers = 0
        #: this trainer's latest writes that only added answers (``answers_between``)
        self._journal: deque[JournalEntry] = deque(maxlen=JOURNAL_LENGTH)

    def replay(
        self,
        reviews: Iterable[ReviewRecord],
        anchors: Mapping[tuple[str, Direction], Anchor] | None = None,
    ) -> dict[tuple[str, Direction], Replayed]:
        """Card states from a log (and schedules kept from Anki), through this
        trainer's scheduler."""
        return replay(self.scheduler, reviews, anchors)

    @classmethod
    def open(
        cls,
        db: str | os.PathLike[str] | None = None,
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
        tz: dt.tzinfo | None = None,
        deck_dirs: Sequence[Path] | None = None,
    ) -> Trainer:
        """Build the application exactly as the CLI and the TUI use it."""
        from trainer.app.settings import SettingsError

        try:
            settings = settings or load_settings(locations.settings_path())
        except SettingsError as error:
            raise UserError(str(error)) from None
        tz = tz or local_timezone(settings)
        clock = clock or clock_from_environment(tz)
        path = locations.database_path(db)
        user_decks = locations.user_decks_dir(path)
        if deck_dirs is None:
            deck_dirs = [locations.bundled_decks_dir(), user_decks]
        store = Store(open_connection(path))
        try:
            trainer = cls(
                store,
                clock=clock,
                settings=settings,
                tz=tz,
                deck_dirs=deck_dirs,
                user_decks=user_decks,
            )
            trainer.replayed_on_open = trainer.align_states()
        except BaseException:
            store.close()
            raise
        return trainer

    def close(self) -> None:
        self.store.close()

    def open_reader(self) -> Trainer | None:
        """Another trainer on the same database over its own connection, for work in
        a thread (a connection is never shared between threads); close it after.
        None for an in-memory database, which no second connection can reach."""
        path = self.store.conn.execute("PRAGMA database_list").fetchone()[2]
        if not path:
            return None
        return Trainer(
            Store(open_connection(path)),
            clock=self.clock,
            settings=self.settings,
            tz=self.tz,
            deck_dirs=self.deck_dirs,
            user_decks=self.user_decks,
        )

    def defer_checkpoints(self) -> None:
        """For an interactive session: the log's copy into the database file waits for
        the user to be idle (``idle_job``) instead of falling on an answer;
        ``DEFERRED_CHECKPOINT_PAGES`` bounds the log if no idle time comes."""
        self.store.defer_checkpoints(DEFERRED_CHECKPOINT_PAGES)

    def idle_job(self) -> Callable[[], None] | None:
        """Work for an idle moment, safe to run in a thread (its own connection), or
        None when there is none: once ``IDLE_CHECKPOINT_ANSWERS`` answers are in the
        write-ahead log, copy their states to the sorted copy
        (``trainer.storage.sorted_states``), then the log into the database file.

        Not after every answer: the first commit after a checkpoint costs about
        0.5 ms more (measured at 100k cards), so it comes once in 50 answers
        (about 2,000 pages there, twice SQLite's own interval), off the tail of
        the answers' times, and never on an answer itself.
        """
        if self._unchecked_answers < IDLE_CHECKPOINT_ANSWERS:
            return None
        self._unchecked_answers = 0
        return self.store.upkeep_job()

    def search_waits_for_index(self, query: str) -> bool:
        """Whether ``browse(query)`` would first have to rebuild the search index (a
        bulk import left it out of date and the query matches text or a tag), so
        a screen can say so and wait for it off the event loop."""
        from trainer.core.search import parse_query

        try:
            parsed = parse_query(query)
            return bool(parsed.text or parsed.tags) and not self.store.search_index_current()
        except TrainerError:
            return False  # browse itself meets the error and reports it

    def search_index_job(self) -> Callable[[], None] | None:
        """Work for a background thread after a bulk import, or None: rebuild the
        search index that the import left out of date, on a connection of its
        own, so a search later finds it ready. A search that comes first
        rebuilds it itself (or waits for this one to finish), and reports a
        damaged record of it, which leaves nothing to do here."""
        try:
            return self.store.search_index_job()
        except TrainerError:
            return None

    def due_directions_job(self) -> Callable[[], None] | None:
        """Work for a background thread when Browse opens, or None: set the bits
        of the cards no state has set yet (cards added since the last rebuild
        and never answered), which Browse's ``is:new`` otherwise checks one by
        one against their states, and of the cards answered for the first time
        since it last ran (an answer leaves them to it), which ``is:new`` reads
        once per query."""
        try:
            return self.store.due_directions_job()
        except TrainerError:
            return None

    def prepare_writes(self) -> None:
        """Load the write path (sqlite-utils) ahead of the first answer; the TUI calls
        this once its first screen shows, so no answer waits for the import."""
        self.store.prepare_writes()

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------- time
    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        return study_day(self.now(), self.tz, self.settings.rollover_hour)

    # ------------------------------------------------------------------ decks
    def deck_files(self, problems: list[DeckError] | None = None) -> dict[str, Path]:
        """Deck files by slug; a user deck overrides a bundled one of the same name.

        A file whose name is not valid UTF-8 or holds a control character
        cannot be stored, printed or typed back, so it is skipped and named
        (escaped) in ``problems``; ``x.yml`` beside ``x.yaml`` hides it, which
        is said too rather than done silently.
        """
        found: dict[str, Path] = {}
        for directory in self.deck_dirs:
            if not directory.is_dir():
                continue
            here: dict[str, Path] = {}
            for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
                if not _usable_name(path.name):
                    if problems is not None:
                        problems.append(
                            DeckError(
                                shown(path),
                                None,
                                "file name is not valid UTF-8 text "
                                "or holds control characters; rename it",
                            )
                        )
                    continue
                hidden = here.get(path.stem)
                if hidden is not None and problems is not None:
                    problems.append(
                        DeckError(
                            shown(hidden),
                            None,
                            f"hidden by {shown(path.name)}, "
                            "which has the same deck name; rename or remove one",
                        )
                    )
                here[path.stem] = path
            found.update(here)
        return found

    def sync_decks(self) -> SyncReport:
        """Bring the database up to date with the deck files; parse only changed ones."""
        report = SyncReport()
        known = self.store.deck_signatures()
        files = self.deck_files(report.errors)
        for slug, signature in known.items():
            if slug not in files and signature.path and Path(signature.path).is_file():
                files[slug] = Path(signature.path)  # imported with --out elsewhere
        for slug, path in files.items():
            try:
                # a changed deck is parsed and loaded whole; its cards are freed on return
                with collector_paused():
                    self._sync_one(slug, path, known.get(slug), report)
            except DeckError as error:
                report.errors.append(error)
        for slug in set(known) - set(files):
            self.store.retire_deck(slug)
        return report

    def _sync_one(
        self, slug: str, path: Path, old: DeckSignature | None, report: SyncReport
    ) -> None:
        """Load one deck file if it changed; raise DeckError if it is refused.

        A refusal is remembered with the file's size, mtime and hash: until the
        file changes, the next command repeats the message without reading it.
        """
        from trainer.app.files import MAX_DECK_BYTES, FileRefused, check_regular, read_bounded

        source = shown(path)
        try:
            status = check_regular(path, MAX_DECK_BYTES, "deck file")
        except FileRefused as error:
            raise DeckError(source, None, _after_path(str(error), source)) from None
        if old and (old.path, old.size, old.mtime_ns) == (
            str(path),
            status.st_size,
            status.st_mtime_ns,
        ):
            return
        refused = self.store.refused_deck(str(path))
        if refused and (refused[0].size, refused[0].mtime_ns) == (
            status.st_size,
            status.st_mtime_ns,
        ):
            raise _remembered(source, refused[1])
        try:
            raw = read_bounded(path, MAX_DECK_BYTES, "deck file")
        except FileRefused as error:
            raise DeckError(source, None, _after_path(str(error), source)) from None
        signature = DeckSignature(
            str(path), status.st_size, status.st_mtime_ns, hashlib.sha256(raw).hexdigest()
        )
        if old and old.sha256 == signature.sha256:
            self.store.touch_deck(slug, signature)
            return
        if refused and refused[0].sha256 == signature.sha256:
            self.store.remember_refused_deck(signature, refused[1])
            raise _remembered(source, refused[1])
        if old and self._sync_changed_cards(slug, path, old, raw, signature):
            report.parsed.append(slug)
            return
        try:
            deck, own_form = _parsed_deck(raw, slug, source, signature.sha256)
        except DeckError as error:
            self.store.remember_refused_deck(signature, f"{error.line or ''}:{error.message}")
            raise
        self.store.sync_deck(deck, signature, self.now())
        self._remember_deck(slug, signature.sha256, raw, own_form, path)
        if refused:
            self.store.forget_refused_deck(str(path))
        report.parsed.append(slug)

    def decks(self) -> list[DeckRow]:
        return self.store.decks()

    def resolve_decks(self, names: Sequence[str] | None) -> list[str] | None:
        """Deck slugs for user-given names (slug or display name); None means all."""
        if not names:
            return None
        rows = self.store.decks()
        slugs = []
        for name in names:
            match = [
                r.slug for r in rows if name in (r.slug, r.name) or name.lower() == r.name.lower()
            ]
            if not match:
                known = ", ".join(r.slug for r in rows) or "none"
                raise UserError(f"no deck named {name!r} (decks: {known})")
            slugs.append(match[0])
        return slugs

    def deck_directions(self) -> dict[str, tuple[Direction, ...]]:
        directions = self.store.deck_directions()
        directions.update(
            (slug, value)
            for slug, value in self.settings.deck_directions.items()
            if slug in directions
        )
        return directions

    def statuses(self, decks: Sequence[str] | None = None) -> list[CardStatus]:
        return self.store.card_statuses(self.deck_directions(), decks)

    def deck_summaries(self) -> list[DeckSummary]:
        """Per-deck counts: card totals aggregated in SQL; due, new today and drills
        read off today's queue of all decks, so the rows add up to its totals."""
        today = self.today()
        directions = self.deck_directions()
        counts = self.store.deck_counts(directions, today)
        queued = self.queue_counts()
        summaries = []
        for row in self.store.decks():
            new, _due, learning = counts.get(row.slug, (0, 0, 0))
            today_counts = queued.get(row.slug, QueueCounts())
            summaries.append(
                DeckSummary(
                    slug=row.slug,
                    name=row.name,
                    cards=row.cards,
                    new=new,
                    due=today_counts.due,
                    learning=learning,
                    directions=directions.get(row.slug, (Direction.FORWARD,)),
                    path=row.path,
                    new_today=today_counts.new,
                    drills=today_counts.drill,
                )
            )
        return summaries

    def upcoming(self, decks: Sequence[str] | None = None) -> tuple[dt.date | None, int]:
        """The next day after today with something due, and how many are due tomorrow."""
        today = self.today()
        return self.store.upcoming(
            self.deck_directions(), decks, today, today + dt.timedelta(days=1)
        )

    def due_summary(self) -> list[tuple[DeckRow, int, int]]:
        """(deck, due, new) for each deck as today's queue of all decks offers them."""
        queued = self.queue_counts()
        return [
            (row, queued.get(row.slug, QueueCounts()).due, queued.get(row.slug, QueueCounts()).new)
            for row in self.store.decks()
        ]

    def today_overview(self) -> TodayOverview:
        """Today's totals for Home: what is left, what was done, the streak."""
        from trainer.core.stats import streaks

        today = self.today()
        queue = self.queue()
        answered = len(self.store.reviews_on(today))
        streak = streaks(self.store.study_days(), today).current
        return TodayOverview(
            day=today,
            due=sum(1 for e in queue if e.kind is QueueKind.REVIEW),
            new=sum(1 for e in queue if e.kind is QueueKind.NEW),
            answered=answered,
            streak=streak,
            drill=sum(1 for e in queue if e.kind is QueueKind.DRILL),
        )

    # ---------------------------------------------------------------- studying
    def _limits(self) -> Limits:
        return Limits(self.settings.new_per_day, self.settings.reviews_per_day)

    def _today_log(self) -> TodayLog:
        return summarize_today(self.store.reviews_on(self.today()), self.today())

    def queue(self, decks: Sequence[str] | None = None) -> list[QueueEntry]:
        """What is left to study today, in order, for the chosen decks."""
        return self.queue_plan(decks).spaced()

    def queue_plan(self, decks: Sequence[str] | None = None) -> QueuePlan:
        """Today's queue (before spacing) built from the database.

        Storage hands over only the candidates within today's limits; the pure
        ``plan_queue`` still decides the order and the limits, so the rules live
        in one place and the cost does not grow with the size of the collection.
        Buried siblings drop out of the candidates, so enough more are read to
        fill the room anyway: one per card, none of a card studied or due today.
        """
        marker = self.store.change_marker()
        today = self.today()
        log = self._today_log()
        limits = self._limits()
        review_room = max(0, limits.reviews_per_day - log.reviews_studied)
        new_room = max(0, limits.new_per_day - log.new_studied)
        bury = self.settings.bury_siblings
        studied = len(log.studied_cards) if bury else 0
        directions = self.deck_directions()

        def candidates_with(new_limit: int) -> list[CardStatus]:
            return self.store.queue_statuses(
                directions,
                decks,
                today,
                review_limit=(review_room * 2 + studied * 2) if bury else review_room,
                new_limit=new_limit,
                extra=log.drills_pending,
            )

        # Each deck's first new_room new cards suffice unless burying leaves some
        # out; only then read as many more as could be buried (walking a large
        # deck for hundreds of new cards cost 20 ms of a 27 ms queue).
        candidates = candidates_with(new_room)
        if new_room and bury and buries_new_cards(candidates, today, log, limits):
            candidates = candidates_with(new_room + studied + review_room)
        entries = plan_queue(candidates, today, log, limits, bury_siblings=bury)
        chosen = None if decks is None else tuple(decks)
        return QueuePlan(tuple(entries), chosen, today, limits, bury, log.last_card, marker)

    def change_marker(self) -> tuple[int, int]:
        """What ``advance_queue`` compares to know nothing else was written."""
        return self.store.change_marker()

    def advance_queue(
        self, plan: QueuePlan, answered: QueueEntry, record: ReviewRecord, before: tuple[int, int]
    ) -> QueuePlan:
        """The plan after ``record`` (the answer to ``answered``), equal to building it
        again, without reading the candidates again where that is provably the same.

        ``before`` is ``Store.change_marker()`` read just before the answer: the
        plan is only advanced when nothing but this answer was written since it
        was made (no edit, undo, suspension or other process), on the same day,
        with the same settings, and the answer did not make a leech (which may
        suspend the card); otherwise it is built again from the database.
        """
        after = self.store.change_marker()
        if (
            before != plan.marker
            or after[1] != before[1]
            or self.today() != plan.today
            or self._limits() != plan.limits
            or not plan.bury_siblings
            or not self.settings.bury_siblings
            or self._last_leech != (record.id, False)
        ):
            return self.queue_plan(plan.decks)
        entries = advance_plan(plan.entries, answered, record, plan.today)
        if entries is None:
            return self.queue_plan(plan.decks)
        return replace(plan, entries=tuple(entries), last_card=record.card_id, marker=after)

    def queue_counts(self, decks: Sequence[str] | None = None) -> dict[str, QueueCounts]:
        """Due, new and drill counts per deck, read off the queue itself.

        Home, ``trainer due`` and the study screen all count this way, so the
        numbers agree: the daily limits, buried siblings and pending drills
        are applied once, by ``build_queue``.
        """
        counts: dict[str, QueueCounts] = {}
        for entry in self.queue(decks):
            deck = entry.card_id.split("/", 1)[0]
            old = counts.get(deck, QueueCounts())
            counts[deck] = QueueCounts(
                old.due + (entry.kind is QueueKind.REVIEW),
                old.new + (entry.kind is QueueKind.NEW),
                old.drill + (entry.kind is QueueKind.DRILL),
            )
        return counts

    def card(self, card_id: str) -> StoredCard:
        cards = self.store.cards([card_id])
        if not cards:
            raise UserError(f"no card {card_id!r}")
        return cards[0]

    def record_answer(
        self,
        card_id: str,
        direction: Direction,
        grade: int,
        mode: Mode,
        response_ms: int | None = None,
    ) -> ReviewRecord:
        """Grade one card; committed before this returns.

        The state is read, advanced and written in one write transaction, so two
        processes answering the same card queue up instead of both starting from
        the same old state. The log's time never runs backwards: if the clock
        did, the answer is stamped just after the latest one, so replaying the
        log in time order (which merges across devices need) is always the order
        the answers were given. The study day still comes from the clock.
        """
        now = self.now()
        today = study_day(now, self.tz, self.settings.rollover_hour)
        marker = self.store.change_marker()
        with self.store.write():
            states = self.store.states_of_card(card_id)
            before = states.get(direction, SM2State())
            drill = mode is Mode.DRILL
            after = before if drill else self.scheduler.review(before, grade, today)
            latest = self.store.latest_answer_time()
            stamp = now if latest is None or now > latest else latest + dt.timedelta(microseconds=1)
            record = ReviewRecord(
                id=review_id_at(stamp),
                card_id=card_id,
                direction=direction,
                answered_at=stamp,
                day=today,
                grade=grade,
                mode=mode,
                response_ms=response_ms,
                before=before,
                after=after,
            )
            leech = self._became_leech(record, states.get(_other(direction), SM2State()))
            suspend = leech and self.settings.leech_action == "suspend"
            self.store.append_review(record, leech=leech, suspend=suspend)
        self._last_leech = (record.id, leech)
        self._unchecked_answers += 1
        if not leech:  # a leech also marks (and may suspend) its card
            self._note_write(marker, record, had_state=direction in states)
        return record

    def keep_meta(self, key: str, value: str) -> None:
        """Keep a result that can be computed again (a report) in ``meta``, where no
        figure of ``answers_between``'s callers comes from."""
        marker = self.store.change_marker()
        self.store.try_set_meta(key, value)
        self._note_write(marker, None, had_state=False)

    def _note_write(
        self, before: tuple[int, int], record: ReviewRecord | None, had_state: bool
    ) -> None:
        after = self.store.change_marker()
        if after[1] == before[1]:  # no other connection wrote meanwhile
            self._journal.append(JournalEntry(before, after, record, had_state))

    def answers_between(
        self, marker: tuple[int, int], current: tuple[int, int]
    ) -> list[JournalEntry] | None:
        """The answers this trainer recorded between two reads of
        ``Store.change_marker()`` (``current`` the latest), in order, when they are
        provably all that was written in between (each write's markers link up,
        no other connection wrote, none made a leech); None otherwise: anything
        may have changed."""
        if current == marker:
            return []
        entries = list(self._journal)
        start = next((i for i, entry in enumerate(entries) if entry.before == marker), None)
        if start is None:
            return None
        at = marker
        for entry in entries[start:]:
            if entry.before != at:
                return None
            at = entry.after
        if at != current:
            return None
        return [entry for entry in entries[start:] if entry.record is not None]

    def preview_intervals(self, card_id: str, direction: Direction) -> dict[int, int]:
        """The interval in days each grade would give this card now, computed by the
        scheduler from the stored state (nothing is written): what the study
        screen shows beside each grade key."""
        from trainer.core.sm2 import Grade

        before = self.store.state_of(card_id, direction)
        today = self.today()
        return {
            int(grade): self.scheduler.review(before, int(grade), today).interval for grade in Grade
        }

    def is_new_leech(self, record: ReviewRecord) -> bool:
        """Whether this answer made its card a leech: the study screen says so once
        (known without a query for the answer just recorded)."""
        if self._last_leech[0] == record.id:
            return self._last_leech[1]
        return self._became_leech(record)

    def _became_leech(self, record: ReviewRecord, other: SM2State | None = None) -> bool:
        """One rule for lapses and leeches, per card over both directions.

        A lapse is a grade below 3 on a direction recalled before (``sm2.review``
        counts it); a card is a leech once the lapses of its directions add up to
        ``leech_lapses``, so a card failed in both directions is caught too.
        ``other`` is the other direction's state, read here when not given.
        """
        if other is None:
            other = self.store.state_of(record.card_id, _other(record.direction))
        besides = other.lapses
        before, after = record.before.lapses + besides, record.after.lapses + besides
        return lapses_reach(before, after, self.settings.leech_lapses)

    # ------------------------------------------------------ browse and edit
    def browse(
        self,
        query: str = "",
        decks: Sequence[str] | None = None,
        sort: str = "term",
        descending: bool = False,
        limit: int = 500,
    ) -> tuple[list[BrowseRow], int]:
        """Rows for Browse and ``trainer search``: one per card and studied direction.

        ``query`` is free text with ``tag:``/``deck:``/``is:`` filters
        (``trainer.core.search``); a bad filter raises ``QueryError``, a UserError.
        """
        from trainer.core.search import parse_query

        rows, total = self.store.browse(
            parse_query(query), self.deck_directions(), decks, sort, descending, limit
        )
        recall = self.predicted_recall([row.card_id for row in rows])
        if recall:
            rows = [replace(row, recall=recall.get(row.card_id)) for row in rows]
        return rows, total

    def leeches(self, decks: Sequence[str] | None = None) -> list[tuple[str, str, bool]]:
        """(card id, term, suspended) of every leech in ``decks`` (None: all)."""
        return self.store.leeches(decks)

    def rebuild(self) -> int:
        """Recompute every card's state from the review log; the number of states.

        The states are then marked as this scheduler's, in the same transaction.
        """
        with self.store.write():
            count = self.store.rebuild_card_state(self.replay)
            self.store.set_meta(STATES_KEY, scheduler_signature(self.scheduler))
        return count

    def replay_states_of(self, keys: Iterable[tuple[str, Direction]]) -> int:
        """Recompute the states of these card directions from the log (those new
        answers were added to), leaving every other state as it is."""
        return self.store.replay_states_of(keys, self.replay)

    def align_states(self) -> int | None:
        """Replay the log if the cached states come from another scheduler (or other
        FSRS parameters or retention) than this trainer's; the number replayed, or
        None when they already match. One indexed read when nothing changed."""
        wanted = scheduler_signature(self.scheduler)
        if (self.store.meta(STATES_KEY) or SM2_SIGNATURE) == wanted:
            return None
        return self.rebuild()

    def use_scheduler(self, settings: Settings) -> int | None:
        """Adopt changed scheduler settings (or new parameters) and replay the log to
        match; the number of states replayed, or None when nothing changed."""
        self.settings = settings
        self.scheduler = scheduler_for(settings, self.store)
        return self.align_states()

    def predicted_recall(self, card_ids: Sequence[str]) -> dict[str, float]:
        """FSRS's probability of recalling each studied card today (its weakest
        direction), when FSRS schedules; empty under SM-2, which predicts none."""
        recall = getattr(self.scheduler, "recall", None)
        if recall is None:
            return {}
        today = self.today()
        found: dict[str, float] = {}
        for card, states in self.store.memory_states(list(card_ids)).items():
            values = [p for p in (recall(state, today) for state in states) if p is not None]
            if values:
                found[card] = min(values)
        return found

    def set_suspended(self, card_id: str, suspended: bool) -> None:
        self.card(card_id)
        self.store.set_suspended(card_id, suspended)

    def find_card(self, term: str, decks: Sequence[str] | None = None) -> StoredCard:
        """The one card a user means by a term (or alias), or a clear error."""
        from trainer.core.model import normalize_term

        wanted = normalize_term(term)
        matches = [
            stored for stored in self.store.cards_by_term(wanted, decks) if not stored.retired
        ]
        if not matches:
            raise UserError(f"no card {term!r}")
        if len(matches) > 1:
            where = ", ".join(m.id for m in matches)
            raise UserError(f"{term!r} is in several decks ({where}); choose one with --deck")
        return matches[0]

    def editable_deck_path(self, slug: str) -> Path:
        """The deck file to edit; a bundled deck is first copied to the user decks folder."""
        import shutil

        recorded = self.store.deck_path(slug)
        if not recorded:
            raise UserError(f"no deck {slug!r}")
        path = Path(recorded)
        bundled = locations.bundled_decks_dir().resolve()
        if path.resolve().parent == bundled:
            if self.user_decks not in self.deck_dirs:
                self.deck_dirs.append(self.user_decks)  # so the copy wins from now on
            target = self.user_decks / path.name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            path = target
        return path

    def edit_card(self, card_id: str, edit: CardEdit) -> None:
        """Write a card's new text into its deck file (keeping comments), then reload it."""
        from trainer.app.deckedit import edit_card

        stored = self.card(card_id)
        path = self.editable_deck_path(stored.deck)
        if self._edit_in_place(stored, path, edit):
            return
        edited = edit_card(path, card_id.split("/", 1)[1], edit)
        self.sync_deck_file(path, edited.deck)

    def _edit_in_place(self, stored: StoredCard, path: Path, edit: CardEdit) -> bool:
        """Rewrite one card's block of a large deck in trainer's own form and load
        just that card; False (nothing written) when the whole file must be read.

        Loading and writing back all of a 100k-card deck for one edit took seconds.
        The file must be the one last loaded (size and time as recorded, the test
        ``sync_decks`` trusts too) with a copy of it kept, so it is in trainer's form.
        """
        from trainer.app.deckdelta import kept_copy, write_remembered
        from trainer.app.deckedit import edit_block
        from trainer.app.files import write_file

        recorded = self.store.deck_signatures().get(stored.deck)
        if recorded is None or Path(recorded.path).resolve() != path.resolve():
            return False
        kept = kept_copy(self.deck_copies, stored.deck, recorded.sha256)
        try:
            stat = path.stat()
            copy = kept.stat() if kept else None
        except OSError:
            return False
        if copy is None:
            return False
        if (stat.st_size, stat.st_mtime_ns) != (recorded.size, recorded.mtime_ns):
            return False
        if copy.st_size != stat.st_size:
            return False
        raw = path.read_bytes()
        identity = stored.id.split("/", 1)[1]
        edited = edit_block(raw, stored.card.term, identity, edit, stored.deck)
        if edited is None:
            return False
        _forget_cached(path)
        sha = write_remembered(
            self.deck_copies,
            stored.deck,
            edited.pieces,
            lambda link: write_file(path, edited.pieces, link),
        )
        stat = path.stat()
        signature = DeckSignature(recorded.path, stat.st_size, stat.st_mtime_ns, sha)
        if not self.store.update_deck_cards(stored.deck, [edited.card], signature, self.now()):
            self.sync_deck_file(path)  # written, but not loadable card by card: load it all
        return True

    def _sync_changed_cards(
        self, slug: str, path: Path, old: DeckSignature, raw: bytes, signature: DeckSignature
    ) -> bool:
        """Load only the cards that changed since the file was last loaded (see
        deckdelta); False when no copy of that text is kept or a full load is needed."""
        from trainer.app.deckdelta import changed_cards, recall, remember_file

        if not old.sha256 or old.size is None:
            return False
        old_raw = recall(self.deck_copies, slug, old.sha256, old.size)
        if old_raw is None:
            return False
        cards = changed_cards(old_raw, raw, slug, str(path))
        if cards is None:
            return False
        if not self.store.update_deck_cards(slug, cards, signature, self.now()):
            return False
        remember_file(self.deck_copies, slug, signature.sha256, raw, path)
        return True

    def _remember_deck(
        self, slug: str, sha256: str, raw: bytes, own_form: bool, path: Path
    ) -> None:
        """Keep a copy of a large deck in trainer's form (``raw``, just read from
        ``path``) for later partial re-loads."""
        from trainer.app.deckdelta import remember, remember_file

        if own_form:
            remember_file(self.deck_copies, slug, sha256, raw, path)
        else:
            remember(self.deck_copies, slug, sha256, b"")  # drops an older copy

    def add_card(self, deck: str, edit: CardEdit) -> str:
        from trainer.app.deckedit import add_card

        path = self.editable_deck_path(deck)
        added = add_card(path, edit)
        self.sync_deck_file(path, added.deck)
        return f"{deck}/{added.identity}"

    def retire_card(self, card_id: str) -> None:
        """Take a card out of its deck file and retire it, exactly as if the user had
        deleted it there: its reviews stay in the log, and putting the card back
        in the file brings it back with its history."""
        from trainer.app.deckedit import remove_card

        stored = self.card(card_id)
        path = self.editable_deck_path(stored.deck)
        removed = remove_card(path, card_id.split("/", 1)[1])
        self.sync_deck_file(path, removed.deck)

    def complete_draft(self, key: str, edit: CardEdit) -> str:
        """Give an imported card that lost its term (a Browse ``is:missing`` row) its
        term, in the deck file; returns the new card's id."""
        from trainer.app.deckedit import complete_draft
        from trainer.storage.store import parse_draft_id

        parsed = parse_draft_id(key)
        if parsed is None:
            raise UserError(f"{key!r} is not a card waiting for a term")
        deck, number = parsed
        path = self.editable_deck_path(deck)
        completed = complete_draft(path, number, edit)
        self.sync_deck_file(path, completed.deck)
        return f"{deck}/{completed.identity}"

    def undo(self, review_id: str) -> ReviewRecord:
        return self.store.undo_review(review_id, self.now(), self.replay)

    def progress(self, decks: Sequence[str] | None = None, days: int = 30) -> ProgressReport:
        """Progress statistics for the chosen decks over a window of days."""
        from trainer.app.progress import build_progress

        return build_progress(self, decks, days)

    def refuse_name_clash(self, slug: str, name: str, path: Path) -> None:
        """Refuse a new deck whose display name another deck already has: ``--deck
        NAME`` could no longer tell them apart (imports pass ``--force`` past this)."""
        wanted = name.casefold()
        for row in self.store.decks():
            if row.slug != slug and row.name.casefold() == wanted:
                raise UserError(
                    f"{shown(path)}: a deck named {shown(row.name)!r} already exists as "
                    f"{row.slug!r} (use --deck to choose another name, or --force to add it anyway)"
                )

    def sync_deck_being_written(self, written: BackgroundWrite, deck: Deck) -> None:
        """Load ``deck``, whose file ``written`` is writing meanwhile (an import's): its
        cards go in while the file is made, and the file's signature once it is done.

        One transaction (a savepoint in the caller's), so no one sees the deck
        before its signature is recorded, and a failed write rolls the cards back.
        """
        path = Path(os.path.abspath(written.path))
        if deck.slug != path.stem:
            deck = replace(deck, slug=path.stem)
        store = self.store
        with store.loading(deck), store.write():
            store.sync_deck(deck, DeckSignature(str(path), 0, 0, ""), self.now())
            done = written.result()
            signature = DeckSignature(str(path), done.size, done.mtime_ns, done.sha256)
            store.record_deck_signature(deck.slug, signature)

    def settle_deck_copies(self) -> None:
        """Wait for the kept deck copies still being written by threads, so that the
        import's children can be forked (see ``app.files.ForkedJob``)."""
        from trainer.app.deckdelta import settle_all

        settle_all()

    def keep_deck_copy(self, path: Path) -> Callable[[bytes, str], None]:
        """What keeps the copy of a deck file trainer wrote at ``path`` (for
        ``BackgroundWrite``), as ``sync_deck_file`` keeps one of a file it wrote and
        loaded. It waits for the copy's own file: in a forked child, a thread left
        writing it would end with the child."""
        from trainer.app.deckdelta import settle
        from trainer.app.deckfile import has_surrogate_escape

        slug = Path(os.path.abspath(path)).stem

        def keep(raw: bytes, sha256: str) -> None:
            own_form = not has_surrogate_escape(raw.decode("utf-8", "replace"))
            self._remember_deck(slug, sha256, raw, own_form, path)
            settle(self.deck_copies, slug)

        return keep

    def sync_deck_file(
        self, path: Path, deck: Deck | None = None, written: str | None = None
    ) -> None:
        """Load one deck file now (it may live outside the deck folders).

        ``deck`` is the file's content when the caller has just written it, so
        an import does not parse back the YAML it produced; ``written``, the
        text it wrote there, spares reading and decoding the file again.
        """
        from trainer.app.deckfile import (
            decode_deck_bytes,
            has_surrogate_escape,
            parse_deck_text_form,
        )
        from trainer.app.files import MAX_DECK_BYTES, read_bounded

        path = Path(os.path.abspath(path))  # a symlink stays the deck's name, as in the folder
        if deck is not None and written is not None:
            raw = written.encode("utf-8")
        else:
            raw = read_bounded(path, MAX_DECK_BYTES, "deck file")
        if deck is None:
            deck, own_form = parse_deck_text_form(
                decode_deck_bytes(raw, str(path)), path.stem, str(path)
            )
        else:
            # the caller wrote the file with dump_deck_fast: trainer's own form
            text = written if written is not None else raw.decode("utf-8", "replace")
            own_form = not has_surrogate_escape(text)
            if deck.slug != path.stem:
                deck = replace(deck, slug=path.stem)
        stat = path.stat()
        digest = hashlib.sha256(raw).hexdigest()
        signature = DeckSignature(str(path), stat.st_size, stat.st_mtime_ns, digest)
        self.store.sync_deck(deck, signature, self.now())
        self._remember_deck(deck.slug, digest, raw, own_form, path)


#: The meta key naming the scheduler whose states card_state caches.
STATES_KEY = "card_state_scheduler"
#: What a database without that key holds: every version before FSRS scheduled with SM-2.
SM2_SIGNATURE = "sm2"


def scheduler_for(settings: Settings, store: Store) -> Scheduler[SM2State]:
    """The scheduler the settings choose; FSRS with the latest fit to this log, if any."""
    if settings.scheduler != "fsrs":
        return SM2()
    from trainer.app.fsrs_scheduler import FSRSScheduler

    fit = store.latest_fit("fsrs")
    return FSRSScheduler(fit[0] if fit else None, settings.desired_retention)


def scheduler_signature(scheduler: Scheduler[SM2State]) -> str:
    """What makes one scheduler's states differ from another's."""
    return str(getattr(scheduler, "signature", scheduler.name))


def _other(direction: Direction) -> Direction:
    return Direction.REVERSE if direction is Direction.FORWARD else Direction.FORWARD


def _usable_name(name: str) -> bool:
    """Whether a file name can be stored and printed: valid UTF-8, no control character."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes arrive as lone surrogates
        return False
    return name.isprintable()


def _forget_cached(path: Path) -> None:
    """Let the system drop its cached pages of a file about to be replaced.

    Its bytes are in memory already; without this, writing the new text of a
    20 MB deck grew the page cache by as much, which right after an import
    took 100-200 ms more than writing into pages just given back."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def _parsed_deck(raw: bytes, slug: str, source: str, sha256: str) -> tuple[Deck, bool]:
    """A deck file's deck, and whether it is in trainer's own form. A bundled deck's
    very bytes come already parsed (``bundled_forms``); imported here, past the
    unchanged files, and PyYAML only for a hand-written deck."""
    from trainer.app import bundled_forms

    document = bundled_forms.document(sha256)
    if document is not None:
        return deck_from_data(document, slug, source), False
    from trainer.app.deckfile import decode_deck_bytes, parse_deck_text_form

    return parse_deck_text_form(decode_deck_bytes(raw, source), slug, source)


def _remembered(source: str, stored: str) -> DeckError:
    """The DeckError a file was refused with, from its stored ``line:message`` form."""
    line, _, message = stored.partition(":")
    return DeckError(source, int(line) if line.isdigit() else None, message)


def _after_path(message: str, source: str) -> str:
    """A FileRefused message without its leading path, for a DeckError that adds it."""
    prefix = f"{source}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
