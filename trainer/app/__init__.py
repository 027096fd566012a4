"""The application layer both interfaces use: the ``Trainer`` facade, the study
session, the quiz run, the progress model, settings, locations and deck files.

It wires the pure core to storage; the CLI, the TUI and the importers call it
and never speak SQL themselves.
"""
