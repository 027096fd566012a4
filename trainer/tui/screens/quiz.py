"""Quiz: a question, its numbered options, feedback after each answer; then the results.

The screen is a thin view over ``trainer.app.quiz_run.QuizRun``: the run grades,
logs wrong answers on studied cards as reviews and saves the attempt; the
screen only measures answer times and draws. No option is highlighted until an
arrow key is pressed, so the enter that dismisses one question's feedback can
never answer the next question by accident.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from trainer.app.quiz_run import RETAKE_SOURCE, QuizOptions, QuizRun
from trainer.app.trainer import UserError
from trainer.core.quiz import AnswerResult, Question, QuizDirection, QuizItem
from trainer.core.text import count_text, duration_text, one_line, visible

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp

#: Options beyond this many are reached with the arrow keys only.
NUMBER_KEYS = 9
ASK = {
    QuizDirection.TERM: "Which definition matches this term?",
    QuizDirection.DEFINITION: "Which term matches this definition?",
}
#: Feedback longer than this names the answer's number only (the option shows its text).
FEEDBACK_WIDTH = 76
RIGHT_MARK = "✓"
WRONG_MARK = "✗"


class OptionRow(Horizontal):
    """One numbered option: the key on the left, the (wrapping) text beside it."""

    def __init__(self, index: int) -> None:
        super().__init__(id=f"option-{index + 1}", classes="quiz-option")
        self.index = index

    def compose(self) -> ComposeResult:
        yield Static(classes="option-key", markup=False)
        yield Static(classes="option-text", markup=False)

    def show(self, text: str, mark: str = " ") -> None:
        key = str(self.index + 1)
        self.query_one(".option-key", Static).update(f"{mark} {key}")
        self.query_one(".option-text", Static).update(visible(text))


class QuizScreen(Screen[None]):
    BINDINGS = [
        *(
            Binding(str(n), f"choose({n - 1})", f"Answer {n}", id=f"quiz.answer{n}", show=False)
            for n in range(1, NUMBER_KEYS + 1)
        ),
        Binding("up", "move(-1)", "Previous option", id="quiz.up", show=False, priority=True),
        Binding("down", "move(1)", "Next option", id="quiz.down", show=False, priority=True),
        Binding("enter", "choose_selected", "Answer", id="quiz.answer_selected"),
        Binding("enter,space", "next", "Next", id="quiz.next"),
        Binding("escape", "leave", "Leave", id="quiz.leave"),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def __init__(self, options: QuizOptions | None = None, *, run: QuizRun | None = None) -> None:
        super().__init__()
        self.options = options or QuizOptions()
        self.run = run
        self.cursor: int | None = None
        self.result: AnswerResult | None = None
        self.shown_at = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="quiz-status", markup=False)
        # The question sits above the options' scroll, so answering (which scrolls
        # the right option into view) never scrolls the question away.
        with VerticalScroll(id="quiz-question"):
            yield Static(id="quiz-ask", classes="label", markup=False)
            yield Static(id="quiz-prompt", markup=False)
            yield Static(id="quiz-note", markup=False)
        with VerticalScroll(id="quiz-body"):
            yield Vertical(id="quiz-options")
        yield Static(id="quiz-feedback", markup=False)
        yield Static(id="quiz-hint", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        if self.run is None:
            try:
                self.run = QuizRun.start(self.app.trainer, self.options)
            except UserError as error:
                self.app.notify(
                    str(error), title="No quiz", severity="warning", timeout=8, markup=False
                )
                self.app.pop_screen()
                return
        self.sub_title = self._title()
        width = max(len(question.options) for question in self.run.questions)
        await self.query_one("#quiz-options", Vertical).mount_all(
            OptionRow(index) for index in range(width)
        )
        for note in self.run.notes:
            self.notify(note, timeout=5, markup=False)
        self.show_current()

    def _title(self) -> str:
        assert self.run is not None
        names = {row.slug: row.name for row in self.app.trainer.decks()}
        chosen = self.run.decks if self.run.options.decks else []
        decks = ", ".join(names.get(slug, slug) for slug in chosen) or "all decks"
        label = {"weakest": "weakest cards", "due-soon": "due soon", "retake": "retake"}
        source = label.get(self.run.source)
        return f"Quiz: {decks}" + (f" ({source})" if source else "")

    # ---------------------------------------------------------------- drawing
    @property
    def question(self) -> Question | None:
        return self.run.current if self.run is not None else None

    def show_current(self) -> None:
        assert self.run is not None
        question = self.run.current
        if question is None:
            self.finish()
            return
        self.cursor = None
        self.result = None
        self._draw_status()
        self.query_one("#quiz-ask", Static).update(ASK[question.kind])
        self.query_one("#quiz-prompt", Static).update(visible(question.prompt))
        note = self.query_one("#quiz-note", Static)
        note.update(f"Note: {question.note}." if question.note else "")
        note.set_class(bool(question.note), "active")
        for row in self.query(OptionRow):
            present = row.index < len(question.options)
            row.display = present
            row.remove_class("selected", "correct", "wrong", "other")
            if present:
                row.show(question.options[row.index])
        self.query_one("#quiz-feedback", Static).update("")
        self.query_one("#quiz-feedback", Static).remove_class("right", "wrong")
        count = len(question.options)
        keys = f"1-{min(count, NUMBER_KEYS)}"
        self.query_one("#quiz-hint", Static).update(
            f"{keys}: answer   ↑↓ + enter: choose   esc: leave"
        )
        self.query_one("#quiz-body", VerticalScroll).scroll_home(animate=False)
        self.query_one("#quiz-question", VerticalScroll).scroll_home(animate=False)
        self.shown_at = time.monotonic()
        self.refresh_bindings()

    def _draw_status(self) -> None:
        assert self.run is not None
        score = self.run.score
        number = self.run.index if self.result is not None else self.run.index + 1
        self.query_one("#quiz-status", Static).update(
            f"Question {number} of {len(self.run.questions)} · "
            f"{score.correct} right · {score.total - score.correct} wrong"
        )

    def _draw_cursor(self) -> None:
        for row in self.query(OptionRow):
            row.set_class(row.index == self.cursor, "selected")
        if self.cursor is not None:
            self.query_one(f"#option-{self.cursor + 1}", OptionRow).scroll_visible(animate=False)

    def _draw_feedback(self, result: AnswerResult) -> None:
        question = result.question
        for row in self.query(OptionRow):
            if row.index >= len(question.options):
                continue
            right = row.index == question.answer_index
            chosen = row.index == result.chosen_index
            row.set_class(right, "correct")
            row.set_class(chosen and not right, "wrong")
            row.set_class(not (right or chosen), "other")
            row.remove_class("selected")
            mark = RIGHT_MARK if right else WRONG_MARK if chosen else " "
            row.show(question.options[row.index], mark)
        feedback = self.query_one("#quiz-feedback", Static)
        number = question.answer_index + 1
        chosen = self.run.chosen_card(result) if self.run is not None else None
        feedback.update(feedback_text(result, chosen=chosen))
        feedback.set_class(result.correct, "right")
        feedback.set_class(not result.correct, "wrong")
        self._draw_status()
        last = self.run is not None and self.run.index >= len(self.run.questions)
        self.query_one("#quiz-hint", Static).update(
            "enter/space: " + ("see the results" if last else "next question") + "   esc: leave"
        )
        self.query_one(f"#option-{number}", OptionRow).scroll_visible(animate=False)
        self.refresh_bindings()

    # ---------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        question = self.question
        waiting = question is not None and self.result is None
        if action == "choose":
            return waiting and isinstance(parameters[0], int) and parameters[0] < _count(question)
        if action == "move":
            return waiting
        if action == "choose_selected":
            return waiting and self.cursor is not None
        if action == "next":
            return self.result is not None
        return True

    def action_choose(self, index: int) -> None:
        question = self.question
        if question is None or self.result is not None or not 0 <= index < len(question.options):
            return
        assert self.run is not None
        elapsed_ms = int((time.monotonic() - self.shown_at) * 1000)
        self.result = self.run.answer(index, elapsed_ms)
        self._draw_feedback(self.result)
        self.app.answered()

    def action_move(self, step: int) -> None:
        question = self.question
        if question is None or self.result is not None:
            return
        count = len(question.options)
        if self.cursor is None:
            self.cursor = 0 if step > 0 else count - 1
        else:
            self.cursor = (self.cursor + step) % count
        self._draw_cursor()
        self.refresh_bindings()

    def action_choose_selected(self) -> None:
        if self.cursor is not None:
            self.action_choose(self.cursor)

    def action_next(self) -> None:
        if self.result is not None:
            self.show_current()

    def action_leave(self) -> None:
        self.finish()

    def on_click(self, event: events.Click) -> None:
        """A click on an option answers with it, like its number key."""
        if event.widget is None:
            return
        for node in event.widget.ancestors_with_self:
            if isinstance(node, OptionRow):
                self.action_choose(node.index)
                return

    def on_unmount(self) -> None:
        """Closing the app (ctrl+q, a closed browser tab) still keeps what was answered."""
        if self.run is not None and self.run.results:
            self.run.finish()

    def finish(self) -> None:
        """Save what was answered (once) and show the results, or go Home if nothing was."""
        if self.run is None:
            self.app.pop_screen()
            return
        self.run.finish()
        if self.run.results:
            self.app.switch_screen(QuizResultsScreen(self.run))
        else:
            self.app.notify("Quiz left before the first answer; nothing saved.", timeout=3)
            self.app.pop_screen()


def _count(question: Question | None) -> int:
    return len(question.options) if question is not None else 0


def feedback_text(
    result: AnswerResult, width: int = FEEDBACK_WIDTH, chosen: QuizItem | None = None
) -> str:
    """Right or wrong and which option is the answer (its text if it fits); after a
    wrong answer a second line names the card the chosen option belongs to, which
    is what tells the learner what they confused."""
    first = _verdict(result, width)
    if chosen is None:
        return first
    if result.question.kind is QuizDirection.TERM:
        second = f"You picked the definition of {visible(one_line(chosen.term))!r}."
    else:
        term, definition = visible(one_line(chosen.term)), visible(one_line(chosen.definition))
        second = f"You picked {term!r}: {definition}"
    return f"{first}\n{clip(second, width)}"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _verdict(result: AnswerResult, width: int) -> str:
    question = result.question
    number = question.answer_index + 1
    if result.correct:
        return f"{RIGHT_MARK} Right! The answer is {number}."
    chosen = "no answer" if result.chosen_index is None else f"you chose {result.chosen_index + 1}"
    head = f"{WRONG_MARK} Wrong: {chosen}. The answer is {number}"
    answer = " ".join(visible(question.answer).split())
    full = f"{head}: {answer}"
    return full if len(full) <= width else f"{head}, marked {RIGHT_MARK} above."


class QuizResultsScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "retake", "Retake missed", id="quiz_results.retake"),
        Binding("escape", "close", "Home", id="quiz_results.close"),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def __init__(self, run: QuizRun) -> None:
        super().__init__()
        self.run = run

    def compose(self) -> ComposeResult:
        run = self.run
        score = run.score
        total = len(run.questions)
        yield Header()
        with VerticalScroll(id="quiz-results"):
            title = "Quiz complete" if score.total == total else "Quiz left early"
            yield Static(title, id="results-title", markup=False)
            answered = "" if score.total == total else f" ({score.total} of {total} answered)"
            lines = [
                f"Score {score.correct} / {score.total} ({score.percent:.0f}%){answered}",
                f"Time  {duration_text(run.seconds)}",
            ]
            if run.source != RETAKE_SOURCE:
                lines.append(f"Seed  {run.seed} (--seed {run.seed} asks this quiz again)")
            yield Static("\n".join(lines), id="results-score", markup=False)
            if run.reviews:
                count = len(run.reviews)
                yield Static(
                    f"{count_text(count, 'wrong answer')} on studied cards "
                    "logged as review: due again tomorrow.",
                    id="results-reviews",
                    markup=False,
                )
            if score.missed:
                yield Static(
                    f"Missed ({len(score.missed)})", id="results-missed-title", markup=False
                )
                for number, result in enumerate(score.missed, start=1):
                    yield from self._missed(number, result)
            else:
                yield Static("Nothing missed.", id="results-missed-title", markup=False)
        retake = "r: retake the missed   " if run.can_retake else ""
        yield Static(f"{retake}esc: home", id="results-hint", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def _missed(self, number: int, result: AnswerResult) -> ComposeResult:
        question = result.question
        chosen = (
            question.options[result.chosen_index]
            if result.chosen_index is not None
            else "(no answer)"
        )
        with Vertical(classes="missed", id=f"missed-{number}"):
            yield Static(visible(question.prompt), classes="missed-prompt", markup=False)
            with Horizontal(classes="missed-answer"):
                yield Static(RIGHT_MARK, classes="missed-mark", markup=False)
                yield Static(visible(question.answer), classes="missed-text", markup=False)
            with Horizontal(classes="missed-chosen"):
                yield Static(WRONG_MARK, classes="missed-mark", markup=False)
                yield Static(visible(chosen), classes="missed-text", markup=False)

    def on_mount(self) -> None:
        self.sub_title = "Quiz results"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retake":
            return self.run.can_retake
        return True

    def action_retake(self) -> None:
        if not self.run.can_retake:
            return
        try:
            run = self.run.retake()
        except UserError as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        self.app.switch_screen(QuizScreen(run.options, run=run))

    def action_close(self) -> None:
        self.app.pop_screen()
