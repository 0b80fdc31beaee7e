"""The one validator for texts sent with parse_mode HTML: exactly Telegram's HTML subset.

Every text that enters the system as Telegram HTML (calendar files, `calendar replace`, a text
typed in the chat to replace a calendar entry, campaign texts) is checked here at input, so a
text Telegram would refuse ("can't parse entities") never reaches a chat.

Written as a small scanner rather than on `html.parser`: that parser follows browsers, which
accept (and silently skip) CDATA sections, bogus comments and unterminated entities that
Telegram refuses. The rules, from https://core.telegram.org/bots/api#html-style and
#formatting-options:

- tags: b strong i em u ins s strike del, span class="tg-spoiler", tg-spoiler, a href,
  tg-emoji emoji-id, tg-time unix [format], code, pre (with one code class="language-…" for
  the language), blockquote [expandable]; no other tag or attribute;
- entities: &lt; &gt; &amp; &quot; and numeric ones; every other < > & must be escaped;
- nesting: tags close in order; bold, italic, underline, strikethrough and spoiler may hold
  and be held by anything except pre and code; blockquotes do not nest; links, code, pre,
  custom emoji and times do not hold each other (pre holds only its language's code).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

FORMATTING = frozenset(
    ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler")
)
# Entities that hold nothing but formatting (and text), and are held by nothing but formatting.
ATOMIC = frozenset(("a", "code", "pre", "tg-emoji", "tg-time"))
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
ATTR_RE = re.compile(
    r"\s+([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?"
)
ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,8})|([A-Za-z][A-Za-z0-9]{0,31}));")
SPECIAL_RE = re.compile(r"[<>&]")
BARE = {
    c: f"a bare {c!r} must be written as {e}"
    for c, e in zip("<>&", ("&lt;", "&gt;", "&amp;"), strict=True)
}
LANGUAGE_RE = re.compile(r"^language-[A-Za-z0-9_+#.-]+$")
TIME_FORMAT_RE = re.compile(r"^(r|w?[dD]?[tT]?)$")
# Markup Telegram does not know, with the text that ends it and what to call it.
NOT_MARKUP = (
    ("<!--", "-->", "comments (<!-- -->)"),
    ("<![CDATA[", "]]>", "CDATA sections"),
    ("<?", ">", "processing instructions (<? ?>)"),
    ("<!", ">", "declarations such as <!DOCTYPE>"),
)


@dataclass(frozen=True)
class Attribute:
    required: bool
    ok: Callable[[str | None], bool]
    rule: str


def _exactly(expected: str) -> Attribute:
    return Attribute(True, lambda v: v == expected, f"must be {expected!r}")


def _matching(regex: re.Pattern[str], rule: str, *, required: bool) -> Attribute:
    return Attribute(required, lambda v: v is not None and regex.match(v) is not None, rule)


DIGITS = re.compile(r"^[0-9]{1,20}$")
ATTRIBUTES: dict[str, dict[str, Attribute]] = {
    **{tag: {} for tag in ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del")},
    **{tag: {} for tag in ("tg-spoiler", "pre")},
    "span": {"class": _exactly("tg-spoiler")},
    "a": {"href": Attribute(True, lambda v: bool(v and v.strip()), "must be a URL")},
    "tg-emoji": {"emoji-id": _matching(DIGITS, "must be a number", required=True)},
    "tg-time": {
        "unix": _matching(DIGITS, "must be a Unix time", required=True),
        "format": _matching(TIME_FORMAT_RE, "must match r|w?[dD]?[tT]?", required=False),
    },
    # Only inside <pre>; checked in _open.
    "code": {"class": _matching(LANGUAGE_RE, "must be 'language-<name>'", required=False)},
    "blockquote": {
        "expandable": Attribute(False, lambda v: v is None, "takes no value"),
    },
}


@dataclass
class _Open:
    tag: str
    holds_content: bool = False  # for <pre>: anything seen yet (it may hold one <code> only)
    closed_code: bool = False


@dataclass
class _Scan:
    errors: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    stack: list[_Open] = field(default_factory=list)
    # With `links`, a link's address follows its text: "text (url)".
    links: bool = False
    open_links: list[tuple[str, int]] = field(default_factory=list)  # (href, where its text starts)

    def content(self) -> None:
        """Something (text or a tag) appears in the innermost element."""
        if self.stack and self.stack[-1].tag == "pre":
            top = self.stack[-1]
            if top.closed_code:
                self.errors.append("<pre> may hold one <code> and nothing after it")
            top.holds_content = True

    def text(self, data: str) -> None:
        if data:
            self.content()
            self.parts.append(data)


def _attributes(tag: str, raw: str, scan: _Scan) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    end = 0
    for m in ATTR_RE.finditer(raw):
        if m.start() != end:
            break
        end = m.end()
        name = m.group(1).lower()
        value = next((g for g in m.group(2, 3, 4) if g is not None), None)
        if name in found:
            scan.errors.append(f"attribute {name!r} appears twice on <{tag}>")
        found[name] = value
    if raw[end:].strip():
        scan.errors.append(f"<{tag}> has a malformed attribute: {raw[end:].strip()[:30]!r}")
    return found


def _open(tag: str, raw_attrs: str, scan: _Scan) -> None:
    allowed = ATTRIBUTES[tag]
    attrs = _attributes(tag, raw_attrs, scan)
    for name, value in attrs.items():
        spec = allowed.get(name)
        if spec is None:
            scan.errors.append(f"attribute {name!r} is not allowed on <{tag}>")
        elif not spec.ok(value):
            scan.errors.append(f"<{tag} {name}> {spec.rule}")
    for name, spec in allowed.items():
        if spec.required and name not in attrs:
            scan.errors.append(f"<{tag}> needs {name}")
    parent = scan.stack[-1].tag if scan.stack else None
    in_pre_code = tag == "code" and parent == "pre"
    if tag == "code" and "class" in attrs and not in_pre_code:
        scan.errors.append("a language (class) is only allowed on <code> inside <pre>")
    if in_pre_code and scan.stack[-1].holds_content:
        scan.errors.append("<pre> may hold one <code> and nothing before it")
    scan.content()
    held_by = [o.tag for o in scan.stack]
    if tag in ATOMIC and not in_pre_code:
        blocker = next((t for t in held_by if t in ATOMIC), None)
        if blocker:
            scan.errors.append(f"<{tag}> cannot be inside <{blocker}>")
    if tag in FORMATTING or tag == "blockquote":
        blocker = next((t for t in held_by if t in ("code", "pre")), None)
        if blocker is None and tag == "blockquote":
            blocker = next((t for t in held_by if t in ATOMIC | {"blockquote"}), None)
        if blocker:
            scan.errors.append(f"<{tag}> cannot be inside <{blocker}>")
    if tag in ("code", "pre") and not in_pre_code:
        blocker = next((t for t in held_by if t in FORMATTING), None)
        if blocker:
            scan.errors.append(f"<{tag}> cannot be inside <{blocker}>")
    scan.stack.append(_Open(tag))
    if tag == "a" and scan.links:
        scan.open_links.append((html.unescape(attrs.get("href") or ""), len(scan.parts)))


def _close(tag: str, scan: _Scan) -> None:
    if scan.stack and scan.stack[-1].tag == tag:
        scan.stack.pop()
        if tag == "code" and scan.stack and scan.stack[-1].tag == "pre":
            scan.stack[-1].closed_code = True
        if tag == "a" and scan.open_links:
            _end_link(scan)
        return
    if any(o.tag == tag for o in scan.stack):
        scan.errors.append(f"</{tag}> closes before <{scan.stack[-1].tag}> inside it is closed")
        while scan.stack and scan.stack.pop().tag != tag:
            pass
    else:
        scan.errors.append(f"</{tag}> closes no open tag")


def _end_link(scan: _Scan) -> None:
    """After a link's text, its address in brackets, unless the text is the address."""
    href, start = scan.open_links.pop()
    label = "".join(scan.parts[start:]).strip()
    if href and href not in (label, f"mailto:{label}", f"tel:{label}"):
        scan.parts.append(f" ({href})")


