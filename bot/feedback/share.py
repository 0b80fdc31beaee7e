"""The "Share in your WhatsApp group" link: `https://wa.me/?text=…` opens WhatsApp with the
message filled in and lets the coordinator choose the group (no phone number in the link).

The text is the Telegram HTML made plain: tags stripped, each link as "text (url)", entities
resolved (messages.telegram_html.plain_text), then percent-encoded.

How long may the link be? WhatsApp documents no maximum for `text`. The link passes through
Telegram's URL button, the phone's browser or link handler and wa.me's web server, so we keep it
within the smallest limit those are known to have: Microsoft documents 2,083 characters for a
URL and 2,048 for its path in Internet Explorer (KB 208427, "Maximum URL length is 2,083
characters in Internet Explorer"), and its IEInternals blog ("URL Length Limits", 2014) says
that WinINET limit is still enforced in Windows code paths; RFC 9110 section 4.1 only recommends
that software support at least 8,000 octets. We use 2,048. A longer text is cut at a word and
ends with an ellipsis and a pointer to the bot, where the whole message can be read.
"""

from __future__ import annotations

from urllib.parse import quote

from messages.telegram_html import plain_text

WA_ME = "https://wa.me/?text="
MAX_URL_LENGTH = 2048
ELLIPSIS = "…"


def _link(text: str) -> str:
    return WA_ME + quote(text, safe="")


def wa_me_link(html: str, more: str) -> str:
    """The wa.me link for a message in Telegram HTML, at most MAX_URL_LENGTH characters.

    `more` is the pointer to the bot (plain text) added after the ellipsis when the text has to
    be shortened.
    """
    text = plain_text(html, links=True)
    link = _link(text)
    if len(link) <= MAX_URL_LENGTH:
        return link
    tail = f"{ELLIPSIS}\n\n{more}"
    # The encoded length grows with the kept prefix: find the longest prefix that fits.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(_link(text[:middle] + tail)) <= MAX_URL_LENGTH:
            low = middle
        else:
            high = middle - 1
    kept = text[:low]
    # Never end in the middle of a word or a web address.
    boundary = max(kept.rfind(" "), kept.rfind("\n"))
    if boundary > 0 and not text[low : low + 1].isspace():
        kept = kept[:boundary]
    return _link(kept.rstrip() + tail)
