"""Getting cards and history in and out: Anki packages, text exports, backups, merges.

Everything here sits beside the application layer and uses it (``Trainer``,
``Store``); nothing in the core or storage imports this package. Modules import
their heavy dependencies (zipfile, zstandard, genanki, sqlite3) inside the
functions that need them, so registering the commands costs ``trainer due``
nothing.
"""
