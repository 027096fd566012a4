"""``BackgroundWrite``: a file made and written by a forked child, or here where no
fork is safe; either way the same file, the same signature and the same one-line
failures.

The forked path runs in a fresh interpreter (``run_alone``): pytest's workers
have threads, and the class rightly refuses to fork beside them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from trainer.app.files import BackgroundWrite, WrittenFile
from trainer.errors import UserError

CHILD = """
import os, sys, threading
from pathlib import Path
from trainer.app.files import BackgroundWrite
from trainer.errors import UserError

folder = Path(sys.argv[1])
assert threading.active_count() == 1
{body}
"""


def run_alone(tmp_path: Path, body: str) -> list[str]:
    """Run ``body`` in a single-threaded interpreter; the lines it printed."""
    script = CHILD.format(body=textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_forked_write_leaves_the_file_its_signature_and_its_copy(tmp_path: Path) -> None:
    lines = run_alone(
        tmp_path,
        """
        def keep(data, sha256):
            (folder / f"copy.{sha256}").write_bytes(data)
        with BackgroundWrite.start(folder / "deck.yaml", lambda: b"cards: []\\n", keep) as job:
            forked = job.forked
            done = job.result()
        print(forked, done.size, done.mtime_ns, done.sha256, os.getpid())
        """,
    )
    forked, size, mtime_ns, sha256, _ = lines[-1].split()
    deck = tmp_path / "deck.yaml"
    assert forked == "True"
    assert deck.read_bytes() == b"cards: []\n"
    assert (int(size), int(mtime_ns)) == (deck.stat().st_size, deck.stat().st_mtime_ns)
    assert sha256 == hashlib.sha256(b"cards: []\n").hexdigest()
    assert (tmp_path / f"copy.{sha256}").read_bytes() == b"cards: []\n"


def test_a_forked_failure_is_the_childs_one_line_and_writes_nothing(tmp_path: Path) -> None:
    lines = run_alone(
        tmp_path,
        """
        def refuse():
            raise UserError("deck.yaml: too large; nothing imported")
        job = BackgroundWrite.start(folder / "deck.yaml", refuse, lambda data, sha: None)
        try:
            job.result()
        except UserError as error:
            print("refused:", error)
        (folder / "blocked").mkdir()
        job = BackgroundWrite.start(folder / "blocked", lambda: b"x", lambda data, sha: None)
        try:
            job.result()
        except UserError as error:
            print("refused:", error)
        job = BackgroundWrite.start(folder / "gone.yaml", lambda: os._exit(3), print)
        try:
            job.result()
        except UserError as error:
            print("refused:", error)
        """,
    )
    assert lines[0] == "refused: deck.yaml: too large; nothing imported"
    assert lines[1].startswith("refused: ") and "blocked" in lines[1]
    assert lines[2].startswith("refused: ") and "ended unexpectedly" in lines[2]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["blocked"]


def test_beside_other_threads_the_work_is_done_here(tmp_path: Path) -> None:
    assert threading.active_count() >= 1
    kept: list[str] = []
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        job = BackgroundWrite.start(
            tmp_path / "deck.yaml", lambda: b"name: x\n", lambda _data, sha: kept.append(sha)
        )
        assert not job.forked  # no fork beside a running thread
        done = job.result()
        job.wait()
    finally:
        stop.set()
        other.join()
    status = (tmp_path / "deck.yaml").stat()
    sha256 = hashlib.sha256(b"name: x\n").hexdigest()
    assert done == WrittenFile(status.st_size, status.st_mtime_ns, sha256)
    assert kept == [sha256]


def test_done_here_a_failure_raises_at_once(tmp_path: Path) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with pytest.raises(UserError, match="too large"):
            BackgroundWrite.start(tmp_path / "d.yaml", _too_large, lambda _d, _s: None)
    finally:
        stop.set()
        other.join()
    assert not os.listdir(tmp_path)


def _too_large() -> bytes:
    raise UserError("d.yaml: too large")


def test_a_forked_job_returns_its_text_from_the_parents_memory(tmp_path: Path) -> None:
    lines = run_alone(
        tmp_path,
        """
        from trainer.app.files import ForkedJob
        words = ["alpha", "beta"] * 1000  # already in memory: nothing is sent to the child
        with ForkedJob.start(lambda: f"{len(words)}\\nlines", "counting") as job:
            print(job.forked, repr(job.result()), repr(job.result()))
        """,
    )
    assert lines == ["True '2000\\nlines' '2000\\nlines'"]


def test_when_no_process_can_be_forked_the_work_is_done_here(tmp_path: Path) -> None:
    lines = run_alone(
        tmp_path,
        """
        import errno
        from trainer.app.files import ForkedJob

        def refuse():
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

        os.fork = refuse
        job = ForkedJob.start(lambda: "done here", "working")
        print(job.forked, repr(job.result()))
        """,
    )
    assert lines[-1] == "False 'done here'"
