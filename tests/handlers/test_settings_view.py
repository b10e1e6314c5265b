"""The /settings buttons' callback data: `set:<u|c>:<opener>:<action>[:<value>]`, self-contained so a menu
works after a restart, within Telegram's 64 bytes, and anything else (forged, odd, from another menu) is
not a settings press."""

from __future__ import annotations

import pytest
from telegram.constants import InlineKeyboardButtonLimit

from bot.gateway.catalog import Channel
from bot.gateway.request import Mode
from bot.i18n import Translator
from bot.preferences import Field, UnavailableChoice, VideoDefaults, choose
from handlers.settings_view import DONE, RESET, MenuPress, MenuView, render_keyboard
from storage import PreferenceScope

MAX_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
LARGEST_USER_ID = 2**52 - 1  # Bot API: user ids have at most 52 significant bits


@pytest.mark.parametrize(
    ("press", "data"),
    [
        (MenuPress("user", 42, Field.ORIENTATION.value, "landscape"), "set:u:42:o:landscape"),
        (MenuPress("chat", 42, Field.RESOLUTION.value, "1080p"), "set:c:42:r:1080p"),
        (MenuPress("user", 42, Field.COUNT.value, "3"), "set:u:42:n:3"),
        (MenuPress("user", 42, RESET), "set:u:42:reset"),
        (MenuPress("chat", LARGEST_USER_ID, DONE), f"set:c:{LARGEST_USER_ID}:done"),
    ],
)
def test_presses_encode_and_decode_back(press: MenuPress, data: str) -> None:
    assert press.encode() == data
    assert MenuPress.decode(data) == press


def test_data_over_64_bytes_is_never_made() -> None:
    with pytest.raises(ValueError):
        MenuPress("user", 42, Field.CHANNEL.value, "x" * (MAX_BYTES - len("set:u:42:c:") + 1)).encode()
    fits = MenuPress("user", 42, Field.CHANNEL.value, "x" * (MAX_BYTES - len("set:u:42:c:")))
    assert len(fits.encode()) == MAX_BYTES


@pytest.mark.parametrize(
    "data",
    [
        "",
        "set:",
        "set:u:42",
        "set:x:42:done",  # no such scope
        "set:U:42:done",
        "SET:u:42:done",
        "sett:u:42:done",
        "set:u::done",
        "set:u:abc:done",
        "set:u:-42:done",
        "set:u:٤٢:done",  # Arabic-Indic digits: int() would take them
        "set:u:²:done",  # isdigit() is True, int() raises
        "set:u:42:reset:now",  # reset and done carry no value
        "set:u:42:o",  # a field needs a value
        "set:u:42:o:",
        "set:u:42:colour:red",  # no such field
        "set:u:42:o:landscape:extra",
        "fu:again:0123456789",  # another button's data
        "lang:en",
    ],
)
def test_anything_else_is_not_a_settings_press(data: str) -> None:
    assert MenuPress.decode(data) is None


def test_a_well_formed_press_the_menu_never_offered_is_refused_when_applied() -> None:
    # The codec only reads the shape; the value is checked against what these defaults allow.
    press = MenuPress.decode("set:u:42:d:5")
    assert press == MenuPress("user", 42, Field.SECONDS.value, "5")
    with pytest.raises(UnavailableChoice):
        choose(VideoDefaults(channel=Channel.OFFICIAL), Field(press.action), press.value, "async")


MENUS = [
    ("user", VideoDefaults(), "sync"),
    ("chat", VideoDefaults(n=3), "sync"),
    ("user", VideoDefaults(channel=Channel.OFFICIAL, seconds=4, resolution="720p"), "async"),
    ("chat", VideoDefaults(channel=Channel.OFFICIAL, resolution="4k"), "sync"),
]


@pytest.mark.parametrize(("scope", "defaults", "mode"), MENUS)
def test_every_menu_button_decodes_to_a_press_its_menu_accepts(
    scope: PreferenceScope, defaults: VideoDefaults, mode: Mode
) -> None:
    view = MenuView(scope, LARGEST_USER_ID, defaults, "own", mode, chat_title="Makers")
    presses = []
    for row in render_keyboard(view, Translator(), "en").inline_keyboard:
        for button in row:
            data = str(button.callback_data)
            assert len(data.encode()) <= MAX_BYTES
            press = MenuPress.decode(data)
            assert press is not None and (press.scope, press.opener_id) == (scope, LARGEST_USER_ID)
            presses.append(press)
    assert [press.action for press in presses[-2:]] == [RESET, DONE]
    for press in presses[:-2]:
        choose(defaults, Field(press.action), press.value, mode)  # raises for a value it does not offer
