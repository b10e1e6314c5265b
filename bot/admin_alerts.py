"""Private notices to the admins: unexpected errors and upstream trouble, deduplicated and rate-limited."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from telegram import Bot
from telegram.error import TelegramError

from bot.constants import FAILURES_IN_A_ROW, NOTICE_COOLDOWN_SECONDS
from bot.logging_setup import SecretRedactor

logger = logging.getLogger(__name__)

#: Gateway error kinds that point at the operator's account or the gateway, with what to check.
UPSTREAM_TROUBLE = {
    "authentication": "the gateway refuses APIYI_API_KEY: check the key in the APIYI console and in .env.",
    "rate_limited": "the gateway answers 429: the account's balance may be used up (quota_exceeded)"
    " or its rate limit reached. Check the balance in the APIYI console.",
    "server_error": "the gateway answers with server errors: check the APIYI status page, or try"
    " APIYI_BASE_URL https://vip.apiyi.com/v1 or https://b.apiyi.com/v1.",
    "connection": "the gateway cannot be reached: check this host's network and DNS, and APIYI_BASE_URL.",
    "timeout": "the gateway does not answer in time: check this host's network and the APIYI status page.",
}
MAX_DETAIL_CHARS = 500


@dataclass
class _Sent:
    at: float
    suppressed: int = 0


class AdminAlerts:
    """Tells every admin, in a private message, about our own bugs and about jobs failing upstream."""

    def __init__(
        self,
        *,
        bot: Bot,
        admin_ids: Iterable[int],
        secrets: Iterable[str] = (),
        clock: Callable[[], float] = time.monotonic,
        cooldown_seconds: float = NOTICE_COOLDOWN_SECONDS,
        failures_in_a_row: int = FAILURES_IN_A_ROW,
    ) -> None:
        self._bot = bot
        self._admins = tuple(sorted(admin_ids))
        # Exception texts can carry URLs, and Bot API URLs contain the token.
        self._redact = SecretRedactor(secrets)
        self._clock = clock
        self._cooldown = cooldown_seconds
        self._threshold = failures_in_a_row
        self._sent: dict[str, _Sent] = {}
        self._streak_kind: str | None = None
        self._streak = 0

    async def notify_unexpected(self, error: BaseException | None, *, where: str) -> None:
        """An exception nobody handled (the error handler calls this)."""
        name = type(error).__name__ if error is not None else "unknown error"
        detail = self._redact(str(error))[:MAX_DETAIL_CHARS] if error is not None else ""
        text = (
            f"⚠️ Unexpected error while {where}: {name}: {detail}\n"
            "The user was told something went wrong on our side. The bot's log has the traceback"
            f" (grep {name})."
        )
        await self._notify(f"unexpected:{name}:{detail}", text)

    async def job_failed(self, kind: str) -> None:
        """A job failed with this gateway error kind; several in a row of upstream trouble tell the admins."""
        if kind not in UPSTREAM_TROUBLE:
            self.job_delivered()  # the user's request, not the service, was the problem
            return
        if kind != self._streak_kind:
            self._streak_kind, self._streak = kind, 0
        self._streak += 1
        if self._streak >= self._threshold:
            text = f"⚠️ {self._streak} jobs in a row failed ({kind}): {UPSTREAM_TROUBLE[kind]}"
            await self._notify(f"upstream:{kind}", text)

    def job_delivered(self) -> None:
        """A job went through: the run of upstream failures is over."""
        self._streak_kind, self._streak = None, 0

    async def _notify(self, key: str, text: str) -> None:
        now = self._clock()
        sent = self._sent.get(key)
        if sent is not None and now - sent.at < self._cooldown:
            sent.suppressed += 1
            logger.debug("admin notice %s held back (sent %.0f s ago)", key.split(":")[0], now - sent.at)
            return
        if sent is not None and sent.suppressed:
            text += f"\n(The same happened {sent.suppressed} more times since the last notice.)"
        self._sent[key] = _Sent(at=now)
        for admin in self._admins:
            try:
                await self._bot.send_message(admin, html.escape(text), parse_mode="HTML")
            except TelegramError as err:
                # An admin who never started a private chat with the bot cannot be messaged.
                logger.warning("Could not notify admin %d: %s", admin, err)
