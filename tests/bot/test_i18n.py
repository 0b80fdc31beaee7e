"""The catalogues: every text in the code is translated in nl and en, placeholders agree, and
the compiled catalogues really load (babel falls back to NullTranslations silently).

The extractor only sees calls of its keywords, so a text passed to a translator under another
name (`_a = services.i18n.get(...)`, a wrapper function) is never in the catalogue and reaches
every reader in English while the catalogue looks complete. The AST scan below finds those.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from telegram.ext import CommandHandler, ConversationHandler

from bot.app import build_application, build_services
from bot.commands import CANCEL, COMMANDS
from bot.i18n import LOCALE_DIR, Catalogues, Html, count_chats
from bot.storage import Database
from tests.harness import make_config

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "scheduler", "messages")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TZ = ZoneInfo("Europe/Amsterdam")
# What the extractor looks for (the Makefile's `pybabel extract -k N_` finds these too).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# `_.ngettext(...)` is extracted by its last name, like a plain `ngettext(...)`.
TRANSLATING_ATTRIBUTES = {"ngettext"}


def code_messages() -> set[str]:
    """Every text in the code, and in the dashboard's templates (Jinja2's extractor, as in
    babel.cfg)."""
    found: set[str] = set()
    sources = [(ROOT / package, [("**.py", "python")]) for package in PACKAGES]
    sources.append((ROOT / "bot" / "dashboard" / "templates", [("**.html", "jinja2")]))
    for folder, method_map in sources:
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            folder,
            method_map=method_map,
            keywords=KEYWORDS,  # type: ignore[arg-type]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_templates_texts_are_found() -> None:
    """The template extractor really runs (a missing Jinja2 would find nothing silently)."""
    assert {"Log in", "This campaign will reach {n} chat."} <= code_messages()


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_message_is_translated(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "buurtwacht.po").open("rb") as fh:
        catalog = read_po(fh)
    # A plural entry is keyed by its singular; every form must be filled in.
    translated: dict[str, tuple[str, ...]] = {}
    for m in catalog:
        if m.id:
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            translated[ids[0]] = tuple(forms) if all(forms) else ()
            for form in forms:
                assert sorted(PLACEHOLDER.findall(ids[-1])) == sorted(PLACEHOLDER.findall(form)), (
                    ids
                )
    missing = sorted(m for m in code_messages() if not translated.get(m))
    assert not missing, f"untranslated in {locale}: {missing}"


def test_compiled_catalogues_translate() -> None:
    i18n = Catalogues(["nl", "en"], "nl", TZ)
    assert i18n.get("nl")("Confirm") == "Bevestigen"
    assert i18n.get("en")("Confirm") == "Confirm"
    assert i18n.get("de")("Confirm") == "Bevestigen"  # unknown locale -> default
    assert i18n.pick("en-GB") == "en" and i18n.pick("fr") == "nl" and i18n.pick(None) == "nl"


def test_plural_forms() -> None:
    i18n = Catalogues(["nl", "en"], "nl", TZ)
    assert count_chats(i18n.get("en"), 1) == "1 chat"
    assert count_chats(i18n.get("en"), 3) == "3 chats"
    assert count_chats(i18n.get("nl"), 0) == "0 chats"


def test_missing_catalogue_fails_loudly() -> None:
    with pytest.raises(RuntimeError, match="no compiled catalogue for locale 'fy'"):
        Catalogues(["nl", "fy"], "nl", TZ)


def test_values_are_html_escaped_unless_marked_safe() -> None:
    _ = Catalogues(["nl", "en"], "nl", TZ).get("en")
    assert _("Which neighbourhood of {name}?", name="<b>x</b>&") == (
        "Which neighbourhood of &lt;b&gt;x&lt;/b&gt;&amp;?"
    )
    assert _("Which neighbourhood of {name}?", name=Html("<i>x</i>")) == (
        "Which neighbourhood of <i>x</i>?"
    )


def test_dates_in_locale_and_amsterdam_time() -> None:
    from datetime import UTC, datetime

    i18n = Catalogues(["nl", "en"], "nl", TZ)
    moment = datetime(2027, 7, 1, 17, 0, tzinfo=UTC)  # 19:00 CEST
    assert i18n.get("nl").fmt_datetime(moment, "d MMMM y HH:mm") == "1 juli 2027 19:00"
    assert i18n.get("en").fmt_datetime(moment, "d MMMM y HH:mm") == "1 July 2027 19:00"
    with pytest.raises(ValueError):
        i18n.get("nl").fmt_datetime(datetime(2027, 7, 1, 17, 0))


def _sources() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text("utf-8"), str(path))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != ROOT / "bot" / "i18n.py"  # the translator itself
    }


def _is_translator_annotation(node: ast.expr | None) -> bool:
    return node is not None and ast.unparse(node).strip("'\"").rsplit(".", 1)[-1] == "Translator"


def _translator_factories(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of the functions and methods declared to return a Translator."""
    return {
        node.name
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and _is_translator_annotation(node.returns)
    } | {"get"}  # Catalogues.get (checked on an `...i18n` receiver only)


