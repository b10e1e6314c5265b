"""The pure stream parser, fed recorded chunk variants (no network)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from bot.constants import MAX_LINE_CHARS
from bot.gateway import sse
from bot.gateway.errors import (
    APIConnectionError,
    ContentPolicyError,
    GatewayError,
    GenerationFailedError,
    StreamLineTooLongError,
)
from bot.gateway.events import Progress, StreamEvent, VideoReady
from bot.gateway.sse import SSEDecoder, StreamParser, parse_stream

URL = "https://veo-video.gptkey.asia/assets/flow/abc123.mp4"


def chunk(content: str, field: str = "content") -> bytes:
    """One SSE event carrying text the way the gateway does."""
    document = {"choices": [{"index": 0, "delta": {field: content}, "finish_reason": None}]}
    return f"data: {json.dumps(document, ensure_ascii=False)}\n\n".encode()


POLICY = "PUBLIC_ERROR_AUDIO_FILTERED"
NO_VIDEO = "stream ended without a video"


def outcome(chunks: list[bytes], *, expected: int = 1) -> tuple[list[StreamEvent], GatewayError | None]:
    """The events of a whole stream and the error it ended with (None when a video arrived)."""
    parser = StreamParser(expected=expected)
    events = [event for piece in chunks for event in parser.feed(piece)]
    events += parser.finish()
    return events, parser.failure


def described(error: GatewayError | None) -> tuple[type | None, str, str | None]:
    """(type, message, the reason shown to the user) of a stream's failure."""
    if error is None:
        return None, "", None
    return type(error), error.message, getattr(error, "reason", None)


def policy(code: str) -> tuple[type, str, str]:
    return ContentPolicyError, code, code


def generation_failed(reason: str) -> tuple[type, str, str]:
    return GenerationFailedError, reason, reason


DOCUMENTED = [
    chunk("> 🏃 Progress: 45.0%\n\n"),
    chunk(f"> ✅ Video 1 complete, [click here]({URL}) to view~~~\n\n"),
    b"data: [DONE]\n\n",
]


def test_documented_stream_gives_progress_then_video() -> None:
    assert parse_stream(DOCUMENTED) == [Progress(45.0), VideoReady(URL, 0)]


def test_every_byte_split_gives_the_same_events() -> None:
    whole = b"".join(
        [b": keep-alive\n\n", chunk("> 🕐 Queued\n\n"), *DOCUMENTED[:2], chunk("", "content"), DOCUMENTED[2]]
    )
    expected = parse_stream([whole])
    assert expected == [Progress(45.0), VideoReady(URL, 0)]
    for cut in range(1, len(whole)):
        assert parse_stream([whole[:cut], whole[cut:]]) == expected, cut


def test_byte_at_a_time_with_crlf_line_endings() -> None:
    whole = b"".join(DOCUMENTED).replace(b"\n", b"\r\n")
    assert parse_stream([whole[i : i + 1] for i in range(len(whole))]) == [Progress(45.0), VideoReady(URL, 0)]


def test_lone_carriage_returns_end_lines_too() -> None:
    whole = b"".join(DOCUMENTED).replace(b"\n", b"\r")
    assert parse_stream([whole]) == [Progress(45.0), VideoReady(URL, 0)]


def test_text_split_across_chunks_mid_url_and_mid_percentage() -> None:
    events = parse_stream(
        [
            chunk("> 🏃 Progress: 4"),
            chunk("5.5%\n\n> ✅ Video 1 complete, [click here](https://veo-video.gptkey.asia/assets/fl"),
            chunk("ow/abc123.mp4) to view~~~\n\n"),
            b"data: [DONE]\n\n",
        ]
    )
    assert events == [Progress(45.5), VideoReady(URL, 0)]


def test_progress_is_reported_before_its_line_ends() -> None:
    parser = StreamParser()
    assert parser.feed(chunk("Progress: 12")) == []
    assert parser.feed(chunk("%")) == [Progress(12.0)]
    assert parser.feed(chunk(" ... Progress: 30%")) == [Progress(30.0)]


def test_progress_never_goes_backwards_and_is_not_repeated() -> None:
    events, failure = outcome([chunk("Progress: 20%\n"), chunk("Progress: 20%\n"), chunk("Progress: 10%\n")])
    assert events == [Progress(20.0)]
    assert described(failure) == generation_failed(NO_VIDEO)


