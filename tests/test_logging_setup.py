"""Secrets never reach a log line: every record is redacted when it is made, for every handler."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import REDACTED, SecretRedactor, configure_logging

TOKEN = "123456789:AAHk-secret-part-of-the-bot-token"
API_KEY = "sk-live-0123456789abcdef"
TOKEN_SECRET_PART = TOKEN.split(":")[1]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            f"GET https://api.telegram.org/bot{TOKEN}/getMe",
            f"GET https://api.telegram.org/bot{REDACTED}/getMe",
        ),
        (f"key={API_KEY} again {API_KEY}", f"key={REDACTED} again {REDACTED}"),
        # The longer secret goes first, so a secret inside another leaves no part of the outer one.
        (f"{TOKEN} and {TOKEN_SECRET_PART}", f"{REDACTED} and {REDACTED}"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_every_known_secret_is_replaced(text: str, redacted: str) -> None:
    assert SecretRedactor([TOKEN_SECRET_PART, API_KEY, TOKEN])(text) == redacted


def test_values_too_short_to_be_real_secrets_leave_words_alone() -> None:
    redact = SecretRedactor(["", "abc", "1234567"])  # e.g. an unset or placeholder setting
    assert redact("abc 1234567 abcdefgh") == "abc 1234567 abcdefgh"
    assert SecretRedactor(["abcdefgh"])("abc 1234567 abcdefgh") == f"abc 1234567 {REDACTED}"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back after the test."""
    factory = logging.getLogRecordFactory()
    root_level = logging.getLogger().level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "tornado.access")}
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        logging.getLogger().setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restored_logging")
def test_messages_arguments_and_tracebacks_are_redacted_for_any_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging("INFO", [TOKEN, API_KEY])
    logger = logging.getLogger("tests.logging_setup")
    with caplog.at_level(logging.INFO):
        logger.info("calling %s with %s", f"https://api.telegram.org/bot{TOKEN}/getMe", {"key": API_KEY})
        try:
            raise RuntimeError(f"upstream refused {API_KEY}")
        except RuntimeError:
            logger.exception("request failed")
    assert caplog.text.count(REDACTED) == 3
    assert TOKEN_SECRET_PART not in caplog.text and API_KEY not in caplog.text
    assert "RuntimeError: upstream refused [REDACTED]" in caplog.text


@pytest.mark.usefixtures("restored_logging")
def test_configuring_again_replaces_the_secrets_instead_of_stacking(caplog: pytest.LogCaptureFixture) -> None:
    original = logging.getLogRecordFactory()
    configure_logging("INFO", [TOKEN])
    configure_logging("WARNING", [API_KEY])
    assert logging.getLogRecordFactory().__wrapped__ is original  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING):
        logging.getLogger("tests.logging_setup").warning("%s %s", TOKEN, API_KEY)
    assert caplog.records[-1].getMessage() == f"{TOKEN} {REDACTED}"
    assert logging.getLogger().level == logging.WARNING


@pytest.mark.usefixtures("restored_logging")
def test_http_libraries_that_log_request_urls_are_quieted() -> None:
    configure_logging("DEBUG", [TOKEN])
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
