"""The wa.me link: the message as plain text (tags stripped, links as "text (url)", entities
resolved), percent-encoded, within the length bound, shortened at a word when needed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.feedback.share import ELLIPSIS, MAX_URL_LENGTH, WA_ME, wa_me_link
from messages.loader import load_calendar
from messages.telegram_html import plain_text

MORE = "Read the whole message in the Buurtwacht bot on Telegram: https://t.me/buurtwacht_bot"


def decoded(link: str) -> str:
    assert link.startswith(WA_ME)
    (text,) = parse_qs(urlsplit(link).query, keep_blank_values=True)["text"]
    return text


def test_a_short_message_decodes_back_to_its_plain_text() -> None:
    html = (
        '<b>Gestolen fiets?</b> Check het op <a href="https://www.stopheling.nl">Stop Heling</a> '
        '&amp; meld het op <a href="https://www.politie.nl">https://www.politie.nl</a>.\n'
        'Bel 0900-8844 &lt;geen spoed&gt; of 112 &#8211; "direct" 🚨'
    )
    link = wa_me_link(html, MORE)
    assert decoded(link) == (
        "Gestolen fiets? Check het op Stop Heling (https://www.stopheling.nl) "
        "& meld het op https://www.politie.nl.\n"
        'Bel 0900-8844 <geen spoed> of 112 – "direct" 🚨'
    )
    assert len(link) <= MAX_URL_LENGTH
    # Nothing but unreserved characters and escapes: "&", "#" or a space would break the query.
    assert not set(link[len(WA_ME) :]) & set(' &#+?\n<>"')


def test_a_long_message_is_cut_at_a_word_with_a_pointer_to_the_bot() -> None:
    sentence = (
        "Draai de deur op slot en zet een lamp op een <i>tijdschakelaar</i>; meer op "
        '<a href="https://www.politiekeurmerk.nl/veilig-wonen">Politiekeurmerk</a> &amp; bij de '
        "wijkagent. "
    )
    html = "<b>Tip</b>\n" + sentence * 30
    full = plain_text(html, links=True)
    link = wa_me_link(html, MORE)
    text = decoded(link)
    assert len(link) <= MAX_URL_LENGTH
    assert len(link) > MAX_URL_LENGTH - 200  # as much of the message as fits
    assert text.endswith(f"{ELLIPSIS}\n\n{MORE}")
    kept = text.removesuffix(f"{ELLIPSIS}\n\n{MORE}")
    assert full.startswith(kept) and len(kept) < len(full)
    assert full[len(kept)].isspace()  # cut between words, never inside a word or address
    assert "(https://www.politiekeurmerk.nl/veilig-wonen)" in kept


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_shipped_calendar_text_fits(locale: str) -> None:
    for entry in load_calendar().entries:
        html = entry.texts[locale]
        link = wa_me_link(html, MORE)
        assert len(link) <= MAX_URL_LENGTH, entry.id
        text = decoded(link)
        full = plain_text(html, links=True)
        assert text == full or (
            text.endswith(f"{ELLIPSIS}\n\n{MORE}")
            and full.startswith(text.removesuffix(f"{ELLIPSIS}\n\n{MORE}"))
        ), entry.id


def test_plain_text_without_links_keeps_only_the_link_text() -> None:
    html = 'Zie <a href="https://www.stopheling.nl">Stop Heling</a>.'
    assert plain_text(html) == "Zie Stop Heling."
    assert plain_text(html, links=True) == "Zie Stop Heling (https://www.stopheling.nl)."
