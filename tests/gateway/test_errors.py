"""Pure helpers of the gateway's exception module."""

from __future__ import annotations

import pytest

from bot.gateway.errors import policy_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("PUBLIC_ERROR_AUDIO_FILTERED", "PUBLIC_ERROR_AUDIO_FILTERED"),
        (
            "❌ Video 1 failed: public_error_prominent_people_filter_failed.",
            "PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED",
        ),
        ("HTTP 403: blocked (PUBLIC_ERROR_X2) retry later", "PUBLIC_ERROR_X2"),
        ("upstream capacity exhausted", None),
        ("", None),
        (None, None),
    ],
)
def test_policy_code_finds_the_upstream_code(text: str | None, code: str | None) -> None:
    assert policy_code(text) == code
