"""``trainer import PKG.apkg`` beside Anki's own importer on the same package.

Both are whole processes started the same way (Python start-up and imports
included): trainer's CLI into an empty home, and a short script that opens a
new Anki collection and imports the package with scheduling, as Anki's import
dialog does. Anki's backend is PyPI ``anki``: the benchmark venv's own when it
is importable, else a venv made on demand under ``benchmarks/data/anki-venv``;
when neither works the figure is skipped with the reason.

The package is made with genanki from the same synthetic glossary as the other
import figures: N Basic notes in one deck (``collection.anki2``, the layout
genanki writes), cached under ``benchmarks/data/cache/``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks import generate

ANKI_SCRIPT = """
import sys
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
collection = Collection(sys.argv[1])
log = collection.import_anki_package(ImportAnkiPackageRequest(
    package_path=sys.argv[2], options=ImportAnkiPackageOptions(with_scheduling=True))).log
collection.close()
print(len(log.new))
"""


def package(n: int, seed: int) -> Path:
    """An .apkg of ``n`` Basic notes (cached)."""
    import genanki

    path = generate.CACHE_DIR / f"anki-n{n}-s{seed}-v{generate.GENERATOR_VERSION}.apkg"
    if path.exists():
        return path
    model = genanki.Model(
        1_607_392_319,
        "Basic",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr>{{Back}}"}],
    )
    deck = genanki.Deck(2_059_400_110, generate.DECK_NAME)
    for index, (term, definition) in enumerate(generate.glossary(n, seed)):
        deck.add_note(genanki.Note(model=model, fields=[term, definition], guid=f"g{index}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    genanki.Package(deck).write_to_file(str(partial), timestamp=1_700_000_000)
    partial.replace(path)
    return path


def anki_python() -> tuple[str | None, str]:
    """A Python that can import ``anki``, or None and why not."""
    if _imports_anki(sys.executable):
        return sys.executable, "this venv"
    venv = generate.DATA_DIR / "anki-venv"
    python = venv / "bin" / "python"
    if python.exists() and _imports_anki(str(python)):
        return str(python), str(venv)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "anki"],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"cannot install anki ({type(error).__name__})"
    if not _imports_anki(str(python)):
        return None, "anki installed but does not import"
    return str(python), str(venv)


def _imports_anki(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import anki.collection"], capture_output=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def time_anki(python: str, apkg: Path, work: Path) -> float:
    """Seconds for a new Anki collection to import ``apkg`` (whole process)."""
    work.mkdir(parents=True, exist_ok=True)
    collection = work / "collection.anki2"
    started = time.perf_counter()
    done = subprocess.run(
        [python, "-c", ANKI_SCRIPT, str(collection), str(apkg)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"Anki's import failed: {done.stderr.strip().splitlines()[-1:]}")
    return elapsed


def time_trainer(command: list[str], apkg: Path, env: dict[str, str]) -> float:
    """Seconds for ``trainer import PKG.apkg`` into an empty home (whole process)."""
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "import", str(apkg)], capture_output=True, text=True, env=env, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"trainer import failed: {done.stderr.strip()[-300:]}")
    return elapsed
