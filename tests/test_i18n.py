"""The Fluent catalog: both languages complete and well-formed, and every key the code asks for exists."""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser, FluentSerializer
from fluent.syntax import ast as fluent_ast
from fluent.syntax.visitor import Visitor

import bot.gateway.client  # noqa: F401  (imported so every GatewayError subclass is defined)
from bot.gateway.errors import GatewayError
from bot.i18n import DEFAULT_LANGUAGE, LOCALES_DIR, SUPPORTED_LANGUAGES, Translator
from bot.media.errors import ImageErrorCode
from bot.payments import CheckoutRefusal
from bot.progress import Phase
from bot.settings import Settings
from storage.models import RefusalReason

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = (ROOT / "bot", ROOT / "handlers")
KEY = re.compile(r"^[a-z]+(?:-[a-z0-9_]+)+$")
FAMILY = re.compile(r"^[a-z]+(?:-[a-z0-9_]+)*-$")
# InvalidRequestErrors raised while a job runs reach the user as failure-invalid_request (with the code),
# not through JobIntake.describe_invalid: their invalid-<code> key must exist but gets no details.
RAISED_INSIDE_JOBS = ("bot/gateway/client.py",)
# Key-looking strings in the code that are not text keys.
NOT_TEXT_KEYS = {"retry-after"}  # an HTTP header
# Calls whose argument is a text key: the Translator (`texts(language, key)`, `translate(key)`,
# `context.t(key)`) and the exceptions/events that carry a key to it.
# Value: the position of the key among the arguments.
KEY_ARGUMENT = {
    "texts": 1,
    "_texts": 1,
    "translate": 0,
    "t": 0,  # context.t(key, ...) in the handlers
    "UserFacingError": 0,
    "OptionError": 0,
    "ImageProblem": 0,
    "FollowUpProblem": 0,
    "UnavailableChoice": 0,
    "Failed": 0,
}
# Keys are plain text where the code escapes them (status messages, callback alerts): no HTML there.
PLAIN_TEXT_PREFIXES = ("progress-", "failure-", "language-set", "retry-", "button-not-yours")
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler"}
# Telegram's html parser and Translator.__call__ take these names themselves.
RESERVED_ARGUMENTS = {"language", "key"}
CJK = re.compile(r"[\u4e00-\u9fff]")

# Plausible argument values; a selector variable gets each of its values in turn.
PLAUSIBLE: dict[str, list[Any]] = {
    "count": [1, 3, "2"],
    "ahead": [0, 1, 4],
    "step": [2],
    "total": [3],
    "ready": [1],
    "n": [1, 2],
    "limit": ["4", 1],
    "orientation": ["portrait", "landscape"],
    "fast": ["yes", "no"],
    "images": ["yes", "no"],
    "sync": ["yes", "no"],
    "reason": ["PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED", "none"],
    "name": ["Dana"],
    "model": ["veo-3.1-fast"],
    "price": ["$0.15"],
    "cost": ["$0.30"],
    "left": ["$0.70"],
    "resets": ["2026-01-02 00:00 UTC"],
    "elapsed": ["1:05"],
    "period": ["day"],
}
DEFAULT_VALUE = "sample"


# -- reading the catalog ------------------------------------------------------------------------


class _References(Visitor):
    """Variables, message references and selector variables in one message."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.messages: set[str] = set()
        self.terms: set[str] = set()

    def visit_VariableReference(self, node: fluent_ast.VariableReference) -> None:
        self.variables.add(node.id.name)

    def visit_MessageReference(self, node: fluent_ast.MessageReference) -> None:
        self.messages.add(node.id.name)

    def visit_TermReference(self, node: fluent_ast.TermReference) -> None:
        self.terms.add(node.id.name)


def _parsed(language: str) -> dict[Path, fluent_ast.Resource]:
    return {
        path: FluentParser().parse(path.read_text(encoding="utf-8"))
        for path in sorted((LOCALES_DIR / language).glob("*.ftl"))
    }


def _messages(language: str) -> dict[str, fluent_ast.Message]:
    found: dict[str, fluent_ast.Message] = {}
    for resource in _parsed(language).values():
        for entry in resource.body:
            if isinstance(entry, fluent_ast.Message):
                found[entry.id.name] = entry
    return found


def _references(message: fluent_ast.Message) -> _References:
    visitor = _References()
    visitor.visit(message)
    return visitor


def _source(message: fluent_ast.Message) -> str:
    return str(FluentSerializer().serialize_entry(message))


def _bundle(language: str) -> FluentBundle:
    """A bundle built like Translator's, so formatting errors can be seen instead of logged."""
    bundle = FluentBundle([language], use_isolating=False)
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


