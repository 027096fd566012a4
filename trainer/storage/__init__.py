"""Storage: the one module family that speaks SQL."""

from trainer.storage.database import DatabaseError, open_connection, open_database
from trainer.storage.store import Store

__all__ = ["DatabaseError", "Store", "open_connection", "open_database"]
