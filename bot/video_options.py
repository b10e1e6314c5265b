"""Parse the text after `/video`: option tokens such as `--landscape` or `—seconds 6`, and the prompt."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace

from bot.gateway.catalog import MODELS, Orientation
from bot.gateway.request import MAX_SEED
from bot.user_errors import UserFacingError

# `--name`, or what phone keyboards make of `--`: an em dash, an en dash, `-—`, or the Chinese `——`.
# A token is an option only when it is the dash prefix, a name of letters/digits/`-`/`_` starting with a
# letter, and then either `=value` or the end of the token: "—beautiful—" and "well-known" stay prompt text.
_OPTION = re.compile(
    r"(?<!\S)(?P<prefix>--|-[—–]|——|[—–])(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?:(?P<eq>=)|(?=\s|\Z))"
)
_WORD = re.compile(r"\S*")
_QUOTES = {'"': '"', "'": "'", "“": "”", "„": "“", "‘": "’", "«": "»", "「": "」", "『": "』"}
# ASCII digits only: `\d` also matches other scripts' digits.
_DIGITS = re.compile(r"[0-9]+")
_SECONDS = re.compile(r"(?P<value>[0-9]+)\s*(?:s|sec|secs|seconds?|秒)?", re.IGNORECASE)

FLAG_OPTIONS = ("landscape", "portrait", "fast", "standard")
VALUE_OPTIONS = ("model", "seconds", "resolution", "n", "seed", "negative")
ALLOWED_SECONDS = tuple(sorted({d for spec in MODELS.values() for d in spec.durations}))
ALLOWED_RESOLUTIONS = ("720p", "1080p", "4k")
MAX_N = max(spec.max_n for spec in MODELS.values())
_EXAMPLES = {
    "model": "--model veo-3.1-fast",
    "seconds": "--seconds 8",
    "resolution": "--resolution 1080p",
    "n": "--n 2",
    "seed": "--seed 42",
    "negative": '--negative "blurry, text"',
}


@dataclass(frozen=True)
class VideoOptions:
    """What the user asked for; None means "not given", so the caller's defaults apply."""

    prompt: str
    model: str | None = None
    orientation: Orientation | None = None
    fast: bool | None = None
    seconds: int | None = None
    resolution: str | None = None
    n: int | None = None
    seed: int | None = None
    negative_prompt: str | None = None


class OptionError(UserFacingError):
    """A problem with the options: a text key (prefixed `option-`) and string arguments quoting the input."""


@dataclass
class _Collected:
    """Options gathered while scanning, and which option names were already given."""

    options: VideoOptions = field(default_factory=lambda: VideoOptions(prompt=""))
    seen: set[str] = field(default_factory=set)

    def mark(self, name: str) -> None:
        """Record that option `name` was given; a second time is an error."""
        if name in self.seen:
            raise OptionError("option-repeated", option=f"--{name}")
        self.seen.add(name)


def parse_video_args(text: str) -> VideoOptions:
    """Split `text` into options and the prompt; raise OptionError for anything malformed."""
    collected = _Collected()
    prompt_parts: list[str] = []
    pos = 0
    while (match := _OPTION.search(text, pos)) is not None:
        prompt_parts.append(text[pos : match.start()])
        name = match["name"].lower()
        if name in FLAG_OPTIONS:
            if match["eq"]:
                value = _WORD.match(text, match.end())
                raise OptionError(
                    "option-unexpected-value", option=f"--{name}", value=value[0] if value else ""
                )
            _apply_flag(collected, name)
            pos = match.end()
        elif name in VALUE_OPTIONS:
            raw, pos = _read_value(text, match)
            _apply_value(collected, name, raw)
        else:
            raise OptionError("option-unknown", option=match.group(0).rstrip("="), known=_known_options())
    prompt_parts.append(text[pos:])
    return replace(collected.options, prompt=_normalise_prompt(" ".join(prompt_parts)))


def _known_options() -> str:
    return ", ".join(f"--{name}" for name in (*VALUE_OPTIONS, *FLAG_OPTIONS))