def test_reasoning_content_is_read() -> None:
    events = parse_stream(
        [chunk("Progress: 60%\n", "reasoning_content"), chunk(f"[video]({URL})\n", "reasoning_content")]
    )
    assert events == [Progress(60.0), VideoReady(URL, 0)]


def test_message_content_of_a_whole_response_is_read() -> None:
    parser = StreamParser()
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": f"Done: {URL}"}}]}
    assert parser.feed_payload(json.dumps(body)) + parser.finish() == [VideoReady(URL, 0)]


@pytest.mark.parametrize(
    "line",
    [
        f"<video src='{URL}' controls></video>",
        f'<video controls src="{URL}"></video>',
        f"Your video is ready: {URL}",
        f"[click here]({URL}) or <video src='{URL}'></video> or {URL}",
    ],
)
def test_url_forms_are_recognised_and_deduplicated(line: str) -> None:
    assert parse_stream([chunk(line + "\n"), b"data: [DONE]\n\n"]) == [VideoReady(URL, 0)]


def test_html_entities_in_src_are_unescaped_and_queries_kept() -> None:
    line = "<video src='https://cdn.example/v.mp4?a=1&amp;b=2'></video> and https://cdn.example/w.MP4?sig=x%20y\n"
    assert parse_stream([chunk(line)]) == [
        VideoReady("https://cdn.example/v.mp4?a=1&b=2", 0),
        VideoReady("https://cdn.example/w.MP4?sig=x%20y", 1),
    ]


def test_several_videos_get_indices_in_order_of_appearance() -> None:
    urls = [f"https://cdn.example/{i}.mp4" for i in range(3)]
    stream = [
        chunk(f"> ✅ Video {i + 1} complete, [click here]({url}) to view~~~\n\n")
        for i, url in enumerate(urls)
    ]
    assert parse_stream([*stream, chunk(f"again {urls[0]}\n")], expected=3) == [
        VideoReady(url, i) for i, url in enumerate(urls)
    ]


def test_percent_escapes_inside_urls_are_not_progress() -> None:
    assert parse_stream([chunk("see https://cdn.example/a%20b%99/x.mp4\n")]) == [
        VideoReady("https://cdn.example/a%20b%99/x.mp4", 0)
    ]


def test_cross_mark_line_is_a_failure() -> None:
    events, failure = outcome([chunk("Progress: 30%\n"), chunk("> ❌ Generation failed: upstream busy\n\n")])
    assert events == [Progress(30.0)]
    assert described(failure) == generation_failed("Generation failed: upstream busy")


def test_a_bare_cross_mark_gives_no_reason_to_show() -> None:
    _, failure = outcome([chunk("❌\n")])
    assert described(failure) == (GenerationFailedError, "generation failed", None)


def test_parse_stream_raises_the_failure_like_the_gateway_does() -> None:
    with pytest.raises(ContentPolicyError) as caught:
        parse_stream([chunk(f"❌ {POLICY}\n")])
    assert (caught.value.code, caught.value.reason, caught.value.status_code) == (POLICY, POLICY, 403)


def test_public_error_is_a_content_policy_failure_with_its_code() -> None:
    code = "PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED"
    events, failure = outcome([chunk(f"> Video generation error: {code}\n")])
    assert (events, described(failure)) == ([], policy(code))


def test_a_failure_is_final_and_later_input_ignored() -> None:
    parser = StreamParser()
    assert parser.feed(chunk("❌ failed\n")) == []
    assert parser.finished
    assert described(parser.failure) == generation_failed("failed")
    assert parser.feed(chunk(f"[x]({URL})\n")) == []
    assert parser.finish() == []
    assert described(parser.failure) == generation_failed("failed")


def test_the_word_failed_is_a_failure_but_a_retry_notice_is_not() -> None:
    failure = outcome([chunk("Task failed: capacity\n")])[1]
    assert described(failure) == generation_failed("Task failed: capacity")
    events = parse_stream([chunk("attempt 1 failed, retrying\n"), chunk(f"[v]({URL})\n")])
    assert events == [VideoReady(URL, 0)]


def test_failure_split_across_chunks_keeps_the_whole_reason() -> None:
    assert described(outcome([chunk("❌ PUBLIC_ERROR_AU"), chunk("DIO_FILTERED\n")])[1]) == policy(POLICY)


def test_failure_without_line_break_is_seen_at_the_end() -> None:
    failure = outcome([chunk("❌ PUBLIC_ERROR_AUDIO_FILTERED"), b"data: [DONE]\n\n"])[1]
    assert described(failure) == policy(POLICY)


