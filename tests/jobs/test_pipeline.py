"""The pipeline's pure helpers: what a gateway failure tells the user, where a job's answers go,
which Telegram errors mean the chat is gone for good, and which kept downloads can be delivered."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError, TimedOut

from bot.gateway.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    DownloadError,
    GatewayError,
    GenerationFailedError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
    StreamLineTooLongError,
    VideoNotFoundError,
)
from bot.jobs.delivery import Destination
from bot.jobs.pipeline import (
    Failure,
    _chat_unreachable,
    _kept_videos,
    _undeliverable_kind,
    destination_of,
    failure_from_gateway,
)
from tests.jobs.support import stored_job

# -- failure_from_gateway: the kind picks the text (failure-<kind>), the reason fills it in -----------


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (
            ContentPolicyError("HTTP 403: refused", code="PUBLIC_ERROR_PROMINENT_PEOPLE"),
            Failure("content_policy", "PUBLIC_ERROR_PROMINENT_PEOPLE"),
        ),
        # Without an upstream code the (redacted, shortened) message is the reason.
        (ContentPolicyError("HTTP 403: blocked"), Failure("content_policy", "HTTP 403: blocked")),
        (
            GenerationFailedError("generation failed: no capacity", reason="no capacity"),
            Failure("generation_failed", "no capacity"),
        ),
        # No reason at all: the text's "none" variant ("could not be generated. Please try again.").
        (GenerationFailedError("generation failed: no reason given"), Failure("generation_failed", "")),
        (
            RateLimitError("HTTP 429: slow down", code="quota_exceeded"),
            Failure("rate_limited", "quota_exceeded"),
        ),
        (ServerError("HTTP 502: bad gateway", status_code=502), Failure("server_error", "")),
        (
            VideoNotFoundError("HTTP 404", status_code=404, code="video_not_found"),
            Failure("not_found", "video_not_found"),
        ),
        (APIConnectionError("stream broke off"), Failure("connection", "")),
        (APITimeoutError("generation timed out"), Failure("timeout", "")),
        (DownloadError("truncated"), Failure("download_failed", "")),
        (StreamLineTooLongError(1024), Failure("gateway_error", "")),
        # Trying again cannot help: the request itself, or the operator's account, is the problem.
        (
            AuthenticationError("HTTP 401: bad key", status_code=401, code="invalid_api_key"),
            Failure("authentication", "invalid_api_key", retryable=False),
        ),
        (
            BadRequestError("HTTP 400: bad image", status_code=400, code="invalid_image"),
            Failure("bad_request", "invalid_image", retryable=False),
        ),
        (
            InvalidRequestError("images_required", "send a photo"),
            Failure("invalid_request", "images_required", retryable=False),
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, GatewayError) else "",
)
def test_a_gateway_failure_becomes_its_kind_and_reason(error: GatewayError, failure: Failure) -> None:
    assert failure_from_gateway(error) == failure


# -- destination_of ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chat_type", "chat_is_group"), [("private", False), ("group", True), ("supergroup", True)]
)
def test_answers_go_to_the_job_chat_topic_and_message(chat_type: str, chat_is_group: bool) -> None:
    job = stored_job(chat_id=-100123, chat_type=chat_type, thread_id=55, user_message_id=9)
    destination = destination_of(job)
    assert destination == Destination(-100123, 55, 9, chat_is_group)
    parameters = destination.reply_parameters
    assert parameters is not None
    assert parameters.message_id == 9
    assert parameters.allow_sending_without_reply  # the request may have been deleted meanwhile


# -- _chat_unreachable: Telegram's own wording (PTB drops the "Bad Request: " prefix) ---------------


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), True),
        (Forbidden("Forbidden: bot was kicked from the group chat"), True),
        (Forbidden("Forbidden: user is deactivated"), True),
        (Forbidden("Forbidden: bot is not a member of the channel chat"), True),  # any Forbidden
        (BadRequest("Bad Request: chat not found"), True),
        (BadRequest("Bad Request: message is not modified"), False),
        (BadRequest("Bad Request: message to edit not found"), False),
        (NetworkError("chat not found"), False),  # no answer from Telegram proves nothing
        (TimedOut(), False),
    ],
)
def test_only_refusals_that_last_mean_the_chat_cannot_be_told(
    error: TelegramError, unreachable: bool
) -> None:
    assert _chat_unreachable(error) is unreachable


@pytest.mark.parametrize(
    ("kind", "text_kind"),
    [("no_rights", "no_rights"), ("bot_blocked", "undeliverable"), ("chat_not_found", "undeliverable")],
)
def test_missing_rights_keep_their_own_advice(kind: str, text_kind: str) -> None:
    assert _undeliverable_kind(kind) == text_kind


# -- _kept_videos -----------------------------------------------------------------------------------


def test_only_whole_downloads_are_kept_for_delivery(tmp_path: Path) -> None:
    assert _kept_videos(tmp_path / "job-never-started") == []
    for name in ("video-2.mp4", "video-1.mp4", "video-1-fit.mp4", "video-3.part", "frame.jpg"):
        (tmp_path / name).write_bytes(b"\0")
    assert _kept_videos(tmp_path) == [tmp_path / "video-1.mp4", tmp_path / "video-2.mp4"]
