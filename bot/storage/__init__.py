"""All SQLite access lives in this package: the connection and transactions (`database`), the
schema and its migrations (`migrations`), and one repository module per kind of row."""

from bot.storage.database import Database

__all__ = ["Database"]