def test_done_without_a_url_is_a_failure() -> None:
    events, failure = outcome([chunk("Progress: 99%\n"), b"data: [DONE]\n\n"])
    assert (events, described(failure)) == ([Progress(99.0)], generation_failed(NO_VIDEO))


def test_end_of_input_without_done_is_fine_when_a_video_arrived() -> None:
    assert parse_stream([chunk(f"[v]({URL})")]) == [VideoReady(URL, 0)]


def test_end_of_input_without_anything_is_a_failure() -> None:
    events, failure = outcome([b""])
    assert (events, described(failure)) == ([], generation_failed(NO_VIDEO))


def test_keep_alives_comments_other_fields_and_junk_are_ignored() -> None:
    stream = [
        b": keep-alive\n\n",
        b"event: message\nid: 7\nretry: 1000\n",
        b"data: not json at all\n\n",
        b"data: [1, 2, 3]\n\n",
        b'data: {"choices": "oops"}\n\n',
        b'data: {"choices": [null, {"delta": null}]}\n\n',
        b"\n\n\n",
        b"random noise line\n",
        *DOCUMENTED,
    ]
    assert parse_stream(stream) == [Progress(45.0), VideoReady(URL, 0)]


def test_error_object_in_a_data_line_fails_the_stream() -> None:
    error = {
        "error": {"code": "quota_exceeded", "message": "Insufficient balance", "type": "rate_limit_error"}
    }
    events, failure = outcome([f"data: {json.dumps(error)}\n\n".encode()])
    assert (events, described(failure)) == ([], generation_failed("quota_exceeded: Insufficient balance"))


def test_policy_error_object_is_content_policy() -> None:
    error = {"error": {"message": "PUBLIC_ERROR_AUDIO_FILTERED", "type": "task_failed"}}
    assert described(outcome([f"data: {json.dumps(error)}\n".encode()])[1]) == policy(POLICY)


def test_bare_json_error_line_without_framing() -> None:
    failure = outcome([b'{"error": {"message": "model overloaded"}}\n'])[1]
    assert described(failure) == generation_failed("model overloaded")


def test_partial_delivery_is_not_a_failure() -> None:
    events = parse_stream(
        [chunk("❌ Video 1 failed: PUBLIC_ERROR_AUDIO_FILTERED\n"), chunk(f"✅ Video 2 [v]({URL})\n")],
        expected=2,
    )
    assert events == [VideoReady(URL, 0)]


def test_as_many_failures_as_videos_ends_the_stream_early() -> None:
    parser = StreamParser(expected=2)
    assert parser.feed(chunk("❌ Video 1 failed: PUBLIC_ERROR_AUDIO_FILTERED\n")) == []
    assert not parser.finished
    assert parser.feed(chunk("❌ Video 2 failed\n")) == []
    assert parser.finished
    assert described(parser.failure) == policy(POLICY)


def test_an_ending_with_a_cause_fails_with_it_only_when_nothing_else_was_reported() -> None:
    broken = APIConnectionError("the connection to the gateway broke mid-stream")
    quiet = StreamParser()
    quiet.feed(chunk("Progress: 50%\n"))
    assert quiet.finish(cause=broken) == []
    assert quiet.failure is broken
    reported = StreamParser(expected=2)
    reported.feed(chunk(f"❌ {POLICY}\n"))
    reported.finish(cause=broken)
    assert described(reported.failure) == policy(POLICY)
    delivered = StreamParser(expected=2)
    delivered.feed(chunk(f"[v]({URL})\n"))
    delivered.finish(cause=broken)
    assert delivered.failure is None


def test_an_overlong_line_ends_the_stream_keeping_what_came_before_it() -> None:
    parser = StreamParser()
    overlong = b"data: " + b"x" * (MAX_LINE_CHARS + 10)
    assert parser.feed(chunk("Progress: 10%\n") + overlong) == [Progress(10.0)]
    assert parser.finished
    assert isinstance(parser.failure, StreamLineTooLongError)
    delivered = StreamParser(expected=2)
    assert delivered.feed(chunk(f"[v]({URL})\n") + overlong) == [VideoReady(URL, 0)]
    assert delivered.finished
    assert delivered.failure is None  # the video that arrived is delivered


