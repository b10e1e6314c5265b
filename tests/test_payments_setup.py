"""STARS_PACKS is validated at start-up; invoice payloads are signed, short and tamper-evident."""

from __future__ import annotations

import pytest

from bot.payments import InvoicePayload, decode_payload, encode_payload
from bot.settings import Settings, SettingsError, StarsPack, load_settings

TOKEN = "123456:SECRET-PART-of-the-token"


def settings(**values: str) -> Settings:
    return load_settings(telegram_bot_token=TOKEN, apiyi_api_key="k", _env_file=None, **values)


def test_packs_are_parsed_and_payments_are_off_without_them() -> None:
    on = settings(stars_packs="50:0.50, 250:3")
    assert on.stars_packs == (StarsPack(50, 50), StarsPack(250, 300)) and on.payments_enabled
    assert not settings().payments_enabled


@pytest.mark.parametrize("bad", ["50", "0:1", "10001:1", "50:0", "50:0.001", "50:1,50:2", "x:1", "50:-1"])
def test_malformed_packs_stop_start_up_naming_the_setting(bad: str) -> None:
    with pytest.raises(SettingsError, match="STARS_PACKS"):
        settings(stars_packs=bad)


def test_support_text_has_a_limit() -> None:
    with pytest.raises(SettingsError, match="PAYMENT_SUPPORT_TEXT"):
        settings(payment_support_text="x" * 2001)


def test_payload_round_trips_fits_128_bytes_and_hides_the_token() -> None:
    payload = InvoicePayload(user_id=-(10**15), pack=StarsPack(10_000, 1_000_000), issued_at=2_000_000_000)
    text = encode_payload(TOKEN, payload)
    assert len(text.encode()) <= 128
    assert "SECRET" not in text and TOKEN not in text
    assert decode_payload(TOKEN, text) == payload
    assert decode_payload("999:another-bot", text) is None
    assert decode_payload(TOKEN, text.replace(":10000:", ":9999:")) is None
    assert decode_payload(TOKEN, "garbage") is None