def _entity(m: re.Match[str], scan: _Scan) -> None:
    decimal, hexadecimal, name = m.groups()
    if name is not None:
        if name in NAMED_ENTITIES:
            scan.text(NAMED_ENTITIES[name])
        else:
            scan.errors.append(
                f"entity &{name}; is not supported by Telegram "
                "(only &lt; &gt; &amp; &quot; and numeric ones)"
            )
        return
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        scan.errors.append(f"character reference {m.group(0)} is not a character")
    else:
        scan.text(chr(code))


def _scan(text: str, *, links: bool = False) -> _Scan:
    scan = _Scan(links=links)
    i = 0
    while (special := SPECIAL_RE.search(text, i)) is not None:
        start = special.start()
        scan.text(text[i:start])
        char = text[start]
        if char == "&":
            end = _token_at(ENTITY_RE, _entity, BARE["&"], text, start, scan)
        elif char == "<":
            end = _not_markup(text, start, scan)
            if end is None:
                end = _token_at(TAG_RE, _tag, BARE["<"], text, start, scan)
        else:
            scan.errors.append(BARE[">"])
            end = None
        if end is None:  # a bare character: a problem, and shown as it is
            scan.text(char)
            end = start + 1
        i = end
    scan.text(text[i:])
    scan.errors.extend(f"<{o.tag}> is never closed" for o in reversed(scan.stack))
    return scan


