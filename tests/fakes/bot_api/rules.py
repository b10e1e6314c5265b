"""What Telegram accepts, honest to the official reference (`telegram-bot-api/api.json`).

Three parts, one job (reject what the real server rejects, with its wording):
- the spec: every call's method and parameters (nested objects too) checked against api.json;
- HTML parse mode: a port of tdlib's `parse_html` (td/telegram/MessageEntity.cpp): the same tags,
  attributes, entity decoding and error messages, offsets in UTF-16 code units;
- message content: parse modes, text and caption lengths, inline keyboard checks.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# -- the spec ------------------------------------------------------------------------------------

SPEC_ENV_VAR = "FAKE_BOT_API_SPEC"
_SPEC_RELATIVE = Path("shared") / "telegram-bot-api" / "api.json"
_INTEGER = re.compile(r"-?\d+")
_DISCRIMINATOR = re.compile(r"must be ([a-z0-9_]+)\.?$")
_ARRAY_PREFIX = "Array of "
_SCALARS = frozenset({"Integer", "Float", "Boolean", "String", "InputFile", "True"})


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional retry_after."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 error worded like Telegram's."""
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart/form-data request."""

    name: str
    filename: str
    content_type: str
    data: bytes

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly description without the bytes."""
        return {
            "upload": self.name,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
        }


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True)
class TypeSpec:
    """One object type; `subtypes` is set for unions such as InputMedia."""

    name: str
    fields: tuple[FieldSpec, ...]
    subtypes: tuple[str, ...]


