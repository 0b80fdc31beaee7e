"""The findings as files for the municipality: a CSV for spreadsheets and a GeoJSON file for GIS
tools (QGIS, the municipality's own maps).

The CSV goes through the bot's one CSV writer (bot/csv_files.py), which keeps a note or street
name typed by a resident from running as a spreadsheet formula.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.csv_files import write_csv
from bot.i18n import Translator
from bot.storage.inspections import Finding, Inspection
from bot.wijkschouw.model import CATEGORIES, STATUS_NAMES, osm_link

CSV_HEADER = (
    "number",
    "category",
    "category_name",
    "status",
    "status_name",
    "status_reason",
    "note",
    "street",
    "latitude",
    "longitude",
    "map_link",
    "photo",
    "reported_at",
)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte order mark (so Excel shows é and ë), formula cells neutralised."""
    out = io.StringIO()
    write_csv(out, header, rows)
    return out.getvalue().encode("utf-8-sig")


def _coordinate(value: float | None) -> float | str:
    return "" if value is None else round(value, 6)


def findings_csv(_: Translator, findings: Sequence[Finding]) -> bytes:
    rows = []
    for f in findings:
        category = CATEGORIES.get(f.category)
        rows.append(
            (
                f.number,
                f.category,
                _(category.label) if category else f.category,
                f.status,
                _(STATUS_NAMES.get(f.status, f.status)),
                f.status_reason or "",
                f.note or "",
                f.street or "",
                _coordinate(f.latitude),
                _coordinate(f.longitude),
                osm_link(*f.point) if f.point else "",
                _("yes") if f.photo else _("no"),
                _.fmt_datetime(f.created_at, "yyyy-MM-dd HH:mm"),
            )
        )
    return csv_bytes(CSV_HEADER, rows)


def findings_geojson(_: Translator, inspection: Inspection, findings: Sequence[Finding]) -> bytes:
    """An RFC 7946 FeatureCollection: one Point per finding ([longitude, latitude], WGS 84);
    a finding with only a typed street has no geometry (null), its street is a property."""
    features: list[dict[str, Any]] = []
    for f in findings:
        category = CATEGORIES.get(f.category)
        geometry = (
            {"type": "Point", "coordinates": [round(f.longitude, 6), round(f.latitude, 6)]}
            if f.latitude is not None and f.longitude is not None
            else None
        )
        features.append(
            {
                "type": "Feature",
                "id": f.number,
                "geometry": geometry,
                "properties": {
                    "number": f.number,
                    "category": f.category,
                    "category_name": _(category.label) if category else f.category,
                    "status": f.status,
                    "status_reason": f.status_reason,
                    "note": f.note,
                    "street": f.street,
                    "photo": f.photo is not None,
                    "reported_at": f.created_at.isoformat(),
                },
            }
        )
    collection = {
        "type": "FeatureCollection",
        "name": f"wijkschouw-{inspection.municipality}-{inspection.id}",
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")
