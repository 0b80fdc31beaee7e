"""The one HTML validator: exactly Telegram's HTML subset, nothing more, nothing less."""

from __future__ import annotations

import pytest

from messages import CALENDAR_DIR, check_calendar, load_calendar
from messages.telegram_html import html_problems, plain_text, telegram_length, text_problems


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>i</ins>",
        "<s>s</s> <strike>s</strike> <del>d</del> <code>c</code> <pre>p</pre>",
        '<a href="https://www.stopheling.nl">link</a> <tg-spoiler>x</tg-spoiler>',
        '<span class="tg-spoiler">x</span> <blockquote>q</blockquote>',
        "<blockquote expandable>long\nquote</blockquote>",
        "<b>nested <i>fine <u>and <s>deeper <tg-spoiler>x</tg-spoiler></s></u></i></b>",
        '<b>a <a href="https://politie.nl">bold link</a></b> <a href="tg://user?id=1"><i>x</i></a>',
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        '<tg-time unix="1647531900" format="wDT">22:45</tg-time> <tg-time unix="1">x</tg-time>',
        '<pre><code class="language-python">print("x")</code></pre>',
        "&lt; &gt; &amp; &quot; &#39; &#x1F512; &#X41;",
        "<B>upper case</B> <a href='https://x.nl/?a=1&b=2'>single quotes, bare &amp; in href</a>",
        # What PTB's Message.text_html writes for Telegram's own entities.
        "&#x27;quoted&#x27; <b>b</b> <blockquote>q</blockquote> <s>s</s> <u>u</u>",
    ],
)
def test_telegram_html_that_is_accepted(text: str) -> None:
    assert html_problems(text) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # What the audit found: calendar replace took it, every delivery then failed.
        ("Hallo <![CDATA[<b>]]> buren", "CDATA sections are not allowed"),
        ("<!-- note -->", "comments (<!-- -->) are not allowed"),
        ("<!DOCTYPE html>x", "declarations such as <!DOCTYPE> are not allowed"),
        ("<?xml version='1.0'?>x", "processing instructions (<? ?>) are not allowed"),
        ("<script>alert(1)</script>", "tag <script> is not allowed"),
        ('<a href="https://x.nl" onclick="steal()">x</a>', "attribute 'onclick' is not allowed"),
        ("Tekst&nbsp;hier", "entity &nbsp; is not supported"),
        ("&copy; 2027", "entity &copy; is not supported"),
        ("&amp without semicolon", "bare '&'"),
        ("&#0; &#xD800;", "is not a character"),
        ("fish & chips", "bare '&'"),
        ("1 < 2", "bare '<'"),
        ("2 > 1", "bare '>'"),
        ("<b>x<i>y</b></i>", "</b> closes before <i> inside it is closed"),
        ("</b>", "</b> closes no open tag"),
        ("<b>open", "<b> is never closed"),
        ("<a>x</a>", "<a> needs href"),
        ('<span class="red">x</span>', "<span class> must be 'tg-spoiler'"),
        ("<span>x</span>", "<span> needs class"),
        ('<b class="x">x</b>', "attribute 'class' is not allowed on <b>"),
        ('<code class="language-py">x</code>', "only allowed on <code> inside <pre>"),
        ('<pre><code class="python">x</code></pre>', "<code class> must be 'language-<name>'"),
        ("<pre>a<code>b</code></pre>", "<pre> may hold one <code> and nothing before it"),
        ("<pre><b>x</b></pre>", "<b> cannot be inside <pre>"),
        ("<b><code>x</code></b>", "<code> cannot be inside <b>"),
        ('<a href="https://x.nl"><a href="https://y.nl">x</a></a>', "<a> cannot be inside <a>"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "cannot be inside <blockquote>"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "<tg-emoji emoji-id> must be a number"),
        ('<tg-time unix="1" format="rD">x</tg-time>', "must match r|w?[dD]?[tT]?"),
        ("<blockquote expandable='yes'>x</blockquote>", "<blockquote expandable> takes no value"),
        ("a<b/>b", "self-closing <b/>"),
        ("<br>", "tag <br> is not allowed"),
        ('<a href="x" href="y">x</a>', "attribute 'href' appears twice"),
    ],
)
def test_telegram_html_that_is_rejected(text: str, words: str) -> None:
    problems = html_problems(text)
    assert any(words in p for p in problems), problems


def test_length_is_counted_as_telegram_does() -> None:
    # Tags do not count, entities count as one character, astral characters as two UTF-16 units.
    assert telegram_length("<b>a&amp;b</b>") == 3
    assert telegram_length("\U0001f512") == 2
    assert plain_text('<b>Title</b>\n<a href="https://x.nl">x &lt; y</a>') == "Title\nx < y"


def test_text_problems_adds_emptiness_and_length() -> None:
    assert text_problems("<b>ok</b>", 4096) == []
    assert text_problems("<b> </b>", 4096) == ["the text is empty"]
    assert text_problems("x" * 1025, 1024) == ["the text is 1025 characters, over 1024"]
    assert text_problems("<x>", 10) == ["tag <x> is not allowed by Telegram", "the text is empty"]


def test_every_shipped_calendar_entry_passes_the_strict_validator() -> None:
    assert check_calendar(CALENDAR_DIR) == []
    for entry in load_calendar().entries:
        for locale, text in entry.texts.items():
            assert html_problems(text) == [], (entry.id, locale)
