"""Telegram's HTML parse mode: text plus MessageEntity list, with the server's error wording.

A port of tdlib's `parse_html` (td/telegram/MessageEntity.cpp): the same tags, attributes, entity
decoding and error messages, offsets in UTF-16 code units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    children: list[dict[str, Any]] = field(default_factory=list)


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
