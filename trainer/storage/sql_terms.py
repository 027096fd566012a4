"""SQL fragments shared by the storage modules: a leaf, so any of them (the
migrations included) can use them without importing each other."""

#: The answers that count, for a query over ``reviews r``: an undo adds a row to
#: ``review_undos`` and never touches the log. Undone answers are few, so their
#: rowids are listed once instead of probing ``review_undos`` for every row, which
#: also lets any index on reviews cover the query (rowid is in all of them).
NOT_UNDONE = (
    "r.rowid NOT IN (SELECT v.rowid FROM review_undos u JOIN reviews v ON v.id = u.review_id)"
)

#: A card's deck, read off its id ("<deck>/<term>"): card_state has no deck column.
DECK_OF_CARD_ID = "substr(card_id, 1, instr(card_id, '/') - 1)"

#: meta key present while Browse's search index is out of date
#: (``trainer.storage.search_index``): the JSON list of the SQL of its triggers
SEARCH_INDEX_PENDING_KEY = "search_index_pending_triggers"

#: The bit each direction sets in ``cards.due_directions``, the directions of a
#: card that have a due day (kept by triggers, ``storage.database.m019_due_directions``).
DIRECTION_BITS = {"forward": 1, "reverse": 2}

#: meta key: the largest ``card_state`` rowid whose state ``cards.due_directions``
#: shows (``storage.database.m020_due_directions_off_answers``); a state inserted
#: since (a rowid above it: a card direction's first answer) may not be shown yet.
DUE_DIRECTIONS_SETTLED_KEY = "due_directions_settled_through"

#: The rowid ``DUE_DIRECTIONS_SETTLED_KEY`` holds, 0 when it is absent (a database
#: that had no state when it was made or upgraded), as one SQL value.
DUE_DIRECTIONS_SETTLED = (
    "coalesce((SELECT CAST(value AS INTEGER) FROM meta "
    f"WHERE key = '{DUE_DIRECTIONS_SETTLED_KEY}'), 0)"
)