def _makes_translator(value: ast.expr, factories: set[str]) -> bool:
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute):
        if func.attr == "get":
            return ast.unparse(func.value).endswith("i18n")
        return func.attr in factories
    return isinstance(func, ast.Name) and func.id in factories and func.id != "get"


def _is_translation_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in KEYWORDS
    return isinstance(func, ast.Attribute) and func.attr in TRANSLATING_ATTRIBUTES


def _problems(path: Path, tree: ast.Module, factories: set[str]) -> Iterator[str]:
    where = path.relative_to(ROOT)
    marked = {  # module constants whose text the extractor sees: NAME = N_("...")
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "N_"
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    constants = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _makes_translator(node.value, factories):
                for target in targets:
                    if not (isinstance(target, ast.Name) and target.id == "_"):
                        yield (
                            f"{where}:{node.lineno}: a translator named {ast.unparse(target)!r}: "
                            "the extractor only sees calls of `_`"
                        )
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            for param in params:
                if _is_translator_annotation(param.annotation) and param.arg != "_":
                    yield f"{where}:{node.lineno}: a Translator parameter named {param.arg!r}"
            names = {param.arg for param in params}
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and _is_translation_call(inner)
                    and inner.args
                    and isinstance(inner.args[0], ast.Name)
                    and inner.args[0].id in names
                ):
                    yield (
                        f"{where}:{inner.lineno}: a wrapper translates its parameter "
                        f"{inner.args[0].id!r}: the texts passed to it are never extracted"
                    )
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        if re.fullmatch(r"\w*gettext", name) and name not in KEYWORDS and literal:
            yield f"{where}:{node.lineno}: {name}() is not an extractor keyword"
        if _is_translation_call(node):
            if isinstance(first, ast.JoinedStr | ast.BinOp):
                yield f"{where}:{node.lineno}: a computed text cannot be extracted"
            if isinstance(first, ast.Name) and first.id in constants - marked:
                yield f"{where}:{node.lineno}: {first.id} is translated but not marked with N_()"


def test_every_translated_text_is_seen_by_the_extractor() -> None:
    trees = _sources()
    factories = _translator_factories(trees)
    problems = [p for path, tree in trees.items() for p in _problems(path, tree, factories)]
    assert not problems, "\n".join(problems)


def test_the_scan_finds_hidden_translations(tmp_path: Path) -> None:
    """The scan itself can fail: each of these hides a text from the extractor."""
    hidden = {
        "alias": "_a = services.i18n.get('en')\n_a('Your campaign was approved.')\n",
        "awaited": "async def f(c, u):\n    tr = await c.translator(u)\n    return tr('Hi')\n",
        "parameter": "def f(tr: Translator) -> str:\n    return tr('Hi')\n",
        "wrapper": "def t(message):\n    return _(message)\n",
        "fstring": "def f(_, n):\n    return _(f'{n} days')\n",
        "unmarked": "TEXT = 'Hello'\ndef f(_):\n    return _(TEXT)\n",
        "gettext": "def f(t):\n    return t.gettext('Hello')\n",
    }
    for name, source in hidden.items():
        path = ROOT / "bot" / f"{name}.py"
        found = list(_problems(path, ast.parse(source), {"translator", "get"}))
        assert found, name


def _dutch_names() -> dict[str, str]:
    """English command name -> its Dutch alias, where the command has one."""
    names = {spec.name: spec.aliases[0] for spec in COMMANDS if spec.aliases}
    return names | {CANCEL[0]: CANCEL[1]}


# A command in a text: "/forgetme", also in "<code>/linkteam …", not "</b>" or the path in
# "https://t.me/bot".
COMMAND_IN_TEXT = re.compile(r"(?<![\w</.:])/([a-z]+)\b")


def test_dutch_texts_use_the_dutch_command_names() -> None:
    dutch = _dutch_names()
    with (LOCALE_DIR / "nl" / "LC_MESSAGES" / "buurtwacht.po").open("rb") as fh:
        catalog = read_po(fh)
    wrong = []
    for message in catalog:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            for command in COMMAND_IN_TEXT.findall(form or ""):
                if command in dutch:
                    wrong.append(f"/{command} -> /{dutch[command]} in {form[:60]!r}")
    assert not wrong, "\n".join(wrong)


def _commands_of(handler: object) -> set[str]:
    if isinstance(handler, CommandHandler):
        return set(handler.commands)
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks]
        inner += [h for handlers in handler.states.values() for h in handlers]
        return {name for h in inner for name in _commands_of(h)}
    return set()


def test_every_command_name_in_the_texts_is_registered(tmp_path: Path) -> None:
    """The Dutch aliases the texts point to (and the English names) really work."""
    services = build_services(make_config(tmp_path), Database(tmp_path / "unused.sqlite3"))
    app = build_application(services, "123:TEST")
    registered = {
        name for handlers in app.handlers.values() for h in handlers for name in _commands_of(h)
    }
    names = {spec.name for spec in COMMANDS} | set(_dutch_names().values())
    assert not sorted(names - registered)