class _Mismatch(Exception):
    """A value does not have the expected type; the message says where and why."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


def default_spec_path(start: Path | None = None) -> Path:
    """Find `shared/telegram-bot-api/api.json` in an ancestor of this file (or $FAKE_BOT_API_SPEC)."""
    override = os.environ.get(SPEC_ENV_VAR)
    if override:
        return Path(override)
    here = (start or Path(__file__)).resolve()
    for folder in here.parents:
        candidate = folder / _SPEC_RELATIVE
        if candidate.is_file():
            return candidate
    return here.parents[4] / _SPEC_RELATIVE


def _fields(raw: list[dict[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            name=item["name"],
            types=tuple(item["types"]),
            required=bool(item["required"]),
            description=str(item.get("description", "")),
        )
        for item in raw
    )


class BotApiSpec:
    """The methods and types of the Bot API, and a decoder that checks a call against them."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_spec_path()
        if not self.path.is_file():
            raise FileNotFoundError(
                f"Bot API spec not found at {self.path}; pass spec_path=... or set {SPEC_ENV_VAR} "
                "to the api.json of telegram-bot-api-spec"
            )
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        self.version: str = raw.get("version", "")
        self.methods: dict[str, tuple[FieldSpec, ...]] = {
            name: _fields(body.get("fields", [])) for name, body in raw["methods"].items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(name, _fields(body.get("fields", [])), tuple(body.get("subtypes", [])))
            for name, body in raw["types"].items()
        }
        self._by_lower = {name.lower(): name for name in self.methods}

    def canonical_method(self, name: str) -> str | None:
        """The spec's spelling of a method name (Telegram matches names case-insensitively)."""
        return self._by_lower.get(name.lower())

    def decode_call(
        self, method: str, params: Mapping[str, Any], uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        """Check a call's parameters and return them as Python values (files as `Upload`).

        Top-level values may be strings (form encoding) and are converted; nested JSON is strict.
        Raises ApiError(400) for an unknown parameter, a missing required one or a wrong type.
        """
        fields = {field.name: field for field in self.methods[method]}
        merged: dict[str, Any] = dict(params)
        for name, upload in uploads.items():
            if name in fields and name not in merged:
                merged[name] = upload
        for name in merged:
            if name not in fields:
                raise bad_request(f'unknown parameter "{name}" for method {method}')
        for field in fields.values():
            if field.required and field.name not in merged:
                raise bad_request(f'parameter "{field.name}" is required')
        decoded: dict[str, Any] = {}
        for name, value in merged.items():
            field = fields[name]
            try:
                decoded[name] = self._decode(value, field.types, name, uploads, lenient=True)
            except _Mismatch as err:
                raise bad_request(f'wrong parameter "{name}": {err}') from err
        return decoded

    def check_object(self, type_name: str, value: Any) -> None:
        """Raise ValueError if `value` is not a valid `type_name` object (used to check our own output)."""
        try:
            self._decode(value, (type_name,), type_name, {}, lenient=False)
        except _Mismatch as err:
            raise ValueError(str(err)) from err

    def _decode(
        self, value: Any, types: tuple[str, ...], where: str, uploads: Mapping[str, Upload], *, lenient: bool
    ) -> Any:
        if len(types) > 1 and all(name.startswith(_ARRAY_PREFIX) for name in types):
            # "Array of A or Array of B" (sendMediaGroup) means an array whose items are A or B
            items = _maybe_json(value, list, where) if lenient else value
            if not isinstance(items, list):
                raise _Mismatch(f"{where} must be a JSON array", where)
            inner = tuple(name.removeprefix(_ARRAY_PREFIX) for name in types)
            return [
                self._decode(item, inner, f"{where}[{index}]", uploads, lenient=False)
                for index, item in enumerate(items)
            ]
        ordered = sorted(types, key=lambda name: (name == "String", name != "InputFile"))
        problems: list[_Mismatch] = []
        for type_name in ordered:
            try:
                return self._decode_one(value, type_name, where, uploads, lenient=lenient)
            except _Mismatch as err:
                problems.append(err)
        # The candidate that got furthest into the value is the one the caller meant.
        deepest = max(len(problem.where) for problem in problems)
        best = [problem for problem in problems if len(problem.where) == deepest]
        if len(best) == 1:
            raise best[0]
        details = "; ".join(str(problem) for problem in best)
        raise _Mismatch(f"{where} must be {' or '.join(types)} ({details})", where)

    def _decode_one(
        self, value: Any, type_name: str, where: str, uploads: Mapping[str, Upload], *, lenient: bool
    ) -> Any:
        if type_name.startswith(_ARRAY_PREFIX):
            items = _maybe_json(value, list, where) if lenient else value
            if not isinstance(items, list):
                raise _Mismatch(f"{where} must be a JSON array", where)
            inner = type_name.removeprefix(_ARRAY_PREFIX)
            return [
                self._decode(item, (inner,), f"{where}[{index}]", uploads, lenient=False)
                for index, item in enumerate(items)
            ]
        if type_name in _SCALARS:
            return _decode_scalar(value, type_name, where, uploads, lenient=lenient)
        obj = _maybe_json(value, dict, where) if lenient else value
        if not isinstance(obj, dict):
            raise _Mismatch(f"{where} must be a JSON object of type {type_name}", where)
        return self._decode_object(obj, type_name, where, uploads)

    def _decode_object(
        self, obj: dict[str, Any], type_name: str, where: str, uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        spec = self.types.get(type_name)
        if spec is None:
            return obj
        if spec.subtypes:
            return self._decode_union(obj, spec, where, uploads)
        if not spec.fields:
            return obj
        fields = {field.name: field for field in spec.fields}
        for name in obj:
            if name not in fields:
                raise _Mismatch(f'{where} has unknown field "{name}" for {type_name}', where)
        for field in spec.fields:
            if field.required and field.name not in obj:
                raise _Mismatch(f'{where} lacks required field "{field.name}" of {type_name}', where)
        tag = self._discriminator(type_name)
        if tag is not None and obj.get(tag[0]) != tag[1]:
            raise _Mismatch(f'{where}.{tag[0]} must be "{tag[1]}" for {type_name}', f"{where}.{tag[0]}")
        return {
            name: self._decode(item, fields[name].types, f"{where}.{name}", uploads, lenient=False)
            for name, item in obj.items()
        }

    def _decode_union(
        self, obj: dict[str, Any], spec: TypeSpec, where: str, uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        candidates = [name for name in spec.subtypes if name in self.types]
        for name in candidates:
            tag = self._discriminator(name)
            if tag is not None and tag[0] in obj and obj[tag[0]] == tag[1]:
                return self._decode_object(obj, name, where, uploads)
        problems: list[str] = []
        for name in candidates:
            if self._discriminator(name) is not None:
                continue
            try:
                return self._decode_object(obj, name, where, uploads)
            except _Mismatch as err:
                problems.append(str(err))
        allowed = [tag[1] for name in candidates if (tag := self._discriminator(name))]
        detail = f"type must be one of {allowed}" if allowed else "; ".join(problems)
        raise _Mismatch(f"{where} is not a valid {spec.name}: {detail}", where)

    def _discriminator(self, type_name: str) -> tuple[str, str] | None:
        for field in self.types[type_name].fields:
            if field.required and field.name in ("type", "source", "status"):
                match = _DISCRIMINATOR.search(field.description)
                if match:
                    return field.name, match.group(1)
        return None


def _maybe_json(value: Any, kind: type, where: str) -> Any:
    """Top-level arrays and objects may arrive JSON-encoded as strings (form or JSON body)."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as err:
            raise _Mismatch(f"can't parse {where} JSON object", where) from err
        if not isinstance(parsed, kind):
            raise _Mismatch(f"{where} must be a JSON {'array' if kind is list else 'object'}", where)
        return parsed
    return value


def _decode_scalar(
    value: Any, type_name: str, where: str, uploads: Mapping[str, Upload], *, lenient: bool
) -> Any:
    if type_name == "InputFile":
        if isinstance(value, Upload):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in uploads:
                raise _Mismatch(f'{where} refers to "{value}" but no such file part was uploaded', where)
            return uploads[name]
        raise _Mismatch(f"{where} must be an uploaded file", where)
    if isinstance(value, Upload):
        raise _Mismatch(f"{where} must be {type_name}, not an uploaded file", where)
    if type_name == "String":
        if isinstance(value, str):
            return value
        raise _Mismatch(f"{where} must be String", where)
    if type_name == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if lenient and isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
        raise _Mismatch(f"{where} must be Integer", where)
    if type_name == "Float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if lenient and isinstance(value, str):
            try:
                return float(value)
            except ValueError as err:
                raise _Mismatch(f"{where} must be Float", where) from err
        raise _Mismatch(f"{where} must be Float", where)
    # Boolean and True
    if isinstance(value, bool):
        return value
    if lenient and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise _Mismatch(f"{where} must be Boolean", where)


# -- HTML parse mode (tdlib's parser) ------------------------------------------------------------

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Not valid Telegram HTML; the message is what Telegram says after "can't parse entities: "."""


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    language: str = ""
    children: list[dict[str, Any]] = dataclass_field(default_factory=list)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of MessageEntity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _is_space(char: str) -> bool:
    return char in " \t\r\n\f\v"


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode `&...;` at pos into (character, next position) or None when it is not an entity."""
    end = pos + 1
    if text.startswith("&#", pos):
        end += 1
        is_hex = text.startswith("x", end) or text.startswith("X", end)
        digits = "0123456789abcdefABCDEF" if is_hex else "0123456789"
        end += is_hex
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        if start == end:
            return None
        code = int(text[start:end], 16 if is_hex else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < len(text) and text[end] == ";":
        end += 1
    return char, end


def _decode_entities(value: str) -> str:
    out: list[str] = []
    pos = 0
    while pos < len(value):
        decoded = _decode_entity(value, pos) if value[pos] == "&" else None
        if decoded is None:
            out.append(value[pos])
            pos += 1
        else:
            out.append(decoded[0])
            pos = decoded[1]
    return "".join(out)


class _Parser:
    """One pass over the HTML text, building plain text and entities."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8"))

    def char(self, pos: int) -> str:
        return self.src[pos] if pos < len(self.src) else ""

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_length(chars)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        while self.pos < len(self.src):
            current = self.src[self.pos]
            if current == "&":
                decoded = _decode_entity(self.src, self.pos)
                if decoded is not None:
                    self.emit(decoded[0])
                    self.pos = decoded[1]
                    continue
            if current != "<":
                self.emit(current)
                self.pos += 1
                continue
            if self.char(self.pos + 1) == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda item: (item["offset"], -item["length"]))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        name_start = self.pos
        while self.pos < len(self.src) and not _is_space(self.src[self.pos]) and self.src[self.pos] != ">":
            self.pos += 1
        if self.pos >= len(self.src):
            raise EntityParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.src[name_start : self.pos].lower()
        if name not in _SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        argument = self.attributes(name, begin)
        self.pos += 1  # the closing '>'
        if name == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(name=name, argument=argument, utf16_offset=self.utf16))

    def attributes(self, tag: str, begin: int) -> str:
        argument = ""
        while self.char(self.pos) != ">":
            while _is_space(self.char(self.pos)):
                self.pos += 1
            if self.char(self.pos) == ">":
                break
            if self.pos >= len(self.src):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}')
            attr_start = self.pos
            while (
                self.pos < len(self.src)
                and not _is_space(self.src[self.pos])
                and self.src[self.pos] not in "=>"
            ):
                self.pos += 1
            attr = self.src[attr_start : self.pos].lower()
            if not attr:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            while _is_space(self.char(self.pos)):
                self.pos += 1
            if self.char(self.pos) != "=":
                if tag == "blockquote" and attr == "expandable":
                    argument = "1"
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            self.pos += 1
            while _is_space(self.char(self.pos)):
                self.pos += 1
            value = self.attribute_value(tag, begin)
            argument = _attribute_argument(tag, attr, value, argument)
        return argument

    def attribute_value(self, tag: str, begin: int) -> str:
        quote = self.char(self.pos)
        if not quote:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}')
        if quote in "'\"":
            end = self.src.find(quote, self.pos + 1)
            if end < 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            value = _decode_entities(self.src[self.pos + 1 : end])
            self.pos = end + 1
        else:
            token_start = self.pos
            while self.char(self.pos) and (self.char(self.pos).isalnum() or self.char(self.pos) in ".-"):
                self.pos += 1
            value = self.src[token_start : self.pos].lower()
            if not (_is_space(self.char(self.pos)) or self.char(self.pos) == ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_start)}"
                )
        if not (_is_space(self.char(self.pos)) or self.char(self.pos) == ">"):
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {self.byte_offset(self.pos)}"
            )
        return value

    def end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 2
        name_start = self.pos
        while self.pos < len(self.src) and not _is_space(self.src[self.pos]) and self.src[self.pos] != ">":
            self.pos += 1
        end_name = self.src[name_start : self.pos].lower()
        while _is_space(self.char(self.pos)):
            self.pos += 1
        if self.char(self.pos) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1
        tag = self.stack.pop()
        if end_name and end_name != tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self.byte_offset(begin)}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.close(tag)

    def _merge_code_into_pre(self, tag: _OpenTag) -> bool:
        """<pre><code class="language-x">...</code></pre> is one pre entity with a language."""
        parent = self.stack[-1] if self.stack else None
        if tag.name != "code" or not tag.argument or parent is None or parent.name != "pre":
            return False
        if parent.utf16_offset != tag.utf16_offset:
            return False
        parent.language = tag.argument
        return True

    def close(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.utf16_offset
        if self._merge_code_into_pre(tag):
            return
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": tag.utf16_offset, "length": length}
        if tag.name in _SIMPLE_ENTITIES:
            entity["type"] = _SIMPLE_ENTITIES[tag.name]
        elif tag.name == "a":
            if not tag.argument:
                return
            entity.update(type="text_link", url=tag.argument)
        elif tag.name == "pre":
            entity["type"] = "pre"
            if tag.language:
                entity["language"] = tag.language
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
        else:  # tg-emoji
            if not tag.argument.isdigit():
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        self.entities.append(entity)


def _attribute_argument(tag: str, attr: str, value: str, current: str) -> str:
    if tag == "a" and attr == "href":
        return value
    if tag == "code" and attr == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attr == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attr == "emoji-id":
        return value
    return current


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip Telegram HTML into (text, entities); raise EntityParseError like the real server."""
    return _Parser(source).run()


def strip_trailing_whitespace(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims trailing whitespace from texts and captions; clip entities to the new end."""
    trimmed = text.rstrip()
    if trimmed == text:
        return text, entities
    limit = utf16_length(trimmed)
    clipped: list[dict[str, Any]] = []
    for entity in entities:
        end = min(entity["offset"] + entity["length"], limit)
        if end > entity["offset"]:
            clipped.append({**entity, "length": end - entity["offset"]})
    return trimmed, clipped


# -- message content: parse modes, lengths, reply markup -----------------------------------------

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
_BUTTON_LOOKS = frozenset({"text", "icon_custom_emoji_id", "style"})
_URL_SCHEMES = frozenset({"http", "https", "tg"})


def format_content(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode (HTML only) or explicit entities; trailing whitespace is trimmed like Telegram."""
    if parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            try:
                plain, found = parse_html(text)
            except EntityParseError as err:
                raise bad_request(f"can't parse entities: {err}") from err
        elif mode in ("markdownv2", "markdown"):
            raise bad_request(
                f"can't parse entities: parse_mode {parse_mode} is not supported by the fake Bot API; "
                "use HTML"
            )
        else:
            raise bad_request("unsupported parse_mode")
    else:
        plain, found = text, list(entities or [])
    return strip_trailing_whitespace(plain, found)


def format_text(
    text: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """A message text: 1..4096 characters after entity parsing."""
    plain, found = format_content(text or "", parse_mode, entities)
    if not plain.strip():
        raise bad_request("message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return plain, found


def format_caption(
    caption: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str | None, list[dict[str, Any]]]:
    """A media caption: 0..1024 characters after entity parsing; empty means no caption."""
    if caption is None:
        return None, []
    plain, found = format_content(caption, parse_mode, entities)
    if len(plain) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return (plain or None), found


def check_reply_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Telegram's checks on inline keyboards beyond the types: one action per button, data size, URLs."""
    if not markup or "inline_keyboard" not in markup:
        return markup
    for row in markup["inline_keyboard"]:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: dict[str, Any]) -> None:
    actions = [key for key in button if key not in _BUTTON_LOOKS]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(f"can't parse inline keyboard button: more than one action in a button: {actions}")
    if not button.get("text"):
        raise bad_request("can't parse inline keyboard button: button text must be non-empty")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in _URL_SCHEMES or (parts.scheme.lower() != "tg" and not parts.netloc):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
