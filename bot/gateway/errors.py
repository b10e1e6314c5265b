"""One exception tree for everything the gateway (or our checks before calling it) can refuse,
and the functions that map an answer to it.

    GatewayError                      (kind "gateway_error")
    ├── InvalidRequestError           caught before anything is sent
    ├── APIStatusError                an HTTP error status (or an error document)
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── ContentPolicyError        403, or a PUBLIC_* reason in a stream, task or body
    │   ├── VideoNotFoundError        404 / video_not_found
    │   ├── RateLimitError            429 (carries retry_after)
    │   └── ServerError               5xx
    ├── APIConnectionError            no usable answer; a stream that broke off
    │   └── APITimeoutError
    ├── GenerationFailedError         the task or stream finished without a video
    ├── StreamLineTooLongError        the stream sent a line over the decoder's cap
    └── DownloadError                 the finished video could not be fetched intact
        └── TruncatedDownloadError    (bot.gateway.download) worth another try

Messages never contain the API key. The gateway bills no failure of any kind.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from bot.gateway.events import TaskStatus

MAX_MESSAGE_CHARS = 300
_POLICY_CODE = re.compile(r"PUBLIC_[A-Z0-9_]+")
_STATUS_BY_CODE = {
    "invalid_api_key": 401,
    "video_not_found": 404,
    "quota_exceeded": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
}
_SECRET_PATTERNS = (
    re.compile(r"(?i)\bbearer\s+\S+"),
    re.compile(r"sk-[A-Za-z0-9_\-]{3,}"),
)


class GatewayError(Exception):
    """Base of every gateway failure."""

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


def redact(text: str, secret: str = "") -> str:
    """Remove the API key (and anything shaped like a key or a bearer token) from text."""
    if secret:
        text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("***", text)
    return text


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Whitespace folded, cut with an ellipsis at `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read a Retry-After header given in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, *, secret: str = ""
) -> GatewayError:
    """Map an error answer (any status, body like {"error": {"code", "message", "type"}}) to an exception.

    The message is safe to show an operator: the key is redacted and the body truncated.
    """
    code: str | None = None
    message = ""
    try:
        document: Any = json.loads(body) if body else None
    except ValueError:
        document = None
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict):
            code = str(error.get("code") or error.get("type") or "") or None
            message = str(error.get("message") or "")
        elif isinstance(error, str):
            message = error
        message = message or str(document.get("message") or document.get("fail_reason") or "")
        code = code or (str(document["code"]) if document.get("code") else None)
    if not message:
        message = body[: MAX_MESSAGE_CHARS * 2].decode("utf-8", "replace") if body else ""
    message = shorten(redact(message or (code or "no details"), secret))
    text = f"HTTP {status}: {message}"
    effective = status if status >= 400 else _STATUS_BY_CODE.get(code or "", 400)

    policy = policy_code(code) or policy_code(message)
    if policy is not None:
        return ContentPolicyError(text, status_code=status, code=policy)
    if effective == 401:
        return AuthenticationError(text, status_code=status, code=code)
    if effective == 403:
        return ContentPolicyError(text, status_code=status, code=code)
    if effective == 404 or code == "video_not_found":
        return VideoNotFoundError(text, status_code=status, code=code)
    if effective == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return RateLimitError(text, status_code=status, code=code, retry_after=retry_after)
    if effective >= 500:
        return ServerError(text, status_code=status, code=code)
    if effective == 400:
        return BadRequestError(text, status_code=status, code=code)
    return APIStatusError(text, status_code=status, code=code)


def transport_error(err: httpx.HTTPError, what: str, *, secret: str = "") -> APIConnectionError:
    """Map an httpx transport failure (no usable answer) to APIConnectionError / APITimeoutError."""
    if isinstance(err, httpx.TimeoutException):
        return APITimeoutError(f"{what} timed out ({type(err).__name__})")
    detail = shorten(redact(str(err), secret), 120)
    return APIConnectionError(f"{what} failed: {type(err).__name__}" + (f" ({detail})" if detail else ""))


def error_from_task(status: TaskStatus) -> GatewayError:
    """The exception for a task that reported `failed`: content policy when its reason says so."""
    reason = status.fail_reason
    code = policy_code(reason)
    if code is not None:
        return ContentPolicyError(f"content policy: {code}", status_code=200, code=code)
    return GenerationFailedError(
        f"generation failed: {shorten(reason) if reason else 'no reason given'}", reason=reason
    )
