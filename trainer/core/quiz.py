"""Multiple-choice quizzes, built as a pure function of the cards and a seeded rng.

Design decisions:

- The caller passes a ``random.Random``; nothing here touches the global
  ``random`` state, so the same seed and the same cards give the same quiz and a
  quiz can be replayed from its seed.
- Options are compared after ``normalize_term``: two options that differ only in
  case or spacing would either give the answer away or make two options right.
  Term options also honour aliases, since "CPU" is a right answer for the card
  "Central processing unit".
- Distractors are drawn by weighted sampling without replacement
  (Efraimidis-Spirakis keys), not by taking the best-scored ones: plausible
  distractors (shared tags, similar length) win most of the time, yet quizzes
  still vary with the seed.
- A pool too small for the requested number of choices shrinks the question and
  says so rather than crash or repeat an option; a question with no distractor
  at all is skipped with a note, and the next item takes its place.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from trainer.core.fairness import (
    FUNCTION_WORDS,
    CardNames,
    card_names,
    is_acronym,
    mask_names,
    names_itself,
    word_set,
)
from trainer.core.model import CardStatus, normalize_term
from trainer.core.quiz_options import DEFAULT_CHOICES, DEFAULT_QUESTIONS, QuizDirection
from trainer.core.sm2 import SM2State
from trainer.errors import TrainerError

__all__ = [
    "AnswerResult",
    "Question",
    "Quiz",
    "QuizDirection",
    "QuizError",
    "QuizItem",
    "QuizScore",
    "answer_question",
    "build_quiz",
    "due_soon_items",
    "retake_items",
    "score_quiz",
    "weakest_items",
]

#: Each tag a distractor shares with the answer adds this much to its weight factor.
TAG_WEIGHT = 2.0
#: Keeps distractors of very different length possible, only unlikely.
LENGTH_FLOOR = 0.1
#: A distractor of the answer's form (an acronym among acronyms) weighs this much more.
FORM_WEIGHT = 3.0
#: Fair candidates weighed per question: this many per distractor, at least ``SHORTLIST_MIN``.
SHORTLIST_FACTOR = 4
SHORTLIST_MIN = 12
#: Further fair candidates searched for one that hides the answer's shared words.
COVER_SCAN = 256
#: At most this many covering options per question, so the rest still vary.
COVERS = 3
#: A deck larger than this offers distractors from a random sample of this many cards.
DISTRACTOR_SAMPLE = 512


class QuizError(TrainerError, ValueError):
    """A quiz cannot be built or scored from these arguments.

    A ``ValueError`` so callers that already validate user input catch it too.
    """


@dataclass(frozen=True)
class QuizItem:
    """A card as the quiz sees it: both sides plus what makes distractors plausible."""

    card_id: str
    deck: str
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: a cloze card's gap answer: its question (the term) is always asked, and
    #: the options are the gap answers of other cloze cards
    gap: str | None = None


@dataclass(frozen=True)
class Question:
    """One question; ``option_card_ids`` says which card each option came from."""

    card_id: str
    kind: QuizDirection
    prompt: str
    options: tuple[str, ...]
    option_card_ids: tuple[str, ...]
    answer_index: int
    note: str | None = None

    def __post_init__(self) -> None:
        if self.kind is QuizDirection.MIXED:
            raise QuizError("a question is asked in one direction, never 'mixed'")
        if len(self.options) != len(self.option_card_ids):
            raise QuizError("options and option_card_ids must have the same length")
        if not 0 <= self.answer_index < len(self.options):
            raise QuizError(f"answer_index {self.answer_index} is outside the options")

    @property
    def answer(self) -> str:
        return self.options[self.answer_index]


@dataclass(frozen=True)
class Quiz:
    questions: tuple[Question, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerResult:
    """One answered question; ``chosen_index`` is None when skipped or timed out."""

    question: Question
    chosen_index: int | None
    correct: bool
    response_ms: int | None


@dataclass(frozen=True)
class QuizScore:
    correct: int
    total: int
    missed: tuple[AnswerResult, ...]

    @property
    def percent(self) -> float:
        """Share of right answers in percent; 0.0 for an empty quiz rather than a crash."""
        return 100.0 * self.correct / self.total if self.total else 0.0


# --- building ---------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """A quiz item with its names and keys computed once, not once per question."""

    item: QuizItem
    names: CardNames
    term_key: str
    definition_key: str
    tags: frozenset[str]
    acronym: bool

    @classmethod
    def of(cls, item: QuizItem) -> _Candidate:
        names = card_names(item.term, tuple(item.aliases))
        return cls(
            item=item,
            names=names,
            term_key=normalize_term(item.term),
            definition_key=normalize_term(item.definition if item.gap is None else item.gap),
            tags=frozenset(normalize_term(tag) for tag in item.tags),
            acronym=is_acronym(item.term),
        )

    @property
    def side(self) -> str:
        """The definition side: a definition, or a cloze card's gap answer."""
        return self.item.definition if self.item.gap is None else self.item.gap


