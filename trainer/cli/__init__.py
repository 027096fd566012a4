"""The command line: one module per command family; ``trainer.cli.program`` builds the parser.

``main`` is imported lazily so that importing one family module (as the
import-hygiene tests do) does not load every other family and what they need.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``trainer`` with ``argv`` (default: the process's arguments); the exit status."""
    from trainer.cli.program import main as run

    return run(argv)
