"""Crash safety: a real process answering cards is killed with SIGKILL, again and again.

The README promises that each answer is committed before the next card is
shown and that a killed process loses at most the card on screen. The driver
prints a review's id only after ``record_answer`` (or ``undo``) has returned,
so every printed id is an answer the user saw accepted; after each kill the
file must be sound, hold every one of them, and its cached card states must
equal a replay of its log. Kills land at seeded random moments: during start-up
(imports, the first open and its migration, the first deck sync) and in the
middle of the answer loop.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.reliability.support import (
    DECK_BOTH_WAYS,
    assert_cache_matches_log,
    broken_chain_links,
    driver_command,
    has_review_log,
    integrity,
    review_ids,
)

KILLS = 56
SEED = 20260304


def wait_for_ready(process: subprocess.Popen[bytes], out: Path, timeout: float) -> bool:
    """Poll the driver's output file until it says "ready" (or it died, or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if out.read_bytes().startswith(b"ready\n"):
            return True
        time.sleep(0.002)
    return False


def acknowledged(lines: list[str]) -> tuple[list[str], list[str]]:
    answers = [line.split()[1] for line in lines if line.startswith("A ")]
    undos = [line.split()[1] for line in lines if line.startswith("U ")]
    return answers, undos


def run_lane(lane: int, kills: int, root: Path) -> tuple[int, int]:
    """Kill a driver ``kills`` times on one database; returns (kills mid-loop, answers)."""
    rng = random.Random(SEED + lane)
    deck_dir = root / "decks"
    deck_dir.mkdir(parents=True)
    (deck_dir / "crash.yaml").write_text(DECK_BOTH_WAYS, encoding="utf-8")
    db = root / "data" / "trainer.db"
    scratch = root / "scratch"
    scratch.mkdir()

    all_answers: set[str] = set()
    all_undos: set[str] = set()
    kills_mid_loop = 0
    for round_no in range(kills):
        where = f"lane {lane} round {round_no}"
        before_reviews, before_undos = review_ids(db) if db.exists() else (set(), set())
        out_file, err_file = scratch / "driver.out", scratch / "driver.err"
        with out_file.open("wb") as stdout, err_file.open("wb") as stderr:
            # Output to files, not pipes: a pipe the test is slow to drain would stall
            # the driver and move the kills away from the answer loop.
            process = subprocess.Popen(
                driver_command(db, deck_dir, "--seed", f"{lane}{round_no}", "--undo-rate", "0.15"),
                stdout=stdout,
                stderr=stderr,
            )
        delay = rng.uniform(0.02, 0.15)
        # One round in four is killed counting from the spawn (start-up, migration,
        # first sync); the rest counting from "ready", inside the answer loop.
        if rng.random() >= 0.25:
            assert wait_for_ready(process, out_file, timeout=30), (where, process.poll())
            kills_mid_loop += 1
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        out, err = out_file.read_text(), err_file.read_text()
        assert process.returncode == -signal.SIGKILL, (where, process.returncode, err)
        assert "Traceback" not in err, err
        # Only whole lines count: a kill can cut the last one short, and an answer
        # is acknowledged when its line (newline included) has been written.
        answers, undos = acknowledged(out.split("\n")[:-1])
        all_answers.update(answers)
        all_undos.update(undos)
        if not db.exists():  # killed before the first open created the file
            assert not all_answers, where
            continue

        assert integrity(db) == "ok", where
        if not has_review_log(db):  # killed before the first migration committed
            assert not all_answers, where
            continue
        reviews, undone = review_ids(db)
        assert all_answers <= reviews, f"{where}: acknowledged answers missing"
        assert all_undos <= undone, f"{where}: acknowledged undos missing"
        # Only the write in flight at the kill may be committed yet unacknowledged.
        assert len((reviews - before_reviews) - set(answers)) <= 1, where
        assert len((undone - before_undos) - set(undos)) <= 1, where
        assert broken_chain_links(db) == 0, where
        # The in-test replay every round; the program's own rebuild now and then
        # (it is the slower of the two and checks the same property).
        with_rebuild = round_no % 7 == 6 or round_no == kills - 1
        assert_cache_matches_log(db, scratch, rebuild=with_rebuild)
    return kills_mid_loop, len(all_answers)


def test_sigkill_at_random_moments_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    lanes = 2  # two databases side by side: the kills cost process start-ups, not CPU
    with ThreadPoolExecutor(lanes) as pool:
        futures = [
            pool.submit(run_lane, lane, KILLS // lanes, tmp_path / f"lane{lane}")
            for lane in range(lanes)
        ]
        results = [future.result() for future in futures]
    assert sum(mid for mid, _ in results) >= KILLS // 2
    assert all(answers >= 100 for _, answers in results), "kills should hit a busy answer loop"
