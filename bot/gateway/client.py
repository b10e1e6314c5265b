"""The APIYI VEO 3.1 gateway client: sync streams, async tasks, result downloads."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random as _random
import re
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
from pydantic import SecretStr, ValidationError

from bot.gateway.catalog import ASPECT_RATIOS, OFFICIAL_SIZES, Channel, ModelSpec, get_model
from bot.gateway.catalog import UnknownModelError as _UnknownModel
from bot.gateway.download import TruncatedDownloadError, save_response
from bot.gateway.errors import (
    APIConnectionError,
    APIStatusError,
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
    policy_code,
)
from bot.gateway.events import StreamEvent, TaskStatus
from bot.gateway.request import VideoRequest, validate_request
from bot.gateway.retry import RetryPolicy, parse_retry_after, retryable_read, retryable_submit, with_retries
from bot.gateway.sse import StreamParser

logger = logging.getLogger(__name__)

#: /content may answer 400 for a few seconds right after `completed`: the docs retry every 4 s, 5 tries.
CONTENT_ATTEMPTS = 5
CONTENT_RETRY_DELAY = 4.0
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_JSON_BODY_BYTES = 1024 * 1024
MAX_MESSAGE_CHARS = 300
PROMPT_PREVIEW_CHARS = 40

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


@dataclass(frozen=True)
class GatewayTimeouts:
    """Seconds allowed for each kind of wait; `total` caps a whole generation."""

    connect: float = 10.0
    submit: float = 30.0
    poll: float = 30.0
    stream_idle: float = 120.0
    total: float = 600.0
    download: float = 180.0


def redact(text: str, secret: str = "") -> str:
    """Remove the API key (and anything shaped like a key or a bearer token) from text."""
    if secret:
        text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("***", text)
    return text


def _shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _preview(prompt: str) -> str:
    """The first few words of a prompt, enough to recognise a job in the logs."""
    return _shorten(prompt, PROMPT_PREVIEW_CHARS)


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
    message = _shorten(redact(message or (code or "no details"), secret))
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
    detail = _shorten(redact(str(err), secret), 120)
    return APIConnectionError(f"{what} failed: {type(err).__name__}" + (f" ({detail})" if detail else ""))


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """Read at most `limit` bytes of a streamed body (error bodies can be huge HTML pages)."""
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= limit:
                break
    except httpx.HTTPError:
        pass  # A body that breaks off still tells us the status; keep what arrived.
    return bytes(body[:limit])


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "").lower()


class VideoGateway:
    """Talks to the APIYI gateway; one instance (and one connection pool) for the whole bot."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | str,
        timeouts: GatewayTimeouts = GatewayTimeouts(),
        poll_interval: float = 5.0,
        max_video_bytes: int = 500 * 1024 * 1024,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_retries: int = 2,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._timeouts = timeouts
        self._poll_interval = poll_interval
        self._max_video_bytes = max_video_bytes
        self._sleep = sleep
        self._clock = clock
        self._random = random
        #: Failed upstream attempts since start, by error kind (retried ones included), for the metrics.
        self.error_counts: Counter[str] = Counter()
        self._policy = RetryPolicy(max_retries=max_retries)
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeouts.submit, connect=timeouts.connect),
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        )

    def __repr__(self) -> str:
        return f"VideoGateway(base_url={self._base_url!r})"

    def _count_error(self, error: GatewayError) -> None:
        self.error_counts[error.kind] += 1

    async def aclose(self) -> None:
        """Close the connection pool (only when this gateway created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> VideoGateway:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ----------------------------------------------------------------- sync (Reverse) streams

    def stream_video(self, request: VideoRequest) -> AsyncIterator[StreamEvent]:
        """Generate through the streaming chat endpoint; yields Progress and VideoReady events.

        A stream that ends without a video raises from inside the iterator: ContentPolicyError,
        GenerationFailedError, APIConnectionError (broken off), APITimeoutError or StreamLineTooLongError.
        Fewer videos than `n` is a partial delivery and ends normally. The request is validated here,
        before anything is sent. The stream is retried only when the gateway refused it outright (429,
        5xx); once it is open it is never repeated.
        """
        spec = validate_request(request, mode="sync")
        if spec.channel is not Channel.REVERSE:
            raise InvalidRequestError(
                "sync_not_supported", f"{spec.id} only works in async mode (no streaming).", model=spec.id
            )
        return self._stream(request, spec)

    async def _stream(self, request: VideoRequest, spec: ModelSpec) -> AsyncIterator[StreamEvent]:
        deadline = self._clock() + self._timeouts.total
        body = {
            "model": spec.id,
            "messages": [{"role": "user", "content": _chat_content(request)}],
            "stream": True,
            "n": request.n,
        }
        response = await with_retries(
            lambda: self._open_stream(body),
            retryable=retryable_submit,
            policy=self._policy,
            sleep=self._sleep,
            random=self._random,
            on_error=self._count_error,
            what="stream submit",
        )
        logger.info("stream started: model=%s n=%d prompt=%r", spec.id, request.n, _preview(request.prompt))
        parser = StreamParser(expected=request.n)
        try:
            async with aclosing(self._stream_events(response, parser, deadline)) as events:
                async for event in events:
                    yield event
            if parser.failure is not None:
                logger.info("stream failed: model=%s reason=%s", spec.id, _shorten(str(parser.failure), 80))
                if isinstance(parser.failure, StreamLineTooLongError):
                    self._count_error(parser.failure)
                raise parser.failure
        finally:
            await response.aclose()
        logger.info("stream completed: model=%s videos=%d/%d", spec.id, len(parser.urls), request.n)

    async def _open_stream(self, body: dict[str, Any]) -> httpx.Response:
        timeout = httpx.Timeout(
            connect=self._timeouts.connect,
            read=self._timeouts.stream_idle,
            write=self._timeouts.submit,
            pool=self._timeouts.submit,
        )
        request = self._http.build_request(
            "POST",
            f"{self._base_url}/chat/completions",
            json=body,
            headers={**self._auth_headers(), "Accept": "text/event-stream"},
            timeout=timeout,
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as err:
            raise transport_error(err, "stream submit", secret=self._secret) from err
        if response.status_code >= 400:
            try:
                error_body = await _read_capped(response, MAX_ERROR_BODY_BYTES)
            finally:
                await response.aclose()
            raise self._error(response, error_body)
        return response

    async def _stream_events(
        self, response: httpx.Response, parser: StreamParser, deadline: float
    ) -> AsyncGenerator[StreamEvent, None]:
        if _is_json(response):
            # A gateway that ignores stream=true answers with one chat completion (or an error object).
            payload = await _read_capped(response, MAX_JSON_BODY_BYTES)
            self._raise_error_document(response, payload)
            for event in [*parser.feed_payload(payload.decode("utf-8", "replace")), *parser.finish()]:
                yield event
            return
        chunks = response.aiter_bytes()
        while not parser.finished:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise APITimeoutError(f"the video took longer than {self._timeouts.total:.0f} s")
            try:
                async with asyncio.timeout(min(self._timeouts.stream_idle, remaining)):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                events = parser.finish()
            except (TimeoutError, httpx.TimeoutException) as err:
                if self._clock() >= deadline:
                    raise APITimeoutError(f"the video took longer than {self._timeouts.total:.0f} s") from err
                raise APITimeoutError(
                    f"the gateway sent nothing for {self._timeouts.stream_idle:.0f} s"
                ) from err
            except httpx.HTTPError as err:
                logger.warning("stream broke off: %s", type(err).__name__)
                self.error_counts["connection"] += 1
                broken = APIConnectionError("the connection to the gateway broke mid-stream")
                events = parser.finish(cause=broken)
            else:
                events = parser.feed(chunk)
            for event in events:
                yield event

    # ----------------------------------------------------------------- async tasks

    async def create_task(self, request: VideoRequest) -> TaskStatus:
        """Submit an async task (JSON, or multipart when images go with it) and return its first status."""
        spec = validate_request(request, mode="async")
        url = f"{self._base_url}/videos"
        body = (
            _official_body(request, spec)
            if spec.channel is Channel.OFFICIAL
            else _reverse_body(request, spec)
        )
        timeout = httpx.Timeout(self._timeouts.submit, connect=self._timeouts.connect)
        document = await with_retries(
            lambda: self._request_json("POST", url, limits=timeout, what="task submit", **body),
            retryable=retryable_submit,
            policy=self._policy,
            sleep=self._sleep,
            random=self._random,
            on_error=self._count_error,
            what="task submit",
        )
        status = _task_status(document, fallback_id=None)
        logger.info(
            "task submitted: task_id=%s model=%s prompt=%r", status.task_id, spec.id, _preview(request.prompt)
        )
        return status

    async def get_task(self, task_id: str) -> TaskStatus:
        """One poll of a task's status (retried on 5xx, 429 and connection errors)."""
        url = f"{self._base_url}/videos/{quote(task_id, safe='')}"
        timeout = httpx.Timeout(self._timeouts.poll, connect=self._timeouts.connect)
        document = await with_retries(
            lambda: self._request_json("GET", url, limits=timeout, what="task poll"),
            retryable=retryable_read,
            policy=self._policy,
            sleep=self._sleep,
            random=self._random,
            on_error=self._count_error,
            what="task poll",
        )
        status = _task_status(document, fallback_id=task_id)
        logger.debug("task polled: task_id=%s status=%s progress=%s", task_id, status.status, status.progress)
        return status

    async def wait_for_task(
        self,
        task_id: str,
        *,
        on_status: Callable[[TaskStatus], Awaitable[None]] | None = None,
        started_at: float | None = None,
    ) -> TaskStatus:
        """Poll until the task completes (returned) or fails (raised), or the total time cap passes.

        `started_at` (a value of the injected clock) lets a resumed job keep its original deadline.
        Transient poll failures are logged and polled through until the deadline.
        """
        deadline = (self._clock() if started_at is None else started_at) + self._timeouts.total
        last_error: GatewayError | None = None
        while True:
            try:
                status = await self.get_task(task_id)
            except (ServerError, RateLimitError, APIConnectionError) as err:
                logger.warning("polling task %s failed (%s); still waiting", task_id, err.kind)
                last_error = err
            else:
                last_error = None
                if on_status is not None:
                    await on_status(status)
                if status.status == "completed":
                    logger.info("task completed: task_id=%s model=%s", task_id, status.model)
                    return status
                if status.status == "failed":
                    raise _task_failure(status)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise APITimeoutError(
                    f"task {task_id} did not finish within {self._timeouts.total:.0f} s"
                ) from last_error
            await self._sleep(min(self._poll_interval, remaining))

    async def download_result(self, task_id: str, *, model: str, dest: Path) -> Path:
        """Fetch a completed task's video to dest.

        Reverse answers /content with JSON holding a URL (downloaded without our key); Official streams
        the MP4 itself. Either way a 400 right after completion means "not ready yet": retried every 4 s.
        """
        try:
            spec = get_model(model)
        except _UnknownModel:
            raise InvalidRequestError("unknown_model", f"There is no model called {model!r}.") from None
        url = f"{self._base_url}/videos/{quote(task_id, safe='')}/content"
        attempt = 1
        while True:
            try:
                result = await with_retries(
                    lambda: self._fetch_content(url, dest),
                    retryable=_retryable_download,
                    policy=self._policy,
                    sleep=self._sleep,
                    random=self._random,
                    on_error=self._count_error,
                    what="content download",
                )
                break
            except BadRequestError as err:
                if attempt >= CONTENT_ATTEMPTS:
                    raise
                logger.info("content of task %s not ready (%s); retry %d", task_id, err.status_code, attempt)
                attempt += 1
                await self._sleep(CONTENT_RETRY_DELAY)
        if isinstance(result, str):
            result = await self.download(result, dest)
        logger.info("result downloaded: task_id=%s model=%s", task_id, spec.id)
        return result

    async def _fetch_content(self, url: str, dest: Path) -> Path | str:
        """One GET of /content: the saved file, or the result URL when the gateway answers with JSON."""
        request = self._http.build_request(
            "GET",
            url,
            headers={**self._auth_headers(), "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(self._timeouts.download, connect=self._timeouts.connect),
        )
        try:
            response = await self._http.send(request, stream=True, follow_redirects=True)
        except httpx.HTTPError as err:
            raise transport_error(err, "content download", secret=self._secret) from err
        try:
            if response.status_code >= 400:
                raise self._error(response, await _read_capped(response, MAX_ERROR_BODY_BYTES))
            if not _is_json(response):
                return await save_response(response, dest, max_bytes=self._max_video_bytes)
            payload = await _read_capped(response, MAX_JSON_BODY_BYTES)
        finally:
            await response.aclose()
        self._raise_error_document(response, payload)
        try:
            document = json.loads(payload)
        except ValueError:
            raise GatewayError("the gateway's answer to /content could not be read") from None
        result_url = document.get("url") if isinstance(document, dict) else None
        if not isinstance(result_url, str) or not result_url:
            nested = document.get("data") if isinstance(document, dict) else None
            result_url = nested.get("url") if isinstance(nested, dict) else None
        if not isinstance(result_url, str) or not result_url:
            raise BadRequestError(
                "HTTP 200: the video is not ready yet",
                status_code=response.status_code,
                code="video_not_ready",
            )
        return urljoin(str(response.url), result_url)

    async def download(self, url: str, dest: Path) -> Path:
        """Download a result URL to dest, without our key; retried on 5xx, 429 and broken connections."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DownloadError("the gateway gave an unusable video link")

        async def attempt() -> Path:
            request = self._http.build_request(
                "GET",
                url,
                headers={"Accept-Encoding": "identity"},
                timeout=httpx.Timeout(self._timeouts.download, connect=self._timeouts.connect),
            )
            try:
                response = await self._http.send(request, stream=True, follow_redirects=True)
            except httpx.HTTPError as err:
                raise transport_error(err, "video download") from err
            try:
                if response.status_code >= 400:
                    error = self._error(response, await _read_capped(response, MAX_ERROR_BODY_BYTES))
                    if isinstance(error, ServerError | RateLimitError):
                        raise error
                    raise DownloadError(f"the video link answered HTTP {response.status_code}") from error
                return await save_response(response, dest, max_bytes=self._max_video_bytes)
            finally:
                await response.aclose()

        path = await with_retries(
            attempt,
            retryable=_retryable_download,
            policy=self._policy,
            sleep=self._sleep,
            random=self._random,
            on_error=self._count_error,
            what="video download",
        )
        logger.debug("downloaded %d bytes from %s", path.stat().st_size, parts.hostname)
        return path

    # ----------------------------------------------------------------- plumbing

    @property
    def _secret(self) -> str:
        return self._key.get_secret_value()

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._secret}"}

    def _error(self, response: httpx.Response, body: bytes) -> GatewayError:
        return error_from_response(response.status_code, response.headers, body, secret=self._secret)

    def _raise_error_document(self, response: httpx.Response, payload: bytes) -> None:
        """A 2xx answer that is only an {"error": ...} object is an error all the same."""
        try:
            document = json.loads(payload)
        except ValueError:
            return
        if (
            isinstance(document, dict)
            and document.get("error")
            and not any(key in document for key in ("status", "choices", "url", "id", "task_id"))
        ):
            raise self._error(response, payload)

    async def _request_json(
        self, method: str, url: str, *, limits: httpx.Timeout, what: str, **kwargs: Any
    ) -> Any:
        try:
            response = await self._http.request(
                method, url, headers=self._auth_headers(), timeout=limits, **kwargs
            )
        except httpx.HTTPError as err:
            raise transport_error(err, what, secret=self._secret) from err
        if response.status_code >= 400:
            raise self._error(response, response.content[:MAX_ERROR_BODY_BYTES])
        self._raise_error_document(response, response.content)
        try:
            return response.json()
        except ValueError:
            raise GatewayError(f"the gateway's answer to the {what} could not be read") from None


def _retryable_download(error: BaseException) -> bool:
    return retryable_read(error) or isinstance(error, TruncatedDownloadError)


def _task_status(document: Any, *, fallback_id: str | None) -> TaskStatus:
    if not isinstance(document, dict):
        raise GatewayError("the gateway sent a task status that is not an object")
    if fallback_id and not any(document.get(key) for key in ("task_id", "id")):
        document = {**document, "task_id": fallback_id}
    try:
        return TaskStatus.model_validate(document)
    except ValidationError:
        raise GatewayError("the gateway sent a task status that could not be read") from None


def _task_failure(status: TaskStatus) -> GatewayError:
    reason = status.fail_reason
    code = policy_code(reason)
    if code is not None:
        logger.info("task failed (content policy): task_id=%s reason=%s", status.task_id, code)
        return ContentPolicyError(f"content policy: {code}", status_code=200, code=code)
    logger.info("task failed: task_id=%s reason=%s", status.task_id, _shorten(reason or "none", 80))
    return GenerationFailedError(
        f"generation failed: {_shorten(reason) if reason else 'no reason given'}", reason=reason
    )


def _data_url(data: bytes, mime_type: str) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def _chat_content(request: VideoRequest) -> str | list[dict[str, Any]]:
    """Text alone, or a text part plus image_url parts (first = start frame, second = end frame)."""
    prompt = request.prompt.strip()
    if not request.images:
        return prompt
    parts: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    for image in request.images:
        parts.append({"type": "image_url", "image_url": {"url": _data_url(image.data, image.mime_type)}})
    return parts


def _reverse_body(request: VideoRequest, spec: ModelSpec) -> dict[str, Any]:
    fields = {"prompt": request.prompt.strip(), "model": spec.id}
    if not request.images:
        return {"json": fields}
    files = [("input_reference", (image.filename, image.data, image.mime_type)) for image in request.images]
    return {"data": fields, "files": files}


def _official_body(request: VideoRequest, spec: ModelSpec) -> dict[str, Any]:
    """JSON with `duration` + `metadata.*`, or multipart with `seconds` + flat fields; never generateAudio."""
    resolution = request.resolution or "720p"
    aspect_ratio = request.aspect_ratio or "16:9"
    orientation = next(key for key, value in ASPECT_RATIOS.items() if value == aspect_ratio)
    size = OFFICIAL_SIZES[(resolution, orientation)]
    seconds = str(request.clip_seconds)  # a string: the gateway rejects a number
    prompt = request.prompt.strip()
    if request.images:
        image = request.images[0]
        form = {
            "model": spec.id,
            "prompt": prompt,
            "seconds": seconds,
            "size": size,
            "resolution": resolution,
            "aspectRatio": aspect_ratio,
        }
        if request.seed is not None:
            form["seed"] = str(request.seed)
        if request.negative_prompt:
            form["negativePrompt"] = request.negative_prompt
        return {"data": form, "files": [("input_reference", (image.filename, image.data, image.mime_type))]}
    metadata: dict[str, Any] = {"resolution": resolution, "aspectRatio": aspect_ratio}
    if request.seed is not None:
        metadata["seed"] = request.seed
    if request.negative_prompt:
        metadata["negativePrompt"] = request.negative_prompt
    return {
        "json": {"model": spec.id, "prompt": prompt, "duration": seconds, "size": size, "metadata": metadata}
    }
