"""When and how long to wait before repeating a gateway call that is safe to repeat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.gateway.errors import (
    APIConnectionError,
    GatewayError,
    RateLimitError,
    ServerError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff `min(initial * 2**n, cap)` less up to 25 % jitter; Retry-After wins, capped."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, retry: int, *, random: Random, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        base = min(self.initial_delay * 2.0**retry, self.max_delay)
        return base * (1 - 0.25 * random())


def retryable_read(error: BaseException) -> bool:
    """Polls and downloads: 5xx, 429, connection errors and timeouts are worth another try."""
    return isinstance(error, ServerError | RateLimitError | APIConnectionError)


def retryable_submit(error: BaseException) -> bool:
    """Submissions: only answers that prove nothing started (429, 5xx; failures are not billed).

    A connection error or timeout is never retried here: the first request may have been accepted.
    """
    return isinstance(error, ServerError | RateLimitError)


async def with_retries(
    operation: Callable[[], Awaitable[T]],
    *,
    retryable: Callable[[BaseException], bool],
    policy: RetryPolicy,
    sleep: Sleep,
    random: Random,
    what: str,
    on_error: Callable[[GatewayError], None] | None = None,
) -> T:
    """Run `operation`, repeating it up to `policy.max_retries` times while `retryable` says so.

    `on_error` sees every failed attempt, the retried ones included (for the operator's error counts).
    """
    retry = 0
    while True:
        try:
            return await operation()
        except GatewayError as error:
            if on_error is not None:
                on_error(error)
            if retry >= policy.max_retries or not retryable(error):
                raise
            retry_after = error.retry_after if isinstance(error, RateLimitError) else None
            delay = policy.delay(retry, random=random, retry_after=retry_after)
            logger.warning(
                "%s failed (%s); retry %d/%d in %.1f s",
                what,
                error.kind,
                retry + 1,
                policy.max_retries,
                delay,
            )
            retry += 1
            await sleep(delay)
