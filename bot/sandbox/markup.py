"""Telegram's HTML parse mode, checked the way the Bot API checks it.

A message the bot formats wrongly is rejected by Telegram with "can't parse entities"; the sandbox
must reject it too, or the bug only shows in production. The parser returns the plain text and the
entities (offsets in UTF-16 code units, as Telegram counts them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_PLAIN_RUN = re.compile(r"[^<&]+")


class HtmlError(ValueError):
    """The markup would make Telegram answer 400 "can't parse entities: <message>"."""


@dataclass(slots=True)
class ParsedText:
    """Plain text as Telegram stores it, with the entities the tags stood for."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    name: str
    start: int
    attrs: dict[str, str]
    begin: int
    language: str | None = None


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def decode_entity(source: str, index: int) -> tuple[str, int] | None:
    """Decode the entity at ``source[index] == '&'``; None when Telegram would not know it."""
    end = source.find(";", index + 1, index + 12)
    if end == -1:
        return None
    body = source[index + 1 : end]
    if body.startswith("#"):
        digits = body[1:]
        try:
            if digits[:1] in ("x", "X"):
                code = int(digits[1:], 16)
            elif digits.isdigit():
                code = int(digits)
            else:
                return None
        except ValueError:
            return None
        if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1
    char = NAMED_ENTITIES.get(body)
    if char is None:
        return None
    return char, end + 1


def _unescape_attr(value: str) -> str:
    if "&" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := decode_entity(value, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


class _Parser:
    """One pass over the markup; errors carry the byte offsets Telegram reports."""

    def __init__(self, source: str, strict_ampersand: bool) -> None:
        self.src = source
        self.strict = strict_ampersand
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def fail(self, message: str) -> HtmlError:
        return HtmlError(message)

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.pos16 += utf16_len(text)

    def run(self) -> ParsedText:
        src, n, i = self.src, len(self.src), 0
        while i < n:
            c = src[i]
            if c == "&":
                decoded = decode_entity(src, i)
                if decoded is None:
                    if self.strict:
                        raise self.fail(
                            f'Character "&" at byte offset {_byte_offset(src, i)} is not a part '
                            'of an entity; escape it as "&amp;"'
                        )
                    decoded = ("&", i + 1)
                self.emit(decoded[0])
                i = decoded[1]
            elif c == "<":
                i = self.end_tag(i) if src.startswith("</", i) else self.start_tag(i)
            else:
                match = _PLAIN_RUN.match(src, i)
                assert match is not None
                self.emit(match.group())
                i = match.end()
        if self.stack:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def start_tag(self, begin: int) -> int:
        src, n = self.src, len(self.src)
        i = begin + 1
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        if i >= n:
            raise self.fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        name = src[begin + 1 : i].lower()
        if name not in ENTITY_TYPES:
            raise self.fail(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise self.fail(
                    f'Unclosed start tag "{name}" at byte offset {_byte_offset(src, begin)}'
                )
            if src[i] == ">":
                i += 1
                break
            start = i
            while i < n and not src[i].isspace() and src[i] not in "=>":
                i += 1
            attr = src[start:i].lower()
            if not attr:
                raise self.fail(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != "=":
                attrs[attr] = ""
                continue
            i += 1
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise self.fail(
                    f'Unclosed start tag "{name}" at byte offset {_byte_offset(src, begin)}'
                )
            if src[i] in "\"'":
                close = src.find(src[i], i + 1)
                if close == -1:
                    raise self.fail(
                        f'Unclosed start tag "{name}" at byte offset {_byte_offset(src, begin)}'
                    )
                value = src[i + 1 : close]
                i = close + 1
            else:
                start = i
                while i < n and not src[i].isspace() and src[i] != ">":
                    i += 1
                value = src[start:i]
            attrs[attr] = _unescape_attr(value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.fail(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                f"{_byte_offset(src, begin)}"
            )
        self.stack.append(_Open(name, self.pos16, attrs, begin))
        return i

    def end_tag(self, begin: int) -> int:
        src = self.src
        close = src.find(">", begin + 2)
        if close == -1:
            raise self.fail(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        name = src[begin + 2 : close].strip().lower()
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        top = self.stack[-1]
        if name != top.name:
            raise self.fail(
                f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close_entity(top)
        return close + 1

    def close_entity(self, tag: _Open) -> None:
        length = self.pos16 - tag.start
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            cls = tag.attrs.get("class", "")
            if cls.startswith("language-"):
                parent.language = cls.removeprefix("language-")
            return  # Telegram folds <pre><code> into one "pre" entity
        if length == 0:
            return
        entity: dict[str, Any] = {
            "type": ENTITY_TYPES[tag.name],
            "offset": tag.start,
            "length": length,
        }
        if tag.name == "a":
            href = tag.attrs.get("href", "")
            if not href:
                return
            entity["url"] = href
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        self.entities.append(entity)


def parse_html(source: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Telegram HTML; raise HtmlError with Telegram's wording when it would be refused.

    With ``strict_ampersand`` a bare "&" is refused, as the Bot API documentation demands; the real
    server is lenient there, but a bare "&" usually means a forgotten ``html.escape``.
    """
    return _Parser(source, strict_ampersand).run()
