"""The wijkschouw without Telegram: what organisers and reporters type, the marks, the photo's
metadata, the media folder, the CSV and GeoJSON files and the map."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.advice.validation import AppointmentError
from bot.i18n import Catalogues
from bot.sandbox.media import CAMERA
from bot.storage.inspections import Finding, Inspection
from bot.storage.media import MediaStore
from bot.wijkschouw.export import csv_bytes, findings_csv, findings_geojson
from bot.wijkschouw.mapimage import MapLabels, MapPoint, findings_map, project, scale_length
from bot.wijkschouw.model import allowed, marks_for, parse_plan, parse_street
from bot.wijkschouw.photos import PhotoError, strip_metadata
from tests.wijkschouw.flow import gps_jpeg, metadata

TZ = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def test_parse_plan() -> None:
    plan = parse_plan("14-11-2026 om 19:30  speeltuin   Kerkstraat", NOW, TZ)
    assert plan.walk_at == datetime(2026, 11, 14, 19, 30, tzinfo=TZ)
    assert plan.meeting_point == "speeltuin Kerkstraat"
    assert parse_plan("2026-10-02 18:00 church", NOW, TZ).meeting_point == "church"
    for text, reason in (
        ("tomorrow evening", "format"),
        ("01-01-2026 19:00 school", "past"),
        ("01-01-2028 19:00 school", "too_far"),
        ("14-11-2026 19:30", "meeting_point"),
        ("14-11-2026 19:30 " + "x" * 101, "meeting_point"),
    ):
        with pytest.raises(AppointmentError) as exc:
            parse_plan(text, NOW, TZ)
        assert exc.value.reason == reason, text


def test_parse_street_and_marks() -> None:
    assert parse_street("  Kerkstraat   12 ") == "Kerkstraat 12"
    assert parse_street("12") is None and parse_street("x" * 81) is None
    assert parse_street("a\x00b") is None
    assert marks_for("open") == ["forwarded", "solved", "not_ours"]
    assert marks_for("forwarded") == ["solved", "not_ours"]
    assert marks_for("solved") == [] and marks_for("not_ours") == []
    assert allowed("solved", "forwarded") and not allowed("forwarded", "solved")


def test_strip_metadata_on_a_phone_photo() -> None:
    original = gps_jpeg(64, 48)
    base, gps, info = metadata(original)
    assert base and gps and "comment" in info and CAMERA.encode() in original  # the test's premise
    clean = strip_metadata(original)
    base, gps, info = metadata(clean)
    assert base == {} and gps == {} and not {"exif", "comment", "icc_profile", "xmp"} & set(info)
    assert CAMERA.encode() not in clean and b"Exif" not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "JPEG" and image.size == (48, 64)  # orientation applied
    big = strip_metadata(gps_jpeg(3200, 1600))
    with Image.open(io.BytesIO(big)) as image:
        assert max(image.size) == 1600
    with pytest.raises(PhotoError):
        strip_metadata(b"\xff\xd8sandbox-photo")


def test_media_store_is_private(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "db" / "media")
    name = store.save(b"jpeg")
    assert store.root == (tmp_path / "db" / "media").resolve()
    assert stat.S_IMODE(os.stat(store.root).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(store.path(name)).st_mode) == 0o600
    assert store.read(name) == b"jpeg" and store.save(b"other") != name
    for bad in ("../x.jpg", "a/b.jpg", ".hidden", ""):
        with pytest.raises(ValueError):
            store.path(bad)
    store.delete(name)
    assert store.read(name) is None


def test_csv_neutralises_formulas() -> None:
    data = csv_bytes(
        ["a", "b", "c", "d", "e", "f", "g"],
        [
            ["=1+1", "+31 6", "-2", "@SUM(A1)", "\tx", "\rx", "Kerkstraat 1"],
            [3, 2.5, "", "é", "", "", ""],
        ],
    )
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["'=1+1", "'+31 6", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "Kerkstraat 1"]
    assert rows[2][:4] == ["3", "2.5", "", "é"]


def _inspection() -> Inspection:
    return Inspection(
        1,
        "c",
        -5,
        "enschede",
        "Noord",
        NOW + timedelta(days=3),
        "school",
        7,
        "closed",
        3,
        NOW,
        NOW,
        None,
        None,
    )


def _finding(number: int, **values: object) -> Finding:
    fields: dict[str, object] = dict(
        id=number,
        inspection_id=1,
        number=number,
        reporter_id=42,
        category="lighting",
        note=None,
        street=None,
        latitude=None,
        longitude=None,
        photo=None,
        status="open",
        status_reason=None,
        status_at=None,
        created_at=NOW,
    )
    fields.update(values)
    return Finding(**fields)  # type: ignore[arg-type]


def test_csv_and_geojson_of_findings() -> None:
    _ = Catalogues(["nl", "en"], "nl", TZ).get("nl")
    findings = [
        _finding(1, latitude=52.228031, longitude=6.896123, note='=HYPERLINK("x")', photo="a.jpg"),
        _finding(
            2,
            category="greenery",
            street="Kerkstraat 12",
            status="solved",
            status_reason="gesnoeid",
        ),
    ]
    rows = list(csv.DictReader(io.StringIO(findings_csv(_, findings).decode("utf-8-sig"))))
    assert rows[0]["category_name"] == "Verlichting" and rows[0]["note"].startswith("'=")
    assert rows[0]["map_link"].startswith("https://www.openstreetmap.org/?mlat=52.22803")
    assert rows[0]["photo"] == "ja" and rows[0]["reported_at"] == "2026-10-01 14:00"
    assert rows[1]["status_name"] == "opgelost" and rows[1]["latitude"] == ""
    assert "42" not in findings_csv(_, findings).decode("utf-8-sig").split("\n", 1)[1][:3]
    geo = json.loads(findings_geojson(_, _inspection(), findings))
    first, second = geo["features"]
    assert first["geometry"]["coordinates"] == [6.896123, 52.228031]  # longitude first
    assert second["geometry"] is None and second["properties"]["street"] == "Kerkstraat 12"
    assert "reporter_id" not in first["properties"]


def test_projection_and_map() -> None:
    points = [MapPoint(1, 52.2280, 6.8960, "lighting"), MapPoint(2, 52.2289, 6.8960, "bikes")]
    (x1, y1), (x2, y2) = project(points)
    assert abs((y2 - y1) - 100.1) < 0.5 and abs(x1 - x2) < 1e-6  # 0.0009° of latitude ≈ 100 m
    east = project([MapPoint(1, 52.0, 6.0, "x"), MapPoint(2, 52.0, 6.001, "x")])
    assert abs((east[1][0] - east[0][0]) - 68.5) < 0.5  # shrunk by cos(52°)
    assert [scale_length(s) for s in (240, 1000, 4500, 30)] == [50, 200, 1000, 5]
    labels = MapLabels(
        "Wijkschouw",
        "sub",
        {"lighting": "Licht", "bikes": "Fietsen"},
        {"lighting": "#e6a700"},
        "{n} m",
        "N",
    )
    png = findings_map(labels, points)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (800, 800)
    with pytest.raises(ValueError):
        findings_map(labels, [])
