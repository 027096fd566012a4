"""The pure core: no I/O, no clock reads, stdlib only.

Everything here takes data plus an explicit ``now``/``today`` and returns data,
so it can be tested exhaustively without a database, a terminal or a real clock.
A test enforces that importing this package never pulls in textual, yaml or
sqlite_utils.
"""
