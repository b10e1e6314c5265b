"""Backoff arithmetic, Retry-After parsing and which errors are retried where."""

from __future__ import annotations

import email.utils

import pytest

from bot.gateway.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    GatewayError,
    RateLimitError,
    ServerError,
    VideoNotFoundError,
    parse_retry_after,
)
from bot.gateway.retry import RetryPolicy, retryable_read, retryable_submit, with_retries


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n, random=lambda: 0.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_jitter_takes_off_at_most_a_quarter() -> None:
    assert RetryPolicy().delay(2, random=lambda: 1.0) == 1.5


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy()
    assert policy.delay(0, random=lambda: 0.5, retry_after=3.0) == 3.0
    assert policy.delay(0, random=lambda: 0.5, retry_after=3600.0) == 60.0


def test_retry_after_header_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(30.0)
    assert parse_retry_after(email.utils.formatdate(10, usegmt=True), now=1_000_000) == 0.0


@pytest.mark.parametrize(
    ("error", "read", "submit"),
    [
        (ServerError("x", status_code=502), True, True),
        (RateLimitError("x"), True, True),
        (APIConnectionError("x"), True, False),
        (APITimeoutError("x"), True, False),
        (BadRequestError("x", status_code=400), False, False),
        (AuthenticationError("x", status_code=401), False, False),
        (ContentPolicyError("x"), False, False),
        (VideoNotFoundError("x", status_code=404), False, False),
        (GatewayError("x"), False, False),
    ],
)
def test_what_is_retried_where(error: GatewayError, read: bool, submit: bool) -> None:
    assert retryable_read(error) is read
    assert retryable_submit(error) is submit


async def test_with_retries_sleeps_between_attempts_then_gives_up() -> None:
    slept: list[float] = []
    calls = 0

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def failing() -> int:
        nonlocal calls
        calls += 1
        raise (
            RateLimitError("slow down", retry_after=2.0)
            if calls == 1
            else ServerError("down", status_code=503)
        )

    with pytest.raises(ServerError):
        await with_retries(
            failing, retryable=retryable_read, policy=RetryPolicy(), sleep=sleep, random=lambda: 0.0, what="t"
        )
    assert calls == 3
    assert slept == [2.0, 1.0]


async def test_with_retries_does_not_repeat_a_refusal() -> None:
    calls = 0

    async def refused() -> int:
        nonlocal calls
        calls += 1
        raise BadRequestError("bad", status_code=400)

    async def sleep(seconds: float) -> None:
        raise AssertionError("must not sleep")

    with pytest.raises(BadRequestError):
        await with_retries(
            refused, retryable=retryable_read, policy=RetryPolicy(), sleep=sleep, random=lambda: 0.0, what="t"
        )
    assert calls == 1
