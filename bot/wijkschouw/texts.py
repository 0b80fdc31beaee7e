"""The wijkschouw's texts for the group, the reporter and the municipality.

Every value typed by a person (meeting point, street, note, reason) goes into the translator as
a keyword value, so it is HTML-escaped. Reporters are never named: a finding shows its number.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

from bot.i18n import Html, Translator
from bot.storage.inspections import Finding, Inspection
from bot.wijkschouw.model import CATEGORIES, STATUS_NAMES, osm_link

DATE_FORMAT = "EEEE d MMMM y HH:mm"


def category_text(_: Translator, key: str) -> str:
    category = CATEGORIES.get(key)
    return f"{category.emoji} {_(category.label)}" if category else key


def status_text(_: Translator, status: str) -> str:
    return _(STATUS_NAMES.get(status, status))


def place_name(inspection: Inspection, municipality: str) -> str:
    """ "Roombeek (Enschede)", or the municipality for a group of the whole municipality."""
    if inspection.neighbourhood:
        return f"{inspection.neighbourhood} ({municipality})"
    return municipality


def where(_: Translator, finding: Finding, *, link: bool = False) -> Html:
    """The typed street, or the shared location (as a map link for the municipality)."""
    if finding.street:
        return Html(html.escape(finding.street, quote=False))
    if finding.point:
        lat, lon = finding.point
        text = f"📍 {lat:.5f}, {lon:.5f}"
        return Html(f'<a href="{osm_link(lat, lon)}">{text}</a>' if link else text)
    return Html(_("no place given"))


def finding_line(
    _: Translator, finding: Finding, *, link: bool = False, status: bool = False
) -> str:
    """ "#3 💡 Lighting – Kerkstraat 12: lamp is broken" (with 📷 when there is a photo)."""
    line = _(
        "#{number} {category} – {place}",
        number=finding.number,
        category=category_text(_, finding.category),
        place=where(_, finding, link=link),
    )
    if finding.photo:
        line += " 📷"
    if finding.note:
        line += _(": {note}", note=finding.note)
    if status:
        line += " " + _("({status})", status=status_text(_, finding.status))
    return line


def counts_line(_: Translator, findings: Sequence[Finding]) -> str:
    """Findings per category, in the categories' order: "💡 Lighting 3 · 🌳 Greenery 1"."""
    counts = Counter(f.category for f in findings)
    return " · ".join(
        f"{category_text(_, key)} {counts[key]}" for key in CATEGORIES if counts.get(key)
    )


def invitation(_: Translator, inspection: Inspection, municipality: str, participants: int) -> str:
    lines = [
        _("<b>Wijkschouw {place}</b>", place=place_name(inspection, municipality)),
        _("📅 {when}", when=_.fmt_datetime(inspection.walk_at, DATE_FORMAT)),
        _("📍 Meeting point: {point}", point=inspection.meeting_point),
        "",
        _(
            "Together we walk through the neighbourhood and note what makes burglary easy: dark "
            "spots, high hedges, hiding places, open windows or garages, ladders and bins "
            "against houses."
        ),
        _(
            "During the walk, press “Report a finding”: I open a private chat in which you "
            "send a photo, the place and a short note. Your name is not shown to others."
        ),
        "",
        _.ngettext("{n} neighbour is joining.", "{n} neighbours are joining.", participants),
    ]
    if not inspection.is_open:
        lines += ["", _("<i>This wijkschouw is closed. Thank you for walking along!</i>")]
    return "\n".join(lines)


def group_summary(
    _: Translator,
    inspection: Inspection,
    municipality: str,
    findings: Sequence[Finding],
    participants: int,
    recipient: str,
) -> list[str]:
    lines = [
        _(
            "<b>Wijkschouw {place} closed</b> ({when})",
            place=place_name(inspection, municipality),
            when=_.fmt_datetime(inspection.walk_at, "d MMMM y"),
        ),
        _.ngettext(
            "Thank you for walking along! {n} neighbour took part.",
            "Thank you for walking along! {n} neighbours took part.",
            participants,
        ),
    ]
    if not findings:
        lines.append(_("No findings were reported."))
        return lines
    lines += [
        _.ngettext("{n} finding:", "{n} findings:", len(findings)),
        counts_line(_, findings),
        "",
        *(finding_line(_, f) for f in findings),
        "",
        _(
            "I have sent the findings to {recipient}. You will hear here when a finding is solved.",
            recipient=recipient,
        ),
    ]
    return lines


def report(
    _: Translator,
    inspection: Inspection,
    municipality: str,
    findings: Sequence[Finding],
    participants: int,
) -> list[str]:
    """The report for the municipality: every finding with its place (a map link for shared
    locations); photos, files and the map follow as separate messages."""
    lines = [
        _(
            "<b>Wijkschouw report: {place}</b>",
            place=place_name(inspection, municipality),
        ),
        _(
            "Walk: {when}, meeting point {point}",
            when=_.fmt_datetime(inspection.walk_at, DATE_FORMAT),
            point=inspection.meeting_point,
        ),
        _(
            "Participants: {participants} · findings: {findings}",
            participants=participants,
            findings=len(findings),
        ),
    ]
    if not findings:
        lines.append(_("No findings were reported."))
        return lines
    lines += [counts_line(_, findings), "", *(finding_line(_, f, link=True) for f in findings)]
    lines += [
        "",
        _(
            "Photos, a CSV file, a GeoJSON file and a map follow. Mark each finding on the "
            "message below: forwarded, solved or not our task, with a reason. The group hears "
            "when a finding is solved."
        ),
    ]
    return lines


def board(
    _: Translator, inspection: Inspection, municipality: str, findings: Sequence[Finding]
) -> str:
    counts = Counter(f.status for f in findings)
    return "\n".join(
        [
            _(
                "<b>Findings of the wijkschouw {place}</b> ({when})",
                place=place_name(inspection, municipality),
                when=_.fmt_datetime(inspection.walk_at, "d MMMM y"),
            ),
            " · ".join(f"{status_text(_, s)} {counts.get(s, 0)}" for s in STATUS_NAMES),
            _("Press a finding to mark it."),
        ]
    )


def board_label(_: Translator, finding: Finding) -> str:
    category = CATEGORIES.get(finding.category)
    emoji = category.emoji if category else ""
    return f"#{finding.number} {emoji} {status_text(_, finding.status)}"
