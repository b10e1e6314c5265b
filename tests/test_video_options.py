"""Tests for parsing the text after /video into options and a prompt."""

from __future__ import annotations

import pytest
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast

from bot.gateway.catalog import MODELS, Orientation
from bot.i18n import LOCALES_DIR, Translator
from bot.video_options import OptionError, VideoOptions, parse_video_args

# The error keys of options.ftl (option-usage is the reminder shown with them, not an error).
OPTION_ERROR_KEYS = {
    entry.id.name
    for entry in FluentParser().parse((LOCALES_DIR / "en" / "options.ftl").read_text(encoding="utf-8")).body
    if isinstance(entry, fluent_ast.Message) and entry.id.name != "option-usage"
}
LANDSCAPE = Orientation.LANDSCAPE
PORTRAIT = Orientation.PORTRAIT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a fox running through snow", VideoOptions(prompt="a fox running through snow")),
        ("", VideoOptions(prompt="")),
        ("   ", VideoOptions(prompt="")),
        ("--landscape", VideoOptions(prompt="", orientation=LANDSCAPE)),
        ("--landscape a fox", VideoOptions(prompt="a fox", orientation=LANDSCAPE)),
        ("a fox --portrait", VideoOptions(prompt="a fox", orientation=PORTRAIT)),
        ("a --fast fox", VideoOptions(prompt="a fox", fast=True)),
        ("--standard a fox", VideoOptions(prompt="a fox", fast=False)),
        # Phone keyboards turn `--` into an em dash or en dash; Chinese keyboards type `——`.
        ("—landscape a fox", VideoOptions(prompt="a fox", orientation=LANDSCAPE)),
        ("–portrait a fox", VideoOptions(prompt="a fox", orientation=PORTRAIT)),
        ("-—fast a fox", VideoOptions(prompt="a fox", fast=True)),
        ("——fast 一只狐狸", VideoOptions(prompt="一只狐狸", fast=True)),
        ("—seconds 6 a fox", VideoOptions(prompt="a fox", seconds=6)),
        # Option names are case-insensitive (phones capitalise the first word).
        ("—Landscape a fox", VideoOptions(prompt="a fox", orientation=LANDSCAPE)),
        ("--seconds 4 a fox", VideoOptions(prompt="a fox", seconds=4)),
        ("--seconds=6 a fox", VideoOptions(prompt="a fox", seconds=6)),
        ("--seconds 8s a fox", VideoOptions(prompt="a fox", seconds=8)),
        ("--seconds 8秒 一只狐狸", VideoOptions(prompt="一只狐狸", seconds=8)),
        ("--resolution 4K a fox", VideoOptions(prompt="a fox", resolution="4k")),
        ("--resolution=1080P a fox", VideoOptions(prompt="a fox", resolution="1080p")),
        ("--resolution 720 a fox", VideoOptions(prompt="a fox", resolution="720p")),
        ("--n 1 a fox", VideoOptions(prompt="a fox", n=1)),
        ("a fox --n=4", VideoOptions(prompt="a fox", n=4)),
        ("--seed 0 a fox", VideoOptions(prompt="a fox", seed=0)),
        ("--seed 4294967295 a fox", VideoOptions(prompt="a fox", seed=2**32 - 1)),
        ("--model veo-3.1-fast a fox", VideoOptions(prompt="a fox", model="veo-3.1-fast")),
        (
            "--model=VEO-3.1-Generate-Preview a fox",
            VideoOptions(prompt="a fox", model="veo-3.1-generate-preview"),
        ),
        (
            "--landscape --fast --seconds 8 --resolution 720p --n 2 --seed 7"
            " --model veo-3.1-landscape-fast a fox",
            VideoOptions(
                prompt="a fox",
                model="veo-3.1-landscape-fast",
                orientation=LANDSCAPE,
                fast=True,
                seconds=8,
                resolution="720p",
                n=2,
                seed=7,
            ),
        ),
        # --negative: a quoted value in any common quote style, or everything up to the next option.
        ('--negative "blurry, text" a fox', VideoOptions(prompt="a fox", negative_prompt="blurry, text")),
        ("--negative 'blurry' a fox", VideoOptions(prompt="a fox", negative_prompt="blurry")),
        ("--negative “blurry  faces” a fox", VideoOptions(prompt="a fox", negative_prompt="blurry faces")),
        ("--negative «blurry» a fox", VideoOptions(prompt="a fox", negative_prompt="blurry")),
        ('--negative="blurry, text" a fox', VideoOptions(prompt="a fox", negative_prompt="blurry, text")),
        ("a fox --negative blurry, text", VideoOptions(prompt="a fox", negative_prompt="blurry, text")),
        (
            "a fox --negative blurry, text --landscape",
            VideoOptions(prompt="a fox", negative_prompt="blurry, text", orientation=LANDSCAPE),
        ),
        ("a fox --negative=blurry", VideoOptions(prompt="a fox", negative_prompt="blurry")),
        # An unmatched opening quote is part of the value, not a delimiter.
        ("a fox --negative 'tis blurry", VideoOptions(prompt="a fox", negative_prompt="'tis blurry")),
        (
            "a fox —negative 模糊 —portrait",
            VideoOptions(prompt="a fox", negative_prompt="模糊", orientation=PORTRAIT),
        ),
        # Quotes, apostrophes and dashes in the prompt survive untouched.
        ("a fox's tail", VideoOptions(prompt="a fox's tail")),
        ('a "quoted" word --fast', VideoOptions(prompt='a "quoted" word', fast=True)),
        ("a well-known place", VideoOptions(prompt="a well-known place")),
        ("snow — then rain", VideoOptions(prompt="snow — then rain")),
        ("snow—then rain", VideoOptions(prompt="snow—then rain")),
        ("a —beautiful— fox", VideoOptions(prompt="a —beautiful— fox")),
        ("-- a fox", VideoOptions(prompt="-- a fox")),
        ("---landscape a fox", VideoOptions(prompt="---landscape a fox")),
        ("the word --, alone", VideoOptions(prompt="the word --, alone")),
        # Whitespace is normalised, inner newlines stay.
        ("  a   fox \t in  snow  ", VideoOptions(prompt="a fox in snow")),
        (
            "--landscape\na fox\n\n\n\nin snow\n--fast",
            VideoOptions(prompt="a fox\n\nin snow", orientation=LANDSCAPE, fast=True),
        ),
        (
            "一只 狐狸 在雪地里奔跑 --landscape",
            VideoOptions(prompt="一只 狐狸 在雪地里奔跑", orientation=LANDSCAPE),
        ),
        ("🦊 läuft durch Schnee", VideoOptions(prompt="🦊 läuft durch Schnee")),
    ],
)
def test_parses(text: str, expected: VideoOptions) -> None:
    assert parse_video_args(text) == expected