def _read_value(text: str, match: re.Match[str]) -> tuple[str, int]:
    """The raw value of a value-taking option and the position after it."""
    name = match["name"].lower()
    start = match.end()
    if not match["eq"]:
        # `--seconds 6`: the value is the next word, unless that word is itself an option.
        while start < len(text) and text[start].isspace():
            start += 1
        if start == len(text) or _OPTION.match(text, start):
            raise OptionError("option-missing-value", option=f"--{name}", example=_EXAMPLES[name])
    if name == "negative":
        value, end = _read_negative(text, start)
    else:
        word = _WORD.match(text, start)
        value = word[0] if word else ""
        end = word.end() if word else start
    if not value:
        raise OptionError("option-missing-value", option=f"--{name}", example=_EXAMPLES[name])
    return value, end


def _read_negative(text: str, start: int) -> tuple[str, int]:
    """A quoted value, or everything up to the next option (or the end)."""
    closing = _QUOTES.get(text[start : start + 1])
    if closing is not None:
        end = text.find(closing, start + 1)
        # The closing quote must end a word; otherwise the quote is part of the text ("'tis").
        while end != -1 and end + 1 < len(text) and not text[end + 1].isspace():
            end = text.find(closing, end + 1)
        if end != -1:
            return " ".join(text[start + 1 : end].split()), end + 1
    following = _OPTION.search(text, start)
    end = following.start() if following else len(text)
    return " ".join(text[start:end].split()), end


def _apply_flag(collected: _Collected, name: str) -> None:
    other = {"landscape": "portrait", "portrait": "landscape", "fast": "standard", "standard": "fast"}[name]
    if other in collected.seen:
        raise OptionError("option-conflict", option=f"--{other}", other=f"--{name}")
    collected.mark(name)
    if name in ("landscape", "portrait"):
        collected.options = replace(collected.options, orientation=Orientation(name))
    else:
        collected.options = replace(collected.options, fast=name == "fast")


def _apply_value(collected: _Collected, name: str, raw: str) -> None:
    collected.mark(name)
    options = collected.options
    if name == "model":
        options = replace(options, model=_parse_model(raw))
    elif name == "seconds":
        options = replace(options, seconds=_parse_seconds(raw))
    elif name == "resolution":
        options = replace(options, resolution=_parse_resolution(raw))
    elif name == "n":
        options = replace(options, n=_parse_int(name, raw, 1, MAX_N))
    elif name == "seed":
        options = replace(options, seed=_parse_int(name, raw, 0, MAX_SEED))
    else:
        options = replace(options, negative_prompt=raw)
    collected.options = options


def _parse_model(raw: str) -> str:
    model = raw.lower()
    if model in MODELS:
        return model
    close = difflib.get_close_matches(model, list(MODELS), n=3, cutoff=0.6)
    raise OptionError("option-unknown-model", value=raw, choices=", ".join(close or MODELS))


def _parse_seconds(raw: str) -> int:
    allowed = ", ".join(str(s) for s in ALLOWED_SECONDS)
    match = _SECONDS.fullmatch(raw)
    if match is None or int(match["value"]) not in ALLOWED_SECONDS:
        raise OptionError("option-bad-value", option="--seconds", value=raw, allowed=allowed)
    return int(match["value"])


def _parse_resolution(raw: str) -> str:
    value = raw.lower()
    if value in ("720", "1080"):
        value += "p"
    if value not in ALLOWED_RESOLUTIONS:
        raise OptionError(
            "option-bad-value", option="--resolution", value=raw, allowed=", ".join(ALLOWED_RESOLUTIONS)
        )
    return value


def is_ascii_number(text: str) -> bool:
    """True for a plain 0-9 number: `"²".isdigit()` is True, yet int("²") fails."""
    return _DIGITS.fullmatch(text) is not None


def _parse_int(name: str, raw: str, low: int, high: int) -> int:
    if _DIGITS.fullmatch(raw) is None or not low <= int(raw) <= high:
        raise OptionError("option-bad-value", option=f"--{name}", value=raw, allowed=f"{low}–{high}")
    return int(raw)


def _normalise_prompt(text: str) -> str:
    """Collapse runs of spaces in each line, drop blank edges, keep at most one empty line in a row.

    A prompt of only invisible characters (zero-width spaces and joiners, BOMs) counts as empty.
    """
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in text):
        return ""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)