def _format(bundle: FluentBundle, key: str, args: dict[str, Any]) -> tuple[str, list[Exception]]:
    message = bundle.get_message(key)
    assert message.value is not None, key
    text, errors = bundle.format_pattern(message.value, args)
    return str(text), list(errors)


def _argument_sets(variables: set[str]) -> Iterator[dict[str, Any]]:
    """Enough argument sets that every plausible value of every variable is used once."""
    names = sorted(variables)
    values = {name: PLAUSIBLE.get(name, [DEFAULT_VALUE]) for name in names}
    rounds = max((len(options) for options in values.values()), default=1)
    for index in range(rounds):
        yield {name: values[name][index % len(values[name])] for name in names}


EN = _messages("en")
ZH = _messages("zh")


# -- reading the code -----------------------------------------------------------------------------


def _code_trees() -> Iterator[tuple[Path, ast.Module]]:
    for folder in CODE_DIRS:
        for path in sorted(folder.rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _key_expressions(node: ast.expr) -> Iterator[ast.expr]:
    """The expression itself, or both branches of `a if cond else b`."""
    if isinstance(node, ast.IfExp):
        yield from _key_expressions(node.body)
        yield from _key_expressions(node.orelse)
    else:
        yield node


def _keys_in_code() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(literal keys, f-string key prefixes), each with where it was found."""
    namespaces = {key.split("-")[0] for key in EN}
    literals: set[tuple[str, str]] = set()
    families: set[tuple[str, str]] = set()
    for path, tree in _code_trees():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            # Any key-looking string in a catalog namespace, wherever it is (e.g. returned by a helper).
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if KEY.match(value) and value.split("-")[0] in namespaces and value not in NOT_TEXT_KEYS:
                    literals.add((value, f"{where}:{node.lineno}"))
            # `key = f"invalid-{err.code}"`: an f-string that is nothing but a catalog prefix and a value.
            if isinstance(node, ast.JoinedStr) and len(node.values) == 2:
                head, tail = node.values
                if isinstance(head, ast.Constant) and isinstance(tail, ast.FormattedValue):
                    prefix = str(head.value)
                    if FAMILY.match(prefix) and prefix.split("-")[0] in namespaces:
                        families.add((prefix, f"{where}:{node.lineno}"))
            if not isinstance(node, ast.Call):
                continue
            position = KEY_ARGUMENT.get(_call_name(node) or "")
            if position is None or len(node.args) <= position:
                continue
            for expression in _key_expressions(node.args[position]):
                if isinstance(expression, ast.JoinedStr):
                    first = expression.values[0] if expression.values else None
                    start = str(first.value) if isinstance(first, ast.Constant) else ""
                    families.add((start, f"{where}:{node.lineno}"))
    return literals, families


def _invalid_request_sites() -> list[tuple[str, set[str], str]]:
    """Every `InvalidRequestError("code", ..., **details)` in the code: code, detail names, where."""
    sites = []
    for path, tree in _code_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) == "InvalidRequestError":
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                    f"{where}: the code of an InvalidRequestError must be a literal"
                )
                details = {keyword.arg for keyword in node.keywords if keyword.arg is not None}
                sites.append((first.value, details, where))
    return sites


def _failure_kinds_in_code() -> set[str]:
    """Kinds given to `Failure("kind", ...)` directly in the job code."""
    kinds = set()
    for _, tree in _code_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) == "Failure" and node.args:
                for expression in ast.walk(node.args[0]):
                    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
                        kinds.add(expression.value)
    return kinds


def _gateway_kinds() -> set[str]:
    kinds = set()
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        error_class = pending.pop()
        kinds.add(error_class.kind)
        pending.extend(error_class.__subclasses__())
    return kinds


def _family_values() -> dict[str, set[str]]:
    """Every f-string family of keys in the code and the values it can take."""
    quota_periods = set(get_args(get_type_hints(Settings)["quota_period"]))
    from bot.app import ADMIN_COMMANDS, COMMANDS

    return {
        "invalid-": {code for code, _, _ in _invalid_request_sites()},
        "failure-": _gateway_kinds() | _failure_kinds_in_code(),
        "image-error-": set(get_args(ImageErrorCode)),
        "refused-": set(get_args(RefusalReason)),
        "period-": quota_periods,
        # A failed job shows its failure text instead of a title.
        "progress-title-": set(get_args(Phase)) - {"failed"},
        "language-name-": set(SUPPORTED_LANGUAGES),
        "command-": set(COMMANDS) | set(ADMIN_COMMANDS),
        "checkout-refused-": set(get_args(CheckoutRefusal)),
    }


# -- the catalog itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_file_parses_and_keys_are_unique(language: str) -> None:
    seen: Counter[str] = Counter()
    for path, resource in _parsed(language).items():
        junk = [entry.content for entry in resource.body if isinstance(entry, fluent_ast.Junk)]
        assert junk == [], f"{path.name}: syntax errors in {junk}"
        seen.update(entry.id.name for entry in resource.body if isinstance(entry, fluent_ast.Message))
    assert [key for key, count in seen.items() if count > 1] == []


def test_english_and_chinese_have_exactly_the_same_keys() -> None:
    assert sorted(set(EN) - set(ZH)) == [], "missing in zh"
    assert sorted(set(ZH) - set(EN)) == [], "only in zh"


@pytest.mark.parametrize("key", sorted(EN))
def test_translation_keeps_placeables_and_tags(key: str) -> None:
    english, chinese = _references(EN[key]), _references(ZH[key])
    # The code passes what English needs; Chinese may use fewer (no plural forms) but never others.
    assert chinese.variables <= english.variables, chinese.variables - english.variables
    assert not english.variables & RESERVED_ARGUMENTS
    for references in (english, chinese):
        assert references.messages <= set(EN), references.messages - set(EN)
        assert references.terms == set()
    tags = re.compile(r"</?[a-z-]+")
    assert Counter(tags.findall(_source(ZH[key]))) == Counter(tags.findall(_source(EN[key])))


@pytest.mark.parametrize("key", sorted(EN))
def test_chinese_text_is_translated(key: str) -> None:
    """A Chinese message whose English has words in it must have Chinese in it (not a copy)."""
    english = _source(EN[key]).split("=", 1)[1]
    english = re.sub(r"\{[^{}]*\}|<code>.*?</code>|<[^>]+>|--?[a-z-]+|/[a-z_]+|\[[a-z0-9]+\]", " ", english)
    english = re.sub(r"\b(?:VEO|Google|Telegram|JPEG|PNG|WEBP|MB|UTC|ID|[0-9a-z]*p)\b", " ", english)
    if re.search(r"[A-Za-z]{3,}", english):
        assert CJK.search(_source(ZH[key])), _source(ZH[key])


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_formats_cleanly_with_plausible_arguments(language: str) -> None:
    bundle = _bundle(language)
    problems: list[tuple[str, dict[str, Any], object]] = []
    for key in sorted(EN if language == "en" else ZH):
        variables = _references(EN[key]).variables
        for args in _argument_sets(variables):
            text, errors = _format(bundle, key, args)
            if errors:
                problems.append((key, args, errors))
            elif key.startswith(PLAIN_TEXT_PREFIXES):
                if "<" in text or ">" in text:
                    problems.append((key, args, "HTML in a plain-text message"))
            else:
                html_problem = _telegram_html_problem(text)
                if html_problem:
                    problems.append((key, args, html_problem))
    assert problems == []


# -- the catalog against the code -----------------------------------------------------------------


def test_every_literal_key_in_the_code_exists() -> None:
    literals, _ = _keys_in_code()
    assert literals, "the scan found no keys at all: it is broken"
    missing = sorted((key, where) for key, where in literals if key not in EN)
    assert missing == []


def test_every_key_family_in_the_code_is_known_and_complete() -> None:
    _, families = _keys_in_code()
    known = _family_values()
    # A family not listed in _family_values is only checked loosely: some key must start with it.
    # List it there (with where its values come from) to have every value checked.
    orphans = sorted(
        (prefix, where)
        for prefix, where in families
        if prefix not in known and not any(key.startswith(prefix) for key in EN)
    )
    assert orphans == []
    assert {prefix for prefix, _ in families} >= {"invalid-", "failure-", "image-error-", "progress-title-"}
    missing = sorted(
        prefix + value for prefix, values in known.items() for value in values if prefix + value not in EN
    )
    assert missing == []


def test_every_invalid_request_formats_with_the_details_it_is_raised_with() -> None:
    """describe_invalid passes err.details as strings: the text may only use those."""
    sites = _invalid_request_sites()
    assert len(sites) >= 18
    bundles = {language: _bundle(language) for language in SUPPORTED_LANGUAGES}
    problems = []
    for code, details, where in sites:
        if where.startswith(RAISED_INSIDE_JOBS):
            continue
        key = f"invalid-{code}"
        args = {name: str(PLAUSIBLE.get(name, [DEFAULT_VALUE])[0]) for name in details}
        for language, bundle in bundles.items():
            _, errors = _format(bundle, key, args)
            if errors:
                problems.append((where, language, key, errors))
    assert problems == []


def test_failure_texts_use_only_the_reason() -> None:
    """The pipeline formats failure-<kind> with `reason` only."""
    for key in (key for key in EN if key.startswith("failure-")):
        assert _references(EN[key]).variables <= {"reason"}, key


def test_the_translator_formats_both_languages_and_falls_back_to_english() -> None:
    texts = Translator()
    assert texts("zh", "try-again-button") == "🔁 重试"
    assert texts("en", "try-again-button") == "🔁 Try again"
    assert texts("fr", "try-again-button") == "🔁 Try again"
    assert texts("zh", "no-such-key") == "no-such-key"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh"),
        ("zh-CN", "zh"),
        ("zh-TW", "zh"),
        ("zh-hant", "zh"),
        ("zh", "zh"),
        ("en", "en"),
        ("en-US", "en"),
        ("de", DEFAULT_LANGUAGE),
        ("", DEFAULT_LANGUAGE),
        (None, DEFAULT_LANGUAGE),
    ],
)
def test_telegram_language_codes_map_to_a_catalog(code: str | None, expected: str) -> None:
    assert Translator().language_for(code) == expected


# -- helpers --------------------------------------------------------------------------------------


class _TagChecker(HTMLParser):
    """Checks text the way Telegram's HTML parse mode reads it: known tags, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"<{tag}> is not a Telegram tag")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"unescaped angle bracket in {data!r}")


def _telegram_html_problem(text: str) -> str | None:
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+);)", text):
        return "unescaped &"
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.problems.append(f"unclosed {checker.stack}")
    return "; ".join(checker.problems) or None


def test_the_html_check_catches_broken_markup() -> None:
    assert _telegram_html_problem("<b>bold</b> and <code>x</code>") is None
    assert _telegram_html_problem("<b>bold") is not None
    assert _telegram_html_problem("<div>x</div>") is not None
    assert _telegram_html_problem("a & b") is not None
    assert _telegram_html_problem("1 < 2") is not None


def test_argument_sets_cover_every_selector_value() -> None:
    sets = list(_argument_sets({"count", "name"}))
    assert [args["count"] for args in sets] == PLAUSIBLE["count"]
    assert all(args["name"] == "Dana" for args in sets)
    assert list(itertools.islice(_argument_sets(set()), 3)) == [{}]