@pytest.mark.parametrize(
    ("text", "key", "args"),
    [
        ("--colour red a fox", "option-unknown", {"option": "--colour"}),
        ("a fox —colour red", "option-unknown", {"option": "—colour"}),
        ("a fox --help", "option-unknown", {"option": "--help"}),
        ("--landscap a fox", "option-unknown", {"option": "--landscap"}),
        ("--colour=red a fox", "option-unknown", {"option": "--colour"}),
        ("a fox --seconds", "option-missing-value", {"option": "--seconds"}),
        ("--seconds --fast a fox", "option-missing-value", {"option": "--seconds"}),
        ("--seconds= a fox", "option-missing-value", {"option": "--seconds"}),
        ("--model", "option-missing-value", {"option": "--model"}),
        ("a fox --negative", "option-missing-value", {"option": "--negative"}),
        ("a fox --negative --fast", "option-missing-value", {"option": "--negative"}),
        ('a fox --negative ""', "option-missing-value", {"option": "--negative"}),
        (
            "--seconds 5 a fox",
            "option-bad-value",
            {"option": "--seconds", "value": "5", "allowed": "4, 6, 8"},
        ),
        ("--seconds six a fox", "option-bad-value", {"option": "--seconds", "value": "six"}),
        ("--seconds 6.5 a fox", "option-bad-value", {"option": "--seconds", "value": "6.5"}),
        ("--resolution 8k a fox", "option-bad-value", {"option": "--resolution", "value": "8k"}),
        ("--n 0 a fox", "option-bad-value", {"option": "--n", "value": "0", "allowed": "1–4"}),
        ("--n 5 a fox", "option-bad-value", {"option": "--n", "value": "5"}),
        ("--n two a fox", "option-bad-value", {"option": "--n", "value": "two"}),
        ("--seed 4294967296 a fox", "option-bad-value", {"option": "--seed", "value": "4294967296"}),
        ("--seed -1 a fox", "option-bad-value", {"option": "--seed", "value": "-1"}),
        ("--seed 1e3 a fox", "option-bad-value", {"option": "--seed", "value": "1e3"}),
        ("--fast=yes a fox", "option-unexpected-value", {"option": "--fast", "value": "yes"}),
        ("--landscape --portrait a fox", "option-conflict", {"option": "--landscape", "other": "--portrait"}),
        ("a fox —portrait —landscape", "option-conflict", {"option": "--portrait", "other": "--landscape"}),
        ("--fast a fox --standard", "option-conflict", {"option": "--fast", "other": "--standard"}),
        ("--fast a fox --fast", "option-repeated", {"option": "--fast"}),
        ("--seconds 4 a fox --seconds=8", "option-repeated", {"option": "--seconds"}),
        ("—n 1 a fox --N 2", "option-repeated", {"option": "--n"}),
        ("--negative a --negative b", "option-repeated", {"option": "--negative"}),
        ("--model veo-3.1-fats a fox", "option-unknown-model", {"value": "veo-3.1-fats"}),
    ],
)
def test_rejects(text: str, key: str, args: dict[str, str]) -> None:
    with pytest.raises(OptionError) as caught:
        parse_video_args(text)
    assert caught.value.key == key
    assert caught.value.arguments.items() >= args.items()


