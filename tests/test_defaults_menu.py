"""The /settings buttons' callback data: every button round-trips, forged data is refused."""

from __future__ import annotations

import pytest

from bot.defaults_menu import CALLBACK_PREFIX, DONE, RESET, MenuPress
from bot.preferences import Field

MAX_CALLBACK_DATA_BYTES = 64


@pytest.mark.parametrize(
    "press",
    [
        MenuPress("user", 42, Field.SECONDS.value, "6"),
        MenuPress("chat", 2**63 - 1, Field.RESOLUTION.value, "1080p"),
        MenuPress("user", 1, RESET),
        MenuPress("chat", 1, DONE),
    ],
)
def test_a_press_round_trips_within_telegram_s_limit(press: MenuPress) -> None:
    data = press.encode()
    assert data.startswith(CALLBACK_PREFIX)
    assert len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    assert MenuPress.decode(data) == press


@pytest.mark.parametrize(
    "data",
    [
        "set:u:42",  # too short
        "set:x:42:d:6",  # unknown scope
        "set:u:²:done",  # not an ASCII number
        "set:u:42:zz:1",  # unknown field
        "set:u:42:d",  # a field without a value
        "set:u:42:done:1",  # done takes no value
        "fu:u:42:done",  # another prefix
        "set:u:42:d:6:7",  # too long
    ],
)
def test_forged_or_stale_data_is_not_a_press(data: str) -> None:
    assert MenuPress.decode(data) is None


def test_data_over_64_bytes_is_refused_when_encoding() -> None:
    with pytest.raises(ValueError, match="callback data too long"):
        MenuPress("user", 1, Field.SECONDS.value, "9" * 60).encode()
