"""A pure parser for the Reverse channel's chat-completion stream: bytes in, StreamEvents out.

The wording of the stream is not a stable contract, so everything here is tolerant: text is taken from
`delta.content`, `delta.reasoning_content` and `message.content`, may be split anywhere across chunks,
progress is any `NN%`, result URLs come from markdown links, `<video src=...>` or bare `https://...mp4`.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections.abc import Iterable
from typing import Any

from bot.constants import MAX_LINE_CHARS
from bot.gateway.errors import (
    ContentPolicyError,
    GatewayError,
    GenerationFailedError,
    StreamLineTooLongError,
    policy_code,
)
from bot.gateway.events import Progress, StreamEvent, VideoReady

MAX_REASON_CHARS = 300
_NO_VIDEO = "stream ended without a video"
# The message when a failure line says nothing more than the ❌.
_GENERIC_FAILURE = "generation failed"
# A "line" of text that never ends is handled anyway once it grows this long.
_MAX_PENDING_TEXT = 64 * 1024

# How far back from new text a percentage (and the URL it may sit in) is looked for.
_PROGRESS_LOOKBACK = 256
_WHITESPACE = re.compile(r"\s")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MARKDOWN_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?(https?://[^\s)>]+)>?\s*\)")
_SRC_ATTRIBUTE = re.compile(r"""src\s*=\s*(["'])(https?://.+?)\1""", re.IGNORECASE)
_BARE_MP4 = re.compile(
    r"""https?://[^\s<>"'()\[\]]+?\.mp4(?:[?#][^\s<>"'()\[\]]*)?(?=$|[^\w./-])""", re.IGNORECASE
)
_ANY_URL = re.compile(r"https?://\S+")
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%")
_WEAK_FAILURE = re.compile(r"\bfailed\b", re.IGNORECASE)
_RETRYING = re.compile(r"\bretry(?:ing)?\b", re.IGNORECASE)


class SSEDecoder:
    """Server-sent events framing: bytes in, the payload of every `data:` line out.

    Comments (keep-alives), other fields and blank lines are dropped; CRLF, CR and LF all end a line,
    and a line or a UTF-8 character split across chunks is put back together. A bare JSON line (some
    gateways send an error object without framing) is passed on as a payload too.

    Linear in the input: an unfinished line is kept as the pieces it arrived in and joined once, when
    it ends. A line longer than `max_line_chars` raises StreamLineTooLongError.
    """

    def __init__(self, *, max_line_chars: int = MAX_LINE_CHARS) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._max_line_chars = max_line_chars
        self._pieces: list[str] = []
        self._pending_chars = 0
        # A CR at the very end of a chunk may be the first half of a CRLF that arrives with the next one.
        self._held_cr = False

    def feed(self, chunk: bytes) -> list[str]:
        """Decode a chunk and return the payloads of the lines it completed."""
        return self._lines(self._decoder.decode(chunk), final=False)

    def flush(self) -> list[str]:
        """End of input: return the payload of a last line that had no line break."""
        return self._lines(self._decoder.decode(b"", final=True), final=True)

    def _lines(self, text: str, *, final: bool) -> list[str]:
        if self._held_cr:
            text = "\r" + text
        self._held_cr = not final and text.endswith("\r")
        if self._held_cr:
            text = text[:-1]
        *complete, rest = _LINE_BREAK.split(text)
        payloads: list[str] = []
        for part in complete:
            payload = _payload(self._take_line(part, payloads))
            if payload is not None:
                payloads.append(payload)
        if final:
            payload = _payload(self._take_line(rest, payloads))
            return payloads if payload is None else [*payloads, payload]
        if rest:
            self._check_length(len(rest), payloads)
            self._pieces.append(rest)
            self._pending_chars += len(rest)
        return payloads

    def _take_line(self, last_part: str, payloads: list[str]) -> str:
        """The pending pieces plus `last_part`, joined: one finished line."""
        self._check_length(len(last_part), payloads)
        if not self._pieces:
            return last_part
        self._pieces.append(last_part)
        line = "".join(self._pieces)
        self._drop_pending()
        return line

    def _check_length(self, extra: int, payloads: list[str]) -> None:
        if self._pending_chars + extra > self._max_line_chars:
            self._drop_pending()
            raise StreamLineTooLongError(self._max_line_chars, completed=payloads)

    def _drop_pending(self) -> None:
        self._pieces.clear()
        self._pending_chars = 0


def _payload(line: str) -> str | None:
    if line.startswith("data:"):
        value = line[5:]
        return value[1:] if value.startswith(" ") else value
    if line.lstrip().startswith("{"):
        return line
    return None


class _PartialLine:
    """The unfinished last line of one text field, kept as pieces so that a long line is joined once."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self.chars = 0

    def add(self, text: str) -> None:
        """Append text that has no line break."""
        if text:
            self._pieces.append(text)
            self.chars += len(text)

    def take(self, end: str = "") -> str:
        """The whole line, finished by `end`; the partial line is empty afterwards."""
        self._pieces.append(end)
        line = "".join(self._pieces)
        self._pieces.clear()
        self.chars = 0
        return line

    def recent_tokens(self, new_chars: int) -> str:
        """The last `new_chars` characters and the whole tokens before them, up to a lookback.

        Enough to read a percentage that just completed, and to recognise a URL around it (a URL has
        no spaces); a token cut by the lookback is left out rather than misread.
        """
        wanted = new_chars + _PROGRESS_LOOKBACK
        recent: list[str] = []
        count = 0
        for piece in reversed(self._pieces):
            recent.append(piece)
            count += len(piece)
            if count >= wanted:
                break
        text = "".join(reversed(recent))
        if count == self.chars:  # the whole line: nothing was cut
            return text
        text = text[-wanted:]
        cut = _WHITESPACE.search(text)
        return text[cut.end() :] if cut else ""


class StreamParser:
    """Turns stream payloads into Progress / VideoReady events, and says why a stream failed.

    `expected` is the number of videos requested (n). The stream ends (`finished`) at [DONE], at the
    end of input, when n failures are reported or when an error object arrives; when it ends without a
    video, `failure` holds the typed error to raise. Fewer videos than n is a partial delivery, not a
    failure; the caller decides what to do with it.
    """

    def __init__(self, *, expected: int = 1) -> None:
        self._expected = max(1, expected)
        self._sse = SSEDecoder()
        self._texts: dict[tuple[int, str], _PartialLine] = {}
        self._urls: list[str] = []
        self._percent = -1.0
        self._failures: list[GatewayError] = []
        self._failure: GatewayError | None = None
        self._finished = False

    @property
    def finished(self) -> bool:
        """True after [DONE], the end of input, or a terminal failure: later input is ignored."""
        return self._finished

    @property
    def failure(self) -> GatewayError | None:
        """Why the stream ended without a video (ContentPolicyError, GenerationFailedError, ...)."""
        return self._failure

    @property
    def urls(self) -> tuple[str, ...]:
        """Every result URL seen so far, in order."""
        return tuple(self._urls)

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """Parse raw bytes from the response body."""
        try:
            payloads = self._sse.feed(chunk)
        except StreamLineTooLongError as err:
            events = [event for payload in err.completed for event in self.feed_payload(payload)]
            return events + self.finish(cause=err)
        return [event for payload in payloads for event in self.feed_payload(payload)]

    def feed_payload(self, payload: str) -> list[StreamEvent]:
        """Parse one `data:` payload (or a whole non-streamed JSON response)."""
        if self._finished:
            return []
        if payload.strip() == "[DONE]":
            return self.finish()
        try:
            document = json.loads(payload)
        except ValueError:
            return []
        if not isinstance(document, dict):
            return []
        if document.get("error"):
            return self._error_object(document["error"])
        events: list[StreamEvent] = []
        choices = document.get("choices")
        if isinstance(choices, list):
            for position, choice in enumerate(choices):
                if not isinstance(choice, dict):
                    continue
                index = choice.get("index")
                key_index = index if isinstance(index, int) else position
                for field, text in _choice_texts(choice):
                    events.extend(self._add_text((key_index, field), text))
                    if self._finished:
                        return events
        return events

    def finish(self, *, cause: GatewayError | None = None) -> list[StreamEvent]:
        """End of the stream ([DONE], EOF, or `cause`): flush partial text and decide whether it failed.

        Without a video the failure is the first one the stream reported, else `cause` (a broken
        connection, say), else "no video".
        """
        if self._finished:
            return []
        events: list[StreamEvent] = []
        for payload in self._sse.flush():
            events.extend(self.feed_payload(payload))
            if self._finished:
                return events
        for key in list(self._texts):
            events.extend(self._line(self._texts.pop(key).take()))
            if self._finished:
                return events
        self._finished = True
        if not self._urls:
            no_video = cause or GenerationFailedError(_NO_VIDEO, reason=_NO_VIDEO)
            self._failure = self._failures[0] if self._failures else no_video
        return events

    def _add_text(self, key: tuple[int, str], text: str) -> list[StreamEvent]:
        partial = self._texts.setdefault(key, _PartialLine())
        # A CRLF split between two events becomes two line breaks: the empty line between is ignored.
        *lines, rest = _LINE_BREAK.split(text)
        if lines:
            lines[0] = partial.take(lines[0])
        events: list[StreamEvent] = []
        for line in lines:
            events.extend(self._line(line))
            if self._finished:
                return events
        partial.add(rest)
        if partial.chars > _MAX_PENDING_TEXT:
            return events + self._line(partial.take())
        # Progress need not wait for the end of its line; a percentage is complete once its % arrived.
        if "%" in rest:
            events.extend(self._progress(_ANY_URL.sub(" ", partial.recent_tokens(len(rest)))))
        return events

    def _line(self, line: str) -> list[StreamEvent]:
        text = line.strip().lstrip(">").strip()
        if not text:
            return []
        if text.startswith("❌") or "PUBLIC_ERROR" in text.upper():
            return self._reported_failure(text)
        urls = _find_urls(text)
        if urls:
            return self._videos(urls)
        if _WEAK_FAILURE.search(text) and not _RETRYING.search(text):
            return self._reported_failure(text)
        return self._progress(_ANY_URL.sub(" ", text))

    def _videos(self, urls: list[str]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for url in urls:
            if url not in self._urls:
                self._urls.append(url)
                events.append(VideoReady(url=url, index=len(self._urls) - 1))
        return events

    def _progress(self, text: str) -> list[StreamEvent]:
        values = [float(match.group(1)) for match in _PERCENT.finditer(text)]
        values = [value for value in values if 0.0 <= value <= 100.0]
        if not values or max(values) <= self._percent:
            return []
        self._percent = max(values)
        return [Progress(percent=self._percent)]

    def _reported_failure(self, text: str, *, final: bool = False) -> list[StreamEvent]:
        """One failure line (or error object); the stream ends once no video can still come."""
        self._failures.append(_failure_error(text))
        if final or len(self._failures) + len(self._urls) >= self._expected:
            self._finished = True
            self._failure = None if self._urls else self._failures[0]
        return []

    def _error_object(self, error: object) -> list[StreamEvent]:
        if isinstance(error, dict):
            message = str(error.get("message") or error.get("code") or error.get("type") or "error")
            code = str(error.get("code") or "")
            text = f"{code}: {message}" if code and code not in message else message
        else:
            text = str(error)
        return self._reported_failure(text, final=True)


def parse_stream(chunks: Iterable[bytes], *, expected: int = 1) -> list[StreamEvent]:
    """Parse a whole recorded stream (a convenience for tests and tools); raises its failure."""
    parser = StreamParser(expected=expected)
    events: list[StreamEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.finish())
    if parser.failure is not None:
        raise parser.failure
    return events


def _choice_texts(choice: dict[str, Any]) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for container_name in ("delta", "message"):
        container = choice.get(container_name)
        if not isinstance(container, dict):
            continue
        for field in ("reasoning_content", "content"):
            text = _as_text(container.get(field))
            if text:
                texts.append((f"{container_name}.{field}", text))
    text = _as_text(choice.get("text"))
    if text:
        texts.append(("text", text))
    return texts


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part["text"] for part in value if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _find_urls(text: str) -> list[str]:
    spans: list[tuple[int, int, str]] = []
    for match in _MARKDOWN_LINK.finditer(text):
        spans.append((match.start(), match.end(), match.group(1)))
    for match in _SRC_ATTRIBUTE.finditer(text):
        spans.append((match.start(), match.end(), html.unescape(match.group(2))))
    for match in _BARE_MP4.finditer(text):
        if not any(start <= match.start() < end for start, end, _ in spans):
            spans.append((match.start(), match.end(), match.group()))
    ordered: list[str] = []
    for _, _, url in sorted(spans):
        if url not in ordered:
            ordered.append(url)
    return ordered


def _failure_error(text: str) -> GatewayError:
    """A failure line as an exception: content policy when it names a PUBLIC_* code."""
    code = policy_code(text)
    if code is not None:
        return ContentPolicyError(code, code=code)
    reason = text.lstrip("❌").strip()
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 1] + "…"
    # A bare ❌ says nothing worth showing the user (and our placeholder is not translated).
    return GenerationFailedError(reason or _GENERIC_FAILURE, reason=reason or None)
