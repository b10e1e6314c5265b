"""What a gateway failure tells the user: the kind picks the text, the reason fills it in."""

from __future__ import annotations

import pytest

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
from bot.jobs.outcomes import Failure, failure_from_gateway

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