@dataclass(frozen=True)
class _Option:
    """A candidate as one question would show it, with the cues a guesser could read."""

    cand: _Candidate
    text: str
    length: int
    #: words shared with the question: content words, all words
    overlap: tuple[int, int]


class _Pool:
    """Distractor candidates grouped by deck, each prepared when first looked at.

    Most questions never look beyond their own deck, and in a large deck only
    a sample (``DISTRACTOR_SAMPLE``), so a 100k-card pool costs what is drawn.
    """

    def __init__(self, items: Sequence[QuizItem]) -> None:
        self._raw: dict[str, list[QuizItem]] = {}
        for item in items:
            self._raw.setdefault(item.deck, []).append(item)
        self._ready: dict[int, _Candidate] = {}
        self._others: dict[str, list[QuizItem]] = {}

    def candidates(self, items: Sequence[QuizItem]) -> list[_Candidate]:
        ready = self._ready
        found = []
        for item in items:
            cand = ready.get(id(item))
            if cand is None:
                cand = ready[id(item)] = _Candidate.of(item)
            found.append(cand)
        return found

    def groups_for(self, deck: str) -> tuple[list[QuizItem], list[QuizItem]]:
        """The question's own deck, and every other deck together."""
        if deck not in self._others:
            self._others[deck] = [
                item for name, items in self._raw.items() if name != deck for item in items
            ]
        return self._raw.get(deck, []), self._others[deck]

    def draws(self, group: list[QuizItem], rng: random.Random) -> Iterator[list[QuizItem]]:
        """A large group's random sample first, then (rarely needed) all of it.

        Weighting every card of a 100k-card deck for each question took half a
        second; a few hundred random cards still offer plausible distractors.
        """
        if len(group) > DISTRACTOR_SAMPLE:
            yield rng.sample(group, DISTRACTOR_SAMPLE)
        yield group


