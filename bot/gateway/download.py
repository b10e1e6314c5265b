"""Stream a response body to a file: size cap, Content-Length check, never a half-written file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bot.gateway.errors import APIConnectionError, APITimeoutError, DownloadError

_WRITE_BATCH = 256 * 1024


class TruncatedDownloadError(DownloadError):
    """The body ended before its Content-Length (or was empty); another try may succeed."""


def declared_length(response: httpx.Response) -> int | None:
    """The Content-Length of an unencoded body, or None when it is absent, unreadable or encoded."""
    if response.headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return None
    try:
        value = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


async def save_response(response: httpx.Response, dest: Path, *, max_bytes: int) -> Path:
    """Write a streamed 2xx response to dest (through dest.with_suffix('.part')) and return dest.

    Refuses a body larger than max_bytes by its Content-Length before reading it, and stops reading
    as soon as the streamed size passes max_bytes. The partial file is removed on any failure.
    """
    expected = declared_length(response)
    if expected is not None and expected > max_bytes:
        raise DownloadError(f"the video is {_megabytes(expected)}, over the {_megabytes(max_bytes)} limit")
    part = dest.with_suffix(".part")
    await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
    handle = await asyncio.to_thread(part.open, "wb")
    try:
        received = 0
        batch = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadError(f"the video is over the {_megabytes(max_bytes)} limit")
                batch += chunk
                if len(batch) >= _WRITE_BATCH:
                    await asyncio.to_thread(handle.write, bytes(batch))
                    batch.clear()
        except httpx.RemoteProtocolError as err:
            raise TruncatedDownloadError(
                f"the download was cut short after {received} of {expected or '?'} bytes"
            ) from err
        except httpx.TimeoutException as err:
            raise APITimeoutError("the download stalled") from err
        except httpx.HTTPError as err:
            raise APIConnectionError(f"the download failed ({type(err).__name__})") from err
        if batch:
            await asyncio.to_thread(handle.write, bytes(batch))
        await asyncio.to_thread(handle.close)
        if expected is not None and received != expected:
            raise TruncatedDownloadError(f"the download was cut short: {received} of {expected} bytes")
        if received == 0:
            raise TruncatedDownloadError("the video file was empty")
        await asyncio.to_thread(part.replace, dest)
        return dest
    except BaseException:
        handle.close()
        part.unlink(missing_ok=True)
        raise
