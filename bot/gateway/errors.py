"""One exception tree for everything the gateway (or our checks before calling it) can refuse.

Messages never contain the API key. `billed` says whether the operator was charged: the gateway
documents that failures of every kind are free, so it is False throughout; it exists so callers
never have to assume.
"""

from __future__ import annotations

import re

_POLICY_CODE = re.compile(r"PUBLIC_[A-Z0-9_]+")


class GatewayError(Exception):
    """Base of every gateway failure."""

    billed: bool = False
    #: A short stable code the bot maps to a user-facing message.
    kind: str = "gateway_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequestError(GatewayError):
    """The request breaks a documented rule; caught before anything is sent upstream."""

    kind = "invalid_request"

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        #: Machine-readable reason, e.g. "images_required", "duration_not_allowed".
        self.code = code
        self.details = details


class APIStatusError(GatewayError):
    """The gateway answered with an HTTP error status."""

    def __init__(self, message: str, *, status_code: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class BadRequestError(APIStatusError):
    """HTTP 400: invalid parameters (unknown model, missing image, wrong types)."""

    kind = "bad_request"


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key was refused. An operator problem, never the user's."""

    kind = "authentication"


class ContentPolicyError(APIStatusError):
    """HTTP 403 or a `PUBLIC_*` failure reason: Google's safety filter refused the prompt or image."""

    kind = "content_policy"

    def __init__(self, message: str, *, status_code: int = 403, code: str | None = None) -> None:
        super().__init__(message, status_code=status_code, code=code)
        #: The upstream reason, e.g. PUBLIC_ERROR_AUDIO_FILTERED, kept for the user and the logs.
        self.reason = code or message


class RateLimitError(APIStatusError):
    """HTTP 429: rate limit, quota or insufficient balance on the operator's account."""

    kind = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code)
        self.retry_after = retry_after


class VideoNotFoundError(APIStatusError):
    """HTTP 404 / `video_not_found`: the task ID is unknown or its result expired (24 h)."""

    kind = "not_found"


class ServerError(APIStatusError):
    """HTTP 5xx: the gateway or its upstream failed."""

    kind = "server_error"


class APIConnectionError(GatewayError):
    """The gateway could not be reached, or the connection broke mid-way."""

    kind = "connection"


class APITimeoutError(APIConnectionError):
    """A request, a stream or the whole generation took longer than allowed."""

    kind = "timeout"


class GenerationFailedError(GatewayError):
    """The task or stream finished without a video (upstream capacity, unknown reason)."""

    kind = "generation_failed"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class StreamLineTooLongError(GatewayError):
    """The stream sent a line longer than we accept: it is not a stream of events we can read."""

    def __init__(self, limit: int, *, completed: list[str] | None = None) -> None:
        super().__init__(f"the gateway sent a stream line longer than {limit} characters")
        self.limit = limit
        #: The payloads of the lines that ended before the long one (in the same chunk).
        self.completed = completed or []


class DownloadError(GatewayError):
    """The finished video could not be downloaded intact (too large, truncated, expired link)."""

    kind = "download_failed"


def policy_code(text: str | None) -> str | None:
    """The upstream content-policy code in `text` (e.g. PUBLIC_ERROR_AUDIO_FILTERED), or None."""
    match = _POLICY_CODE.search((text or "").upper())
    return match.group() if match else None