class _Asking:
    """One question being built: the answer, what is shown, and the rules for options."""

    def __init__(self, answer: _Candidate, kind: QuizDirection) -> None:
        self.answer = answer
        self.kind = kind
        item = answer.item
        #: a cloze card: its question is its own text and the options are gap answers
        self.cloze = item.gap is not None
        if self.cloze:
            self.prompt = item.term
            answer_text = answer.side
        elif kind is QuizDirection.TERM:
            self.prompt = item.term
            answer_text = mask_names(item.definition, answer.names)
        else:
            self.prompt = mask_names(item.definition, answer.names)
            answer_text = item.term
        self.prompt_words = word_set(self.prompt)
        self.answer_option = self.option(answer, answer_text)

    def option(self, cand: _Candidate, text: str | None = None) -> _Option:
        if text is None:
            if self.cloze:
                text = cand.side
            elif self.kind is QuizDirection.TERM:
                text = mask_names(cand.item.definition, cand.names, self.answer.names)
            else:
                text = cand.item.term
        shared = word_set(text) & self.prompt_words
        return _Option(cand, text, len(text), (len(shared - FUNCTION_WORDS), len(shared)))

    def collides(self, cand: _Candidate) -> bool:
        """True when ``cand`` would be a second right answer or is named by the question.

        Two cards share an identity when a name of one is a name of the other, or
        when one is an acronym of the other ("SFT", "Supervised Fine-Tuning").
        """
        answer = self.answer
        if cand.item.card_id == answer.item.card_id:
            return True
        if (cand.item.gap is not None) != self.cloze:
            return True  # gaps answer gaps, definitions answer terms
        if self.cloze:
            return cand.definition_key == answer.definition_key
        if self.kind is QuizDirection.TERM and (
            cand.definition_key == answer.definition_key
            or names_itself(cand.item.definition, answer.names)
        ):
            return True
        if self.kind is QuizDirection.DEFINITION and names_itself(cand.item.term, answer.names):
            return True
        if cand.names.keys & answer.names.keys:
            return True
        if (cand.acronym or answer.acronym) and cand.names.acronyms & answer.names.acronyms:
            return True
        return names_itself(self.prompt, cand.names)

    def weight(self, cand: _Candidate) -> float:
        """Sampling weight: shared tags, the same form (acronym or not), similar length."""
        shared = len(cand.tags & self.answer.tags)
        form = FORM_WEIGHT if cand.acronym == self.answer.acronym else 1.0
        mine = len(cand.item.definition if self.kind is QuizDirection.TERM else cand.item.term)
        theirs = self.answer_option.length
        similarity = min(mine, theirs) / max(mine, theirs, 1)
        return (1.0 + TAG_WEIGHT * shared) * form * (LENGTH_FLOOR + similarity)


def _weighted_order(
    cands: list[_Candidate], asking: _Asking, rng: random.Random
) -> list[_Candidate]:
    """A weighted random permutation: each next pick is proportional to its weight."""
    keyed = [
        (rng.random() ** (1.0 / asking.weight(cand)), index) for index, cand in enumerate(cands)
    ]
    keyed.sort(reverse=True)
    return [cands[index] for _, index in keyed]


def _fair_options(
    asking: _Asking, pool: _Pool, group: list[QuizItem], seen: set[str], rng: random.Random
) -> Iterator[_Option]:
    """The group's fair options, distinct after normalization, likeliest first."""
    for draw in pool.draws(group, rng):
        for cand in _weighted_order(pool.candidates(draw), asking, rng):
            if asking.collides(cand):
                continue
            option = asking.option(cand)
            key = normalize_term(option.text)
            if key and key not in seen:
                seen.add(key)
                yield option


def _cover(answer: _Option, option: _Option) -> int:
    """How well ``option`` hides the answer's overlap with the question; 0 not at all.

    Both counts (content words, all words) must be at least the answer's; each
    count that is larger adds one, so sharing more words in both scores 3.
    """
    pairs = list(zip(option.overlap, answer.overlap, strict=True))
    if any(mine < theirs for mine, theirs in pairs):
        return 0
    return 1 + sum(mine > theirs for mine, theirs in pairs)


def _covering(answer: _Option, shortlist: list[_Option], more: Iterator[_Option]) -> list[_Option]:
    """The options that hide the answer's word overlap with the question.

    Options sharing more words than the answer come first, then ones sharing as
    many; the shortlist is searched, then up to ``COVER_SCAN`` more fair options,
    since a deck may hold few cards that share the question's words.
    """
    found = [*shortlist, *itertools.islice(more, COVER_SCAN)]
    ranked = sorted(
        (option for option in found if _cover(answer, option)),
        key=lambda option: -_cover(answer, option),
    )
    return ranked


def _balanced(
    shortlist: list[_Option],
    answer: _Option,
    covers: list[_Option],
    wanted: int,
    rng: random.Random,
) -> list[_Option]:
    """``wanted`` options from the shortlist that leave no surface cue to the answer.

    The answer's length rank among the options is drawn uniformly, so picking
    the longest, shortest or middle option scores chance; and when the answer
    shares words with the question, the ``covers`` sharing more (else as
    many) is taken first, so picking the most similar option does not find it.
    """
    shorter_wanted = rng.randrange(wanted + 1)
    need = {True: shorter_wanted, False: wanted - shorter_wanted}
    picked: list[_Option] = []
    for option in covers:
        if len(picked) >= min(COVERS, wanted):
            break
        side = option.length < answer.length
        if option.length == answer.length or need[side] > 0:
            picked.append(option)
            need[side] -= option.length != answer.length
    rest = [o for o in shortlist if o not in picked]
    picked += [o for o in rest if o.length < answer.length][: max(need[True], 0)]
    picked += [o for o in rest if o.length > answer.length][: max(need[False], 0)]
    for option in [*covers, *rest]:
        if len(picked) >= wanted:
            break
        if option not in picked:
            picked.append(option)
    return picked[:wanted]


