"""Error mapping from responses, and the API key kept out of messages, reprs and logs."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import httpx
import pytest

from bot.gateway.client import GatewayTimeouts, VideoGateway
from bot.gateway.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    GatewayError,
    RateLimitError,
    ServerError,
    VideoNotFoundError,
    error_from_response,
    redact,
)
from bot.gateway.request import VideoRequest
from tests.fakes.gateway import FakeGateway, ManualClock
from tests.gateway.conftest import API_KEY


def body(code: str, message: str, kind: str = "invalid_request_error") -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "type": kind}}).encode()


@pytest.mark.parametrize(
    ("status", "payload", "error_type", "code"),
    [
        (400, body("invalid_model", "Model not found"), BadRequestError, "invalid_model"),
        (
            401,
            body("invalid_api_key", "Invalid API key provided", "authentication_error"),
            AuthenticationError,
            "invalid_api_key",
        ),
        (403, body("content_policy_violation", "rejected"), ContentPolicyError, "content_policy_violation"),
        (404, body("video_not_found", "Video not found"), VideoNotFoundError, "video_not_found"),
        (400, body("video_not_found", "expired"), VideoNotFoundError, "video_not_found"),
        (429, body("quota_exceeded", "Insufficient balance"), RateLimitError, "quota_exceeded"),
        (500, b"<html>Internal Server Error</html>", ServerError, None),
        (503, b"", ServerError, None),
        (409, body("conflict", "busy"), APIStatusError, "conflict"),
        (400, body("", "PUBLIC_ERROR_AUDIO_FILTERED"), ContentPolicyError, "PUBLIC_ERROR_AUDIO_FILTERED"),
        (200, body("invalid_api_key", "bad key"), AuthenticationError, "invalid_api_key"),
        (200, json.dumps({"error": "something odd"}).encode(), BadRequestError, None),
    ],
)
def test_error_mapping(
    status: int, payload: bytes, error_type: type[APIStatusError], code: str | None
) -> None:
    error = error_from_response(status, {}, payload)
    assert type(error) is error_type
    assert error.status_code == status
    assert error.code == code
    assert error.message.startswith(f"HTTP {status}: ")


def test_rate_limit_reads_retry_after() -> None:
    error = error_from_response(429, {"retry-after": "12"}, body("quota_exceeded", "slow down"))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 12.0


def test_messages_are_short_and_keep_no_secrets() -> None:
    huge = ("Incorrect API key provided: sk-real-secret-value. " + "x" * 100_000).encode()
    error = error_from_response(401, {}, huge, secret="sk-real-secret-value")
    assert "sk-real" not in error.message
    assert len(error.message) < 320
    assert redact("Authorization: Bearer abc.def and my-key", "my-key") == "Authorization: *** and ***"


async def test_wrong_key_is_refused_and_never_shown(
    gateway: FakeGateway, clock: ManualClock, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    wrong = "sk-wrong-key-123"
    caplog.set_level(logging.DEBUG)
    async with VideoGateway(
        base_url=gateway.base_url, api_key=wrong, sleep=clock.sleep, clock=clock
    ) as client:
        assert wrong not in repr(client)
        with pytest.raises(AuthenticationError) as caught:
            await client.create_task(VideoRequest(prompt="secret test", model="veo-3.1-fast"))
    (sent,) = gateway.requests
    assert sent.status == 401
    assert sent.authorization == f"Bearer {wrong}"
    assert "Invalid API key provided" in caught.value.message
    assert_no_key(caught.value, wrong)
    assert wrong not in caplog.text


def assert_no_key(error: BaseException, key: str) -> None:
    """Neither the error nor anything it was raised from mentions the key."""
    seen: BaseException | None = error
    while seen is not None:
        assert key not in str(seen)
        assert key not in repr(seen)
        assert key not in repr(getattr(seen, "__dict__", {}))
        seen = seen.__cause__ or seen.__context__


async def test_key_stays_out_of_every_failure_and_every_log_line(
    gateway: FakeGateway, clock: ManualClock, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    timeouts = GatewayTimeouts(stream_idle=0.2)
    async with VideoGateway(
        base_url=gateway.base_url, api_key=API_KEY, sleep=clock.sleep, clock=clock, timeouts=timeouts
    ) as client:
        assert API_KEY not in repr(client)
        assert API_KEY not in repr(vars(client)).replace("**********", "")  # SecretStr masks it
        for prompt in ["#500", "#429", "#403", "#drop", "#stall", "#policy"]:
            try:
                async for _ in client.stream_video(VideoRequest(prompt=prompt, model="veo-3.1-fast")):
                    pass
            except GatewayError as error:
                errors.append(error)
        for prompt in ["#400", "#fail", "#audio"]:
            try:
                created = await client.create_task(VideoRequest(prompt=prompt, model="veo-3.1-fast"))
                await client.wait_for_task(created.task_id)
            except GatewayError as error:
                errors.append(error)
        try:
            await client.download_result("video_missing", model="veo-3.1", dest=tmp_path / "x.mp4")
        except GatewayError as error:
            errors.append(error)
    assert len(errors) == 10  # every prompt fails, the #policy stream included
    for error in errors:
        assert_no_key(error, API_KEY)
    assert caplog.records
    assert API_KEY not in caplog.text


async def test_connection_refused_is_a_connection_error(clock: ManualClock) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with VideoGateway(
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=API_KEY,
        sleep=clock.sleep,
        clock=clock,
        random=lambda: 0.0,
    ) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.get_task("video_x")
    assert clock.sleeps == [0.5, 1.0]  # polls are retried on connection errors
    assert_no_key(caught.value, API_KEY)


async def test_raw_key_without_bearer_is_accepted_by_the_fake(gateway: FakeGateway) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{gateway.base_url}/videos",
            json={"prompt": "A cute kitten playing", "model": "veo-3.1"},
            headers={"Authorization": API_KEY},
        )
    assert response.status_code == 200
    assert response.json()["id"].startswith("video_")


async def test_shared_http_client_is_left_open(gateway: FakeGateway) -> None:
    async with httpx.AsyncClient() as http:
        async with VideoGateway(base_url=gateway.base_url, api_key=API_KEY, http=http) as client:
            await client.create_task(VideoRequest(prompt="x", model="veo-3.1"))
        assert not http.is_closed
        assert "Authorization" not in http.headers
