"""Repository for imported burglary figures, merged with the shipped seed table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.advisers.figures import Figure, seed_figures
from bot.storage.database import Database, to_db_time


class FigureStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_figures(self, figures: Iterable[Figure], now: datetime) -> int:
        rows = [(f.municipality, f.year, f.burglaries, to_db_time(now)) for f in figures]
        await self.db.executemany(
            "INSERT INTO burglary_figures (municipality, year, burglaries, imported_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (municipality, year) DO UPDATE SET "
            "burglaries = excluded.burglaries, imported_at = excluded.imported_at",
            rows,
        )
        return len(rows)

    async def per_year(self, municipalities: Iterable[str]) -> dict[int, int]:
        """Burglaries per year summed over `municipalities`; imported rows replace the seed.

        A year counts only when every municipality has a figure for it, so a total is never
        silently short.
        """
        wanted = set(municipalities)
        table = {(f.municipality, f.year): f.burglaries for f in seed_figures()}
        rows = await self.db.fetchall("SELECT municipality, year, burglaries FROM burglary_figures")
        table.update({(r["municipality"], r["year"]): r["burglaries"] for r in rows})
        years = sorted({year for slug, year in table if slug in wanted})
        return {
            year: sum(table[(slug, year)] for slug in wanted)
            for year in years
            if all((slug, year) in table for slug in wanted)
        }