def _ask(
    item: QuizItem, kind: QuizDirection, pool: _Pool, choices: int, rng: random.Random
) -> Question | None:
    """One question about ``item``, or None when no fair distractor exists."""
    if item.gap is not None:
        kind = QuizDirection.TERM  # a cloze card's definition would give its gap away
    asking = _Asking(_Candidate.of(item), kind)
    wanted = choices - 1
    size = max(SHORTLIST_FACTOR * wanted, SHORTLIST_MIN)
    answer = asking.answer_option
    seen = {normalize_term(answer.text)}
    own, others = pool.groups_for(item.deck)
    fair = _fair_options(asking, pool, own, seen, rng)
    shortlist = list(itertools.islice(fair, size))
    if len(shortlist) < wanted:  # other decks fill in only for a deck too small
        fair = _fair_options(asking, pool, others, seen, rng)
        shortlist += itertools.islice(fair, size - len(shortlist))
    if any(answer.overlap):  # a cover may come from another deck: fairness comes first
        more = itertools.chain(fair, _fair_options(asking, pool, others, seen, rng))
        covers = _covering(answer, shortlist, more)
    else:
        covers = []
    distractors = _balanced(shortlist, answer, covers, wanted, rng)
    if not distractors:
        return None
    rng.shuffle(distractors)
    options = [*distractors]
    answer_index = rng.randrange(len(options) + 1)
    options.insert(answer_index, asking.answer_option)
    return Question(
        card_id=item.card_id,
        kind=kind,
        prompt=asking.prompt,
        options=tuple(option.text for option in options),
        option_card_ids=tuple(option.cand.item.card_id for option in options),
        answer_index=answer_index,
        note=_shortfall_note(len(options), choices, kind),
    )


def _option_noun(kind: QuizDirection) -> str:
    return "definitions" if kind is QuizDirection.TERM else "terms"


def _shortfall_note(count: int, choices: int, kind: QuizDirection) -> str | None:
    if count >= choices:
        return None
    return f"only {count} options: only {count} distinct {_option_noun(kind)} available"


def _check_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise QuizError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _parse_direction(direction: QuizDirection | str) -> QuizDirection:
    text = direction.strip().lower() if isinstance(direction, str) else direction
    try:
        return QuizDirection(text)
    except ValueError:
        choices = ", ".join(member.value for member in QuizDirection)
        raise QuizError(f"unknown quiz direction {direction!r}; expected {choices}") from None


def _unique(items: Sequence[QuizItem]) -> list[QuizItem]:
    """Items with repeated card ids dropped (first wins), so no card is asked twice."""
    seen: set[str] = set()
    unique: list[QuizItem] = []
    for item in items:
        if item.card_id not in seen:
            seen.add(item.card_id)
            unique.append(item)
    return unique


def _kind_for(direction: QuizDirection, rng: random.Random) -> QuizDirection:
    if direction is QuizDirection.MIXED:
        return rng.choice((QuizDirection.TERM, QuizDirection.DEFINITION))
    return direction


