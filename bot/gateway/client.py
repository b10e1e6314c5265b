"""The APIYI VEO 3.1 gateway client: sync streams, async tasks, result downloads."""

from __future__ import annotations

import asyncio
import json
import logging
import random as _random
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx
from pydantic import SecretStr, ValidationError

from bot.constants import CONTENT_ATTEMPTS, CONTENT_RETRY_DELAY, MAX_ERROR_BODY_BYTES, MAX_JSON_BODY_BYTES
from bot.gateway.catalog import Channel, ModelSpec, get_model
from bot.gateway.catalog import UnknownModelError as _UnknownModel
from bot.gateway.download import TruncatedDownloadError, save_response
from bot.gateway.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    DownloadError,
    GatewayError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
    StreamLineTooLongError,
    error_from_response,
    error_from_task,
    shorten,
    transport_error,
)
from bot.gateway.events import StreamEvent, TaskStatus
from bot.gateway.request import VideoRequest, chat_body, task_body, validate_request
from bot.gateway.retry import RetryPolicy, retryable_read, retryable_submit, with_retries
from bot.gateway.sse import StreamParser

logger = logging.getLogger(__name__)

PROMPT_PREVIEW_CHARS = 40

T = TypeVar("T")


@dataclass(frozen=True)
class GatewayTimeouts:
    """Seconds allowed for each kind of wait; `total` caps a whole generation."""

    connect: float = 10.0
    submit: float = 30.0
    poll: float = 30.0
    stream_idle: float = 120.0
    total: float = 600.0
    download: float = 180.0


def _preview(prompt: str) -> str:
    """The first few words of a prompt, enough to recognise a job in the logs."""
    return shorten(prompt, PROMPT_PREVIEW_CHARS)


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
        timeout = httpx.Timeout(
            connect=self._timeouts.connect,
            read=self._timeouts.stream_idle,
            write=self._timeouts.submit,
            pool=self._timeouts.submit,
        )
        response = await self._retrying(
            lambda: self._open(
                "POST",
                f"{self._base_url}/chat/completions",
                what="stream submit",
                limits=timeout,
                headers={**self._auth_headers(), "Accept": "text/event-stream"},
                json=chat_body(request, spec),
            ),
            retryable=retryable_submit,
            what="stream submit",
        )
        logger.info("stream started: model=%s n=%d prompt=%r", spec.id, request.n, _preview(request.prompt))
        parser = StreamParser(expected=request.n)
        try:
            async with aclosing(self._stream_events(response, parser, deadline)) as events:
                async for event in events:
                    yield event
            if parser.failure is not None:
                logger.info("stream failed: model=%s reason=%s", spec.id, shorten(str(parser.failure), 80))
                if isinstance(parser.failure, StreamLineTooLongError):
                    self._count_error(parser.failure)
                raise parser.failure
        finally:
            await response.aclose()
        logger.info("stream completed: model=%s videos=%d/%d", spec.id, len(parser.urls), request.n)

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
        body = task_body(request, spec)
        timeout = httpx.Timeout(self._timeouts.submit, connect=self._timeouts.connect)
        document = await self._retrying(
            lambda: self._request_json("POST", url, limits=timeout, what="task submit", **body),
            retryable=retryable_submit,
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
        document = await self._retrying(
            lambda: self._request_json("GET", url, limits=timeout, what="task poll"),
            retryable=retryable_read,
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
                    error = error_from_task(status)
                    logger.info("task failed: task_id=%s %s", task_id, shorten(str(error), 80))
                    raise error
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
                result = await self._retrying(
                    lambda: self._fetch_content(url, dest),
                    retryable=_retryable_download,
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
        response = await self._open(
            "GET",
            url,
            what="content download",
            limits=self._download_timeout,
            headers={**self._auth_headers(), "Accept-Encoding": "identity"},
            follow_redirects=True,
        )
        try:
            if not _is_json(response):
                return await save_response(response, dest, max_bytes=self._max_video_bytes)
            document = await self._read_json(response, "content download")
        finally:
            await response.aclose()
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
            try:
                response = await self._open(
                    "GET",
                    url,
                    what="video download",
                    limits=self._download_timeout,
                    headers={"Accept-Encoding": "identity"},
                    follow_redirects=True,
                )
            except APIStatusError as error:
                if isinstance(error, ServerError | RateLimitError):
                    raise
                raise DownloadError(f"the video link answered HTTP {error.status_code}") from error
            try:
                return await save_response(response, dest, max_bytes=self._max_video_bytes)
            finally:
                await response.aclose()

        path = await self._retrying(attempt, retryable=_retryable_download, what="video download")
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

    @property
    def _download_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self._timeouts.download, connect=self._timeouts.connect)

    async def _retrying(
        self, operation: Callable[[], Awaitable[T]], *, retryable: Callable[[BaseException], bool], what: str
    ) -> T:
        """Run `operation` under this gateway's retry policy, counting every failed attempt."""
        return await with_retries(
            operation,
            retryable=retryable,
            policy=self._policy,
            sleep=self._sleep,
            random=self._random,
            on_error=self._count_error,
            what=what,
        )

    async def _open(
        self,
        method: str,
        url: str,
        *,
        what: str,
        limits: httpx.Timeout,
        headers: dict[str, str],
        follow_redirects: bool = False,
        **content: Any,
    ) -> httpx.Response:
        """Send one request and return its streamed 2xx response (the caller closes it).

        A transport failure or an error status raises its mapped GatewayError; an error body is read
        only up to MAX_ERROR_BODY_BYTES and the response is closed.
        """
        request = self._http.build_request(method, url, headers=headers, timeout=limits, **content)
        try:
            response = await self._http.send(request, stream=True, follow_redirects=follow_redirects)
        except httpx.HTTPError as err:
            raise transport_error(err, what, secret=self._secret) from err
        if response.status_code >= 400:
            try:
                body = await _read_capped(response, MAX_ERROR_BODY_BYTES)
            finally:
                await response.aclose()
            raise self._error(response, body)
        return response

    async def _request_json(
        self, method: str, url: str, *, limits: httpx.Timeout, what: str, **content: Any
    ) -> Any:
        response = await self._open(
            method, url, what=what, limits=limits, headers=self._auth_headers(), **content
        )
        try:
            return await self._read_json(response, what)
        finally:
            await response.aclose()

    async def _read_json(self, response: httpx.Response, what: str) -> Any:
        """Read a JSON answer (capped); one that is only an {"error": ...} object raises that error."""
        payload = await _read_capped(response, MAX_JSON_BODY_BYTES)
        self._raise_error_document(response, payload)
        try:
            return json.loads(payload)
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
