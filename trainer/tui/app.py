"""The Textual application: one app, one stylesheet, screens per job.

The app is built by the same factory in the CLI and in tests (``TrainerApp``
over an already-open ``Trainer``), so Pilot tests drive exactly what a user
runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from trainer.app.collector import freeze_long_lived, thaw_long_lived
from trainer.app.trainer import Trainer

if TYPE_CHECKING:
    from trainer.tui.screens.progress import ProgressScreen

#: how long the keys must rest after an answer before the idle checkpoint runs
IDLE_CHECKPOINT_SECONDS = 1.0


def launch_options(
    start: str, decks: Sequence[str] | None, args: argparse.Namespace | None = None
) -> dict[str, Any]:
    """Translate CLI arguments into the app's start-up options."""
    options: dict[str, Any] = {"start": start, "decks": list(decks) if decks else None}
    if start == "quiz" and args is not None:
        from trainer.app.quiz_run import QuizOptions

        options["quiz"] = QuizOptions(
            decks=options["decks"],
            questions=args.questions,
            choices=args.choices,
            direction=args.direction,
            source=args.source,
            seed=args.seed,
        )
    return options


#: The name the one Progress screen is installed under.
PROGRESS_SCREEN = "progress"


class TrainerApp(App[int]):
    CSS_PATH = "trainer.tcss"
    TITLE = "trainer"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", id="app.palette", show=False),
    ]

    def __init__(
        self,
        trainer: Trainer,
        *,
        start: str = "home",
        decks: Sequence[str] | None = None,
        quiz: Any = None,
    ) -> None:
        super().__init__()
        self.trainer = trainer
        self.start = start
        self.start_decks = list(decks) if decks else None
        self.start_quiz = quiz
        #: problems found before the screen opened (a deck file that was skipped)
        self.startup_warnings: list[str] = []
        self._idle_timer: Timer | None = None

    def on_mount(self) -> None:
        from trainer.tui.screens.home import HomeScreen

        for warning in self.startup_warnings:
            self.notify(warning, title="Deck skipped", severity="warning", timeout=15, markup=False)

        self.push_screen(HomeScreen())
        if self.start == "study":
            self.open_study(self.start_decks)
        elif self.start == "quiz":
            self.open_quiz(self.start_quiz, self.start_decks)
        elif self.start == "progress":
            self.open_progress(self.start_decks)
        self.call_after_refresh(self.trainer.prepare_writes)
        self.trainer.defer_checkpoints()
        if (index_job := self.trainer.search_index_job()) is not None:
            # a rebuild loses nothing if it fails: the first search tries again
            self.run_worker(index_job, thread=True, group="search-index", exit_on_error=False)

    def on_unmount(self) -> None:
        """What was frozen at start goes back to the collector (``thaw_long_lived``):
        the app's own cycles are freed once it is gone, as in a test that runs many."""
        thaw_long_lived()

    def answered(self) -> None:
        """Called after each committed answer: once the user has paused for
        ``IDLE_CHECKPOINT_SECONDS``, the trainer's idle work (copying the
        write-ahead log into the database file) runs in a thread, so that copy
        and its fsync never delay a keypress."""
        if self._idle_timer is not None:
            self._idle_timer.stop()
        self._idle_timer = self.set_timer(IDLE_CHECKPOINT_SECONDS, self._checkpoint)

    def _checkpoint(self) -> None:
        job = self.trainer.idle_job()
        if job is not None:
            # housekeeping: a failure here loses nothing (the answers are in the log)
            self.run_worker(job, thread=True, group="checkpoint", exit_on_error=False)

    def open_study(self, decks: Sequence[str] | None) -> None:
        from trainer.tui.screens.study import StudyScreen

        self.push_screen(StudyScreen(decks))

    def open_quiz(self, options: Any = None, decks: Sequence[str] | None = None) -> None:
        from trainer.app.quiz_run import QuizOptions
        from trainer.tui.screens.quiz import QuizScreen

        self.push_screen(QuizScreen(options or QuizOptions(decks=list(decks) if decks else None)))

    def open_quiz_setup(self, deck: str | None = None) -> None:
        """The quiz form; the quiz starts when it is submitted."""
        from trainer.tui.screens.quiz_setup import QuizSetupScreen

        def start(options: Any) -> None:
            """Build the quiz before showing it: a selection with nothing to ask only
            says why, and the form's caller stays on screen."""
            from trainer.app.quiz_run import QuizRun
            from trainer.errors import UserError
            from trainer.tui.screens.quiz import QuizScreen

            if options is None:
                return
            try:
                run = QuizRun.start(self.trainer, options)
            except UserError as error:
                self.notify(
                    str(error), title="No quiz", severity="warning", timeout=8, markup=False
                )
                return
            self.push_screen(QuizScreen(options, run=run))

        self.push_screen(QuizSetupScreen(deck), start)

    def open_browse(self, decks: Sequence[str] | None = None, query: str = "") -> None:
        from trainer.tui.screens.browse import BrowseScreen

        self.push_screen(BrowseScreen(decks, query))

    def open_progress(self, decks: Sequence[str] | None = None) -> None:
        from trainer.tui.screens.progress import ProgressScreen

        screen = self._progress_screen()
        if screen in self.screen_stack:  # already open below: a second one of its own
            screen = ProgressScreen()
        screen.open_at_top(decks)
        self.push_screen(screen)

    def _progress_screen(self) -> ProgressScreen:
        """The one Progress screen of the app's life, installed on first use:
        composing its two dozen widgets and charts again took longer than loading
        its figures. It reloads whenever it is shown."""
        from trainer.tui.screens.progress import ProgressScreen

        if not self.is_screen_installed(PROGRESS_SCREEN):
            self.install_screen(ProgressScreen(), name=PROGRESS_SCREEN)
        return self.get_screen(PROGRESS_SCREEN, ProgressScreen)

    def prepare_progress(self, home: Screen[Any]) -> None:
        """While ``home`` waits for a key, get Progress ready a step at a time: the
        first opening at 100k cards spent ~60 ms importing its modules, ~25 ms
        composing and mounting its widgets and ~50 ms reading its figures before
        it could paint. Each step runs after a refresh, so a key pressed meanwhile
        is handled first, and none runs once another screen is on top (a study
        session's keys never wait for it). The figures read here are checked again
        when the screen is shown (``refresh_progress``), so they are never stale.
        Last, what the session holds by then is frozen (``freeze_long_lived``)."""
        steps = [
            self._import_progress,
            self._mount_progress,
            self._preload_progress,
            freeze_long_lived,
        ]

        def step() -> None:
            if self.screen is not home or not self.is_running:
                return
            steps.pop(0)()
            if steps:
                self.call_after_refresh(step)

        self.call_after_refresh(step)

    def _import_progress(self) -> None:
        import textual.scrollbar  # noqa: F401  (imported by the first scrolling view)

        import trainer.tui.screens.progress  # noqa: F401

    def _mount_progress(self) -> None:
        """Compose and mount the Progress screen without showing it, what Textual
        does on its first push, through the call ``push_screen`` makes
        (``App._register``); where a Textual lacks it the screen is composed when
        first shown, as before."""
        screen = self._progress_screen()
        register = getattr(self, "_register", None)
        if not screen.is_running and callable(register):
            register(self, screen)

    def _preload_progress(self) -> None:
        screen = self._progress_screen()
        if screen not in self.screen_stack:
            screen.preload()

    # ------------------------------------------------------------------ help
    def action_help(self) -> None:
        """``?``: the keys of the screen on top (not of the help itself)."""
        from trainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # ------------------------------------------------------------ screenshots
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, with Screenshot saving where this app keeps its data."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                command = SystemCommand(
                    "Screenshot",
                    "Save an SVG picture of the screen in the trainer's data folder",
                    lambda: self.set_timer(0.1, self.action_screenshot),
                )
            yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen to the data folder (the working directory if that
        cannot be written) and say where; in a browser, hand it to the browser."""
        if self.is_web:
            self.deliver_screenshot(filename, path)
            return
        try:
            saved = self.save_screenshot(filename, path or str(screenshot_folder()))
        except OSError:
            try:
                saved = self.save_screenshot(filename, str(Path.cwd()))
            except OSError as error:
                self.notify(f"Could not save the screenshot: {error.strerror}", severity="error")
                return
        self.notify(saved, title="Screenshot saved", timeout=10, markup=False)


def screenshot_folder() -> Path:
    """``screenshots`` in the data folder, created on first use."""
    from trainer.app.locations import data_dir

    folder = data_dir() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