def build_quiz(
    items: Sequence[QuizItem],
    pool: Sequence[QuizItem],
    *,
    questions: int = DEFAULT_QUESTIONS,
    choices: int = DEFAULT_CHOICES,
    direction: QuizDirection | str = QuizDirection.TERM,
    rng: random.Random,
) -> Quiz:
    """Ask up to ``questions`` of ``items``, with distractors drawn from ``pool``.

    Items are visited in an rng-shuffled order until enough questions are built,
    so a skipped item (no distractor available) is replaced by the next one.
    """
    wanted = _check_count("questions", questions, 1)
    width = _check_count("choices", choices, 2)
    mode = _parse_direction(direction)
    if not isinstance(rng, random.Random):
        raise QuizError(f"rng must be a seeded random.Random, got {rng!r}")
    unique = _unique(items)
    if not unique:
        raise QuizError("cannot build a quiz from an empty list of items")
    candidates = _Pool(pool)
    built: list[Question] = []
    notes: list[str] = []
    for item in rng.sample(unique, len(unique)):
        if len(built) >= wanted:
            break
        kind = _kind_for(mode, rng)
        question = _ask(item, kind, candidates, width, rng)
        if question is None:
            notes.append(f"skipped {item.card_id}: no other distinct {_option_noun(kind)}")
        else:
            built.append(question)
    return Quiz(questions=tuple(built), notes=tuple(notes))


# --- scoring ----------------------------------------------------------------


def answer_question(
    question: Question, chosen_index: int | None, response_ms: int | None = None
) -> AnswerResult:
    """Grade one answer; no choice (skip, timeout) counts as wrong."""
    if chosen_index is not None and not 0 <= chosen_index < len(question.options):
        raise QuizError(f"chosen index {chosen_index} is outside the options")
    correct = chosen_index == question.answer_index
    return AnswerResult(question, chosen_index, correct, response_ms)


def score_quiz(results: Sequence[AnswerResult]) -> QuizScore:
    missed = tuple(result for result in results if not result.correct)
    return QuizScore(correct=len(results) - len(missed), total=len(results), missed=missed)


def retake_items(score: QuizScore, items: Sequence[QuizItem]) -> list[QuizItem]:
    """The items that were missed, in the order of ``items``, each once."""
    missed_ids = {result.question.card_id for result in score.missed}
    return [item for item in _unique(items) if item.card_id in missed_ids]


# --- choosing what to quiz --------------------------------------------------


def _studied_states(statuses: Sequence[CardStatus]) -> dict[str, list[SM2State]]:
    """Scheduled states per card, across directions; never-studied ones left out."""
    states: dict[str, list[SM2State]] = {}
    for status in statuses:
        if not status.state.is_new:
            states.setdefault(status.card_id, []).append(status.state)
    return states


def weakest_items(
    items: Sequence[QuizItem], statuses: Sequence[CardStatus], n: int
) -> list[QuizItem]:
    """The ``n`` weakest cards: most lapses (summed over directions), then lowest easiness.

    Never-studied cards come last: nothing is known about them, so they are no
    evidence of weakness. Ties keep the order of ``items``.
    """
    count = _check_count("n", n, 0)
    states = _studied_states(statuses)

    def weakness(item: QuizItem) -> tuple[int, int, float]:
        studied = states.get(item.card_id)
        if not studied:
            return (1, 0, 0.0)
        lapses = sum(state.lapses for state in studied)
        return (0, -lapses, min(state.easiness for state in studied))

    return sorted(_unique(items), key=weakness)[:count]


def _horizon(today: dt.date, within_days: int) -> dt.date:
    """The last day that counts as soon; a window past year 9999 means everything."""
    try:
        return today + dt.timedelta(days=within_days)
    except OverflowError:
        return dt.date.max


def due_soon_items(
    items: Sequence[QuizItem],
    statuses: Sequence[CardStatus],
    today: dt.date,
    within_days: int,
    n: int,
) -> list[QuizItem]:
    """Up to ``n`` cards due on or before ``today + within_days``, soonest first.

    Overdue cards count as due soonest. A card's due date is its earliest over
    both directions; retired and suspended states are not scheduled, so ignored.
    """
    count = _check_count("n", n, 0)
    horizon = _horizon(today, _check_count("within_days", within_days, 0))
    earliest: dict[str, dt.date] = {}
    for status in statuses:
        due = status.state.due
        if due is None or status.retired or status.suspended:
            continue
        earliest[status.card_id] = min(due, earliest.get(status.card_id, due))
    soon = [
        item
        for item in _unique(items)
        if item.card_id in earliest and earliest[item.card_id] <= horizon
    ]
    return sorted(soon, key=lambda item: earliest[item.card_id])[:count]
