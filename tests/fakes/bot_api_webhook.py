"""Webhook mode: POST each pending update to the bot's URL, in order, retrying until it answers 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fakes.bot_api_updates import UpdateQueue

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookConfig:
    """What setWebhook stored."""

    url: str = ""
    secret_token: str = ""
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: list[int] = field(default_factory=list)

    def info(self, pending: int) -> dict[str, Any]:
        """The WebhookInfo object."""
        data: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if self.url:
            data["max_connections"] = self.max_connections
            if self.allowed_updates:
                data["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data


class WebhookDelivery:
    """Owns the delivery task while a webhook is set."""

    def __init__(self, queue: UpdateQueue, *, retry_delay: float = 0.2, timeout: float = 10.0) -> None:
        self.config = WebhookConfig()
        self._queue = queue
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        """True while a webhook URL is set."""
        return bool(self.config.url)

    async def set(self, config: WebhookConfig) -> None:
        """Start delivering to a new URL (stopping any previous delivery)."""
        await self.stop()
        self.config = config
        if config.url:
            self._task = asyncio.create_task(self._deliver(config), name="fake-bot-api-webhook")

    async def stop(self) -> None:
        """Stop delivering and forget the URL."""
        task, self._task = self._task, None
        self.config = WebhookConfig()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, config: WebhookConfig) -> None:
        headers = {SECRET_HEADER: config.secret_token} if config.secret_token else {}
        async with httpx.AsyncClient(timeout=httpx.Timeout(self._timeout)) as client:
            while True:
                update = await self._queue.first()
                error = await _post(client, config.url, update, headers)
                if error is None:
                    self._queue.confirm(update["update_id"] + 1)
                    config.delivered.append(update["update_id"])
                    continue
                config.last_error_date = int(time.time())
                config.last_error_message = error
                logger.info("webhook delivery failed: %s", error)
                await asyncio.sleep(self._retry_delay)


async def _post(
    client: httpx.AsyncClient, url: str, update: dict[str, Any], headers: dict[str, str]
) -> str | None:
    """POST one update; None on success, else Telegram's last_error_message wording."""
    try:
        response = await client.post(url, json=update, headers=headers)
    except httpx.HTTPError as err:
        return f"Connection failed: {type(err).__name__}"
    if 200 <= response.status_code < 300:
        return None
    return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
