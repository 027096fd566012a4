"""The command line: one module per command family; see ``trainer.cli.main``."""

from trainer.cli.main import main

__all__ = ["main"]