def test_unknown_option_lists_known_options_and_does_not_guess() -> None:
    with pytest.raises(OptionError) as caught:
        parse_video_args("--landscap a fox")
    known = str(caught.value.arguments["known"])
    assert "--landscape" in known
    assert "--seconds" in known
    assert caught.value.text(Translator(), "en").startswith("Unknown option --landscap.")


def test_unknown_model_lists_close_matches() -> None:
    with pytest.raises(OptionError) as caught:
        parse_video_args("--model veo-3.1-fats a fox")
    choices = str(caught.value.arguments["choices"]).split(", ")
    assert "veo-3.1-fast" in choices
    assert len(choices) <= 3
    assert all(choice in MODELS for choice in choices)


def test_unknown_model_without_close_match_lists_every_model() -> None:
    with pytest.raises(OptionError) as caught:
        parse_video_args("--model sora a fox")
    assert str(caught.value.arguments["choices"]).split(", ") == list(MODELS)


def test_every_model_id_is_accepted() -> None:
    for model_id in MODELS:
        assert parse_video_args(f"--model {model_id} a fox").model == model_id


# One example per error key: the locale files (the only copy of the texts) have it in both languages.
ERROR_EXAMPLES = [
    "--colour red",
    "--seconds",
    "--seconds 5",
    "--fast=yes",
    "--model sora",
    "--landscape --portrait",
    "--fast --fast",
]


@pytest.mark.parametrize("text", ERROR_EXAMPLES)
def test_error_texts_come_from_the_locale_files(text: str) -> None:
    translate = Translator()
    with pytest.raises(OptionError) as caught:
        parse_video_args(text)
    error = caught.value
    english, chinese = error.text(translate, "en"), error.text(translate, "zh")
    assert english != error.key
    assert chinese != english
    for rendered in (english, chinese):
        assert "{" not in rendered
        for value in error.arguments.values():
            assert str(value) in rendered


def test_every_error_key_is_covered_by_the_examples() -> None:
    keys = set()
    for text in ERROR_EXAMPLES:
        with pytest.raises(OptionError) as caught:
            parse_video_args(text)
        keys.add(caught.value.key)
    assert keys == OPTION_ERROR_KEYS


def test_typed_values_are_escaped_in_the_html_reply() -> None:
    with pytest.raises(OptionError) as caught:
        parse_video_args("--model <b>veo</b> a fox")
    assert caught.value.arguments["value"] == "<b>veo</b>"
    text = caught.value.text(Translator(), "en")
    assert "“&lt;b&gt;veo&lt;/b&gt;”" in text
    assert "<b>" not in text


def test_usage_text_exists_in_both_languages() -> None:
    translate = Translator()
    assert translate.has("zh", "option-usage")
    assert "--negative" in translate("en", "option-usage")
    assert "--negative" in translate("zh", "option-usage")
    assert translate("en", "option-usage") != translate("zh", "option-usage")
