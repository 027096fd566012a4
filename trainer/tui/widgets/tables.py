"""Small helpers for the DataTables that list decks and cards by key."""

from __future__ import annotations

from textual.coordinate import Coordinate
from textual.widgets import DataTable


def cursor_row_key(table: DataTable[object]) -> str | None:
    """The key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    row = min(table.cursor_coordinate.row, table.row_count - 1)
    key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key
    return str(key.value) if key.value is not None else None
