"""What delivery decides without Telegram: the caption (cut the way Telegram counts: UTF-16 units of the
text after HTML parsing, at most 1024, with 24 kept free), and what Telegram's errors mean."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from bot.jobs.delivery import Destination, _may_have_arrived, _never_kind, caption_html
from bot.telegram_text import utf16_units

# The English footer for veo-3.1-fast: the film-frames emoji lies outside the BMP, so 2 + 1 + 12 units.
FOOTER = "🎞 veo-3.1-fast"
# 1024 - 24 kept free - the footer - the line break between them.
PROMPT_ROOM = 1024 - 24 - 15 - 1


class _Shown(HTMLParser):
    """Telegram's view of an HTML caption: the text without tags, and the tags it used."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def shown(caption: str) -> tuple[str, list[str]]:
    parser = _Shown()
    parser.feed(caption)
    parser.close()
    return parser.text, parser.tags


def test_the_footer_is_measured_as_telegram_does() -> None:
    assert utf16_units(FOOTER) == 15


def test_the_prompt_is_shown_in_italics_above_the_footer_with_spaces_folded() -> None:
    assert caption_html("  a fox\n\n  in   the snow ", FOOTER) == f"<i>a fox in the snow</i>\n{FOOTER}"


def test_prompt_and_footer_are_escaped_and_read_back_unchanged() -> None:
    caption = caption_html('<b>cats</b> & "dogs"', "Tom & Jerry <3")
    assert caption == "<i>&lt;b&gt;cats&lt;/b&gt; &amp; &quot;dogs&quot;</i>\nTom &amp; Jerry &lt;3"
    assert shown(caption) == ('<b>cats</b> & "dogs"\nTom & Jerry <3', ["i", "/i"])


@pytest.mark.parametrize(
    ("prompt", "visible"),
    [
        ("a" * PROMPT_ROOM, "a" * PROMPT_ROOM),  # exactly the room: kept whole
        # One more: cut, the ellipsis takes the last unit.
        ("a" * (PROMPT_ROOM + 1), "a" * (PROMPT_ROOM - 1) + "…"),
        # A fox is two units: 491 foxes fill 982 units, the ellipsis the 983rd (a 492nd would need 985).
        ("🦊" * 600, "🦊" * 491 + "…"),
        ("a" + "🦊" * 600, "a" + "🦊" * 491 + "…"),  # odd room for foxes: the last fox is not split
        ("a" * (PROMPT_ROOM - 2) + "🦊", "a" * (PROMPT_ROOM - 2) + "🦊"),  # ends exactly at the room
        ("a" * (PROMPT_ROOM - 1) + "🦊", "a" * (PROMPT_ROOM - 1) + "…"),  # the fox would cross it
        # Escaping at the cut: "&" is one unit in the caption Telegram shows, five in the HTML.
        ("&" * 2000, "&" * (PROMPT_ROOM - 1) + "…"),
        ("a" * (PROMPT_ROOM - 2) + "<&>" * 10, "a" * (PROMPT_ROOM - 2) + "<…"),
        # The room (983 units before the ellipsis) ends on a space, which is dropped.
        ("xyz" + "word " * 400, "xyz" + "word " * 195 + "word…"),
    ],
    ids=[
        "exact",
        "one_over",
        "emoji",
        "emoji_odd",
        "emoji_ends_at_room",
        "emoji_over",
        "amps",
        "markup",
        "words",
    ],
)
def test_a_long_prompt_is_cut_to_the_room_by_telegram_measure(prompt: str, visible: str) -> None:
    caption = caption_html(prompt, FOOTER)
    text, tags = shown(caption)
    assert text == f"{visible}\n{FOOTER}"
    assert tags == ["i", "/i"]
    assert utf16_units(text) <= 1024 - 24


@pytest.mark.parametrize("footer_units", [998, 999, 1000, 1500])
def test_a_footer_that_leaves_no_room_is_sent_alone(footer_units: int) -> None:
    footer = "&" * footer_units
    assert caption_html("a fox", footer) == "&amp;" * footer_units


def test_a_footer_that_leaves_two_units_keeps_one_character_of_the_prompt() -> None:
    assert shown(caption_html("a fox", "f" * 997))[0] == "a…\n" + "f" * 997


def test_an_empty_prompt_leaves_only_the_footer() -> None:
    assert caption_html(" \n\t ", FOOTER) == FOOTER


# -- Destination ------------------------------------------------------------------------------------


def test_without_a_message_to_quote_nothing_is_quoted() -> None:
    assert Destination(42, None, None).reply_parameters is None


# -- what Telegram's refusals mean ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "kind"),
    [
        ("Forbidden: bot was blocked by the user", "bot_blocked"),
        ("Bad Request: chat not found", "chat_not_found"),
        ("Forbidden: bot was kicked from the supergroup chat", "bot_kicked"),
        ("Forbidden: user is deactivated", "user_deactivated"),
        ("Bad Request: not enough rights to send videos to the chat", "no_rights"),
        ("Bad Request: have no rights to send a message", "no_rights"),
        ("Bad Request: CHAT_WRITE_FORBIDDEN", "no_rights"),
        ("Bad Request: wrong file identifier/HTTP URL specified", None),
        ("Bad Request: message thread not found", None),  # sent again outside the topic, not given up
    ],
)
def test_refusals_that_never_change_are_named(description: str, kind: str | None) -> None:
    assert _never_kind(description) == kind


def _network_error(error: NetworkError, cause: BaseException | None) -> NetworkError:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "may_have_arrived"),
    [
        # The connection never opened: Telegram cannot have the video.
        (_network_error(NetworkError("connect"), httpx.ConnectError("refused")), False),
        (_network_error(TimedOut(), httpx.ConnectTimeout("connect timed out")), False),
        (_network_error(TimedOut(), httpx.PoolTimeout("no free connection")), False),
        # Sent, then no answer: it may be in the chat already.
        (_network_error(TimedOut(), httpx.ReadTimeout("read timed out")), True),
        (_network_error(NetworkError("reset"), httpx.ReadError("connection reset")), True),
        (_network_error(TimedOut(), None), True),
        # Telegram answered with an error status (e.g. 502 Bad Gateway): nothing arrived.
        (_network_error(NetworkError("Bad Gateway"), None), False),
    ],
)
def test_a_send_may_have_arrived_unless_telegram_answered_or_it_never_left(
    error: NetworkError, may_have_arrived: bool
) -> None:
    assert _may_have_arrived(error) is may_have_arrived
