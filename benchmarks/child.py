"""Trainer-side child processes for whole-process figures.

    python -m benchmarks.child first-card   # prints READY when #front shows the first card
    python -m benchmarks.child memory N     # study session start + N answers in the TUI

Both open the trainer the way the CLI does (``Trainer.open`` from the
environment: TRAINER_DB, TRAINER_NOW, TRAINER_CONFIG; then ``sync_decks``)
and drive the real ``TrainerApp`` headless under Textual's Pilot.
"""

from __future__ import annotations

import asyncio
import json
import sys


def _open():  # type: ignore[no-untyped-def]
    from trainer.app.trainer import Trainer

    trainer = Trainer.open()
    trainer.sync_decks()
    return trainer


async def _memory(answers: int) -> int:
    from textual.widgets import Static

    from trainer.tui.app import TrainerApp
    from trainer.tui.screens.study import StudyScreen

    trainer = _open()
    app = TrainerApp(trainer, start="study")
    done = 0
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for i in range(answers):
            if not isinstance(app.screen, StudyScreen):
                break
            if not str(app.screen.query_one("#front", Static).render()):
                break
            await pilot.press("space")
            await pilot.press(str((5, 4, 4, 3, 5)[i % 5]))
            done += 1
    trainer.close()
    return done


def main(argv: list[str]) -> int:
    job = argv[0]
    if job == "first-card":
        from benchmarks.floor import wait_for_front
        from trainer.tui.app import TrainerApp

        trainer = _open()
        app = TrainerApp(trainer, start="study")
        asyncio.run(wait_for_front(app, lambda: print("READY", flush=True)))
    elif job == "memory":
        done = asyncio.run(_memory(int(argv[1])))
        from benchmarks.floor import peak_rss_kb

        print(json.dumps({"answers": done, "peak_kb": peak_rss_kb()}))
    else:
        raise SystemExit(f"unknown job {job!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
