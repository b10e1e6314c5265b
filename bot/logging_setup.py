"""Logging configuration that keeps secrets out of every log line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8


class SecretRedactor:
    """Replaces every known secret in a text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Real tokens and keys are long; a very short value would blank out ordinary words instead.
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return text with each secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def redacting_record_factory(
    base: Callable[..., logging.LogRecord], redact: SecretRedactor
) -> Callable[..., logging.LogRecord]:
    """Wrap a LogRecord factory so every record's message and traceback are redacted at creation.

    Redacting when the record is made (rather than in one handler's filter) covers every handler,
    including ones added later such as a test's log capture.
    """

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    return factory


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at `level`, redact secrets everywhere, and quiet the HTTP libraries."""
    base = logging.getLogRecordFactory()
    while getattr(base, "redacts", False):  # configuring twice must not stack factories
        base = base.__wrapped__  # type: ignore[attr-defined]
    factory = redacting_record_factory(base, SecretRedactor(secrets))
    factory.__wrapped__ = base  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)

    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    for noisy in ("httpx", "httpcore", "tornado.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