def test_separate_choices_keep_separate_partial_lines() -> None:
    def choice(index: int, text: str) -> bytes:
        return f"data: {json.dumps({'choices': [{'index': index, 'delta': {'content': text}}]})}\n\n".encode()

    events = parse_stream(
        [
            choice(0, "[a](https://cdn.example/a"),
            choice(1, "[b](https://cdn.example/b"),
            choice(0, ".mp4)\n"),
            choice(1, ".mp4)\n"),
        ],
        expected=2,
    )
    assert events == [VideoReady("https://cdn.example/a.mp4", 0), VideoReady("https://cdn.example/b.mp4", 1)]


def test_content_given_as_a_list_of_parts() -> None:
    document = {"choices": [{"delta": {"content": [{"type": "text", "text": f"[v]({URL})\n"}]}}]}
    assert parse_stream([f"data: {json.dumps(document)}\n".encode()]) == [VideoReady(URL, 0)]


def test_decoder_passes_data_payloads_and_joins_split_utf8() -> None:
    decoder = SSEDecoder()
    encoded = "data: 🏃\n".encode()
    assert decoder.feed(encoded[:8]) == []
    assert decoder.feed(encoded[8:]) == ["🏃"]
    assert decoder.feed(b"data:no-space\r") == []
    assert decoder.feed(b"\n: comment\ndata: tail") == ["no-space"]
    assert decoder.flush() == ["tail"]


class _CountingSplit:
    """Stands in for the decoder's line-break pattern and counts the characters it is asked to scan."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned = 0

    def split(self, text: str) -> list[str]:
        self.scanned += len(text)
        return self.pattern.split(text)


def test_a_long_line_in_small_pieces_is_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _CountingSplit(sse._LINE_BREAK)
    monkeypatch.setattr(sse, "_LINE_BREAK", counting)
    decoder = SSEDecoder(max_line_chars=8 * 1024 * 1024)
    line = b"data: " + b"x" * (5 * 1024 * 1024)
    pieces = [line[i : i + 1024] for i in range(0, len(line), 1024)]

    assert all(decoder.feed(piece) == [] for piece in pieces)
    assert decoder.feed(b"\n") == ["x" * (5 * 1024 * 1024)]
    # Every character passes the line-break scan once: no re-reading of what is already buffered.
    assert counting.scanned == len(line) + 1


def test_a_line_over_the_cap_fails_as_soon_as_it_passes_the_cap() -> None:
    decoder = SSEDecoder()
    fed = len(b"data: ")
    decoder.feed(b"data: ")
    with pytest.raises(StreamLineTooLongError) as caught:
        while fed < 5 * 1024 * 1024:
            decoder.feed(b"x" * 1024)
            fed += 1024
    assert fed <= MAX_LINE_CHARS < fed + 1024
    assert caught.value.kind == "gateway_error"  # the user is told the video service had a problem


def test_a_line_exactly_at_the_cap_is_accepted() -> None:
    decoder = SSEDecoder(max_line_chars=100)
    line = b"data: " + b"z" * 94
    assert decoder.feed(line[:50]) == []
    assert decoder.feed(line[50:] + b"\r\n") == ["z" * 94]


def test_lines_that_ended_before_an_overlong_one_are_kept() -> None:
    decoder = SSEDecoder(max_line_chars=100)
    with pytest.raises(StreamLineTooLongError) as caught:
        decoder.feed(b"data: one\n" + b"data: " + b"y" * 200 + b"\n")
    assert caught.value.completed == ["one"]


class _CountingPercent:
    """Stands in for the parser's percentage pattern and counts the characters it is asked to scan."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned = 0

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        self.scanned += len(text)
        return self.pattern.finditer(text)


def test_text_of_one_long_line_over_many_events_is_scanned_near_the_new_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = _CountingPercent(sse._PERCENT)
    monkeypatch.setattr(sse, "_PERCENT", counting)
    parser = StreamParser()
    events = [parser.feed(chunk(f"{'x' * 990} {index % 100}% ")) for index in range(1, 2001)]

    assert events[0] == [Progress(1.0)]
    assert events[98] == [Progress(99.0)]
    new_text = 2000 * 996
    # The new text, a short lookback per event, and each 64 KB stretch once more when it is cut off.
    assert counting.scanned < new_text + 2000 * 300 + new_text


def test_a_percentage_inside_a_url_that_began_before_the_lookback_is_not_progress() -> None:
    parser = StreamParser()
    assert parser.feed(chunk("see https://cdn.example/" + "a" * 1000)) == []
    assert parser.feed(chunk("/50%2F/b")) == []
    assert parser.feed(chunk(" Progress: 20%")) == [Progress(20.0)]
