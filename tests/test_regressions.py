"""Bugs found in review, each pinned by the way a user would meet it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Static

from trainer.app.deckfile import parse_deck_text
from trainer.app.quiz_run import QuizOptions
from trainer.app.settings import Settings, SettingsError, parse_value
from trainer.cli import main
from trainer.core.deck import DeckError
from trainer.core.model import Direction, Mode
from trainer.tui.app import TrainerApp


def test_going_back_to_fewer_directions_brings_unstudied_cards_back(make_trainer) -> None:
    both = Settings(deck_directions={"small": (Direction.REVERSE,)})
    trainer = make_trainer(settings=both)
    for entry in trainer.queue():
        trainer.record_answer(entry.card_id, entry.direction, 5, Mode.STUDY)
    # (burying off: the siblings studied today would otherwise wait for tomorrow)
    trainer.settings = Settings(
        deck_directions={"small": (Direction.FORWARD,)}, bury_siblings=False
    )
    assert [e.card_id for e in trainer.queue()] == ["small/alpha", "small/beta", "small/gamma"]
    assert {s.slug: s.new for s in trainer.deck_summaries()} == {"small": 3}


def test_undoing_the_answer_that_made_a_leech_takes_the_mark_back(make_trainer, clock) -> None:
    trainer = make_trainer(settings=Settings(leech_lapses=1, leech_action="suspend"))
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    clock.advance(days=1)
    lapse = trainer.record_answer("small/alpha", Direction.FORWARD, 0, Mode.STUDY)
    assert trainer.card("small/alpha").suspended
    trainer.undo(lapse.id)
    assert not trainer.card("small/alpha").suspended
    assert trainer.store.leeches() == []
    assert "small/alpha" in [e.card_id for e in trainer.queue()]


async def test_a_quiz_closed_with_the_app_keeps_its_answers(trainer) -> None:
    app = TrainerApp(trainer, start="quiz", quiz=QuizOptions(questions=3, seed=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
    rows = list(trainer.store.db["quiz_attempts"].rows)
    assert [row["total"] for row in rows] == [1]


async def test_markup_in_a_leech_notice_is_shown_literally(make_trainer, tmp_path, clock) -> None:
    folder = tmp_path / "markup"
    folder.mkdir()
    (folder / "m.yaml").write_text(
        'name: M\ncards:\n  - term: "[/]oops [@click=app.quit]x"\n    definition: d\n'
        "  - term: other\n    definition: e\n",
        encoding="utf-8",
    )
    trainer = make_trainer(settings=Settings(leech_lapses=1), deck_dirs=[folder])
    card = "m/[/]oops [@click=app.quit]x"
    trainer.record_answer(card, Direction.FORWARD, 5, Mode.STUDY)
    clock.advance(days=1)
    app = TrainerApp(trainer, start="study", decks=["m"])
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert str(app.screen.query_one("#front", Static).render()).startswith("[/]oops")
        await pilot.press("space", "0")
        await pilot.pause()
        assert app.is_running
    assert trainer.store.leeches()[0][0] == card


@pytest.mark.parametrize("value", ["²", "--5", "1e3"], ids=["superscript", "double-minus", "exp"])
def test_odd_numbers_in_settings_are_refused_plainly(value: str) -> None:
    with pytest.raises(SettingsError, match="whole number"):
        parse_value("new_per_day", value)


def test_a_timezone_that_is_a_folder_is_unknown() -> None:
    with pytest.raises(SettingsError, match="unknown timezone"):
        parse_value("timezone", "America")


def test_a_key_given_twice_in_a_card_is_refused_with_its_line() -> None:
    text = "name: x\ncards:\n  - term: a\n    definition: b\n    definition: c\n"
    with pytest.raises(DeckError, match=r"x.yaml:5: .*'definition' appears twice"):
        parse_deck_text(text, "x", "x.yaml")


def write_tsv(folder: Path, name: str = "greek.tsv") -> Path:
    path = folder / name
    path.write_text("Term\tDefinition\nAlpha\tFirst\nBeta\tSecond\n", encoding="utf-8")
    return path


def test_import_with_a_relative_out_is_found_from_anywhere(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    source = write_tsv(work)
    monkeypatch.chdir(work)
    assert main(["import", source.name, "--out", "rel.yaml"]) == 0
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["decks"]) == 0
    assert "greek" in capsys.readouterr().out


def test_import_refuses_to_overwrite_its_own_source(tmp_path, capsys) -> None:
    source = write_tsv(tmp_path)
    before = source.read_bytes()
    assert main(["import", str(source), "--out", str(source), "--force"]) == 1
    assert "is the glossary being imported" in capsys.readouterr().err
    assert source.read_bytes() == before


def test_import_refuses_a_second_deck_of_the_same_name(tmp_path, capsys) -> None:
    assert main(["import", str(write_tsv(tmp_path))]) == 0
    other = tmp_path / "elsewhere"
    other.mkdir()
    out = other / "greek.yaml"
    assert main(["import", str(write_tsv(tmp_path, "other.tsv")), "--out", str(out)]) == 1
    assert "already comes from" in capsys.readouterr().err
    assert not out.exists()


def test_trainer_now_far_in_the_past_is_a_plain_error(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TRAINER_NOW", "0001-01-01T00:00")
    assert main(["due"]) == 1
    assert capsys.readouterr().err.startswith("trainer: TRAINER_NOW: '0001-01-01T00:00' is outside")


def test_an_editor_command_that_cannot_be_split_is_a_plain_error(monkeypatch, capsys) -> None:
    monkeypatch.setenv("EDITOR", 'vim "')
    monkeypatch.delenv("VISUAL", raising=False)
    assert main(["edit", "Epoch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("trainer: cannot read the editor command") and os.linesep in err


def test_a_card_becomes_a_leech_on_its_eighth_lapse_by_default(trainer, clock) -> None:
    """A simulated history: learned, then forgotten eight times on later days."""
    card = "small/alpha"
    trainer.record_answer(card, Direction.FORWARD, 5, Mode.STUDY)
    for lapse in range(1, 9):
        clock.advance(days=1)
        record = trainer.record_answer(card, Direction.FORWARD, 1, Mode.STUDY)
        assert trainer.is_new_leech(record) == (lapse == 8)
        assert bool(trainer.store.leeches()) == (lapse == 8)
        clock.advance(days=1)
        trainer.record_answer(card, Direction.FORWARD, 5, Mode.STUDY)
    rows, _ = trainer.browse("alpha")
    assert rows[0].leech and rows[0].lapses == 8
    assert not rows[0].suspended  # leech_action defaults to "mark"