def _token_at(
    regex: re.Pattern[str],
    handle: Callable[[re.Match[str], _Scan], None],
    bare: str,
    text: str,
    i: int,
    scan: _Scan,
) -> int | None:
    """Past the token `regex` matches at `i` (handled), or None after the problem `bare`."""
    m = regex.match(text, i)
    if m is None:
        scan.errors.append(bare)
        return None
    handle(m, scan)
    return m.end()


def _not_markup(text: str, i: int, scan: _Scan) -> int | None:
    """Past a comment, CDATA section, declaration or processing instruction at `i` (each a
    problem), or None when there is none."""
    for start, end, name in NOT_MARKUP:
        if text.startswith(start, i):
            scan.errors.append(f"{name} are not allowed by Telegram")
            found = text.find(end, i + len(start))
            return len(text) if found < 0 else found + len(end)
    return None


def _tag(m: re.Match[str], scan: _Scan) -> None:
    closing, name, raw_attrs, self_closing = m.groups()
    tag = name.lower()
    if tag not in ATTRIBUTES:
        scan.errors.append(f"tag <{tag}> is not allowed by Telegram")
    elif self_closing:
        scan.errors.append(f"self-closing <{tag}/> is not allowed by Telegram")
    elif closing:
        if raw_attrs.strip():
            scan.errors.append(f"</{tag}> cannot have attributes")
        _close(tag, scan)
    else:
        _open(tag, raw_attrs, scan)


def _shown(scan: _Scan) -> str:
    return "".join(scan.parts).strip()


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def html_problems(text: str) -> list[str]:
    """What Telegram would reject in `text` (sent with parse_mode HTML); empty when valid."""
    return list(dict.fromkeys(_scan(text).errors))


def plain_text(text: str, *, links: bool = False) -> str:
    """The text a reader sees: tags stripped, entities resolved, outer whitespace trimmed.

    With `links`, every link's address follows its text in brackets ("text (url)"), for plain
    text elsewhere (a WhatsApp message), where the link would otherwise be lost.
    """
    return _shown(_scan(text, links=links))


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the text after entity parsing."""
    return _utf16_length(plain_text(text))


def text_problems(text: str, limit: int) -> list[str]:
    """Every reason Telegram would refuse `text` as a message (limit 4096) or as a caption
    (1024): its HTML, an empty text, or its length."""
    scan = _scan(text)
    problems = list(dict.fromkeys(scan.errors))
    length = _utf16_length(_shown(scan))
    if length == 0:
        problems.append("the text is empty")
    elif length > limit:
        problems.append(f"the text is {length} characters, over {limit}")
    return problems
