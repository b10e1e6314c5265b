"""Result downloads: size caps, truncation, retries, and no key sent to the result host."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.gateway.client import VideoGateway
from bot.gateway.errors import DownloadError, RateLimitError
from bot.gateway.events import VideoReady
from bot.gateway.request import VideoRequest
from tests.fakes.gateway import FakeGateway, ManualClock
from tests.gateway.conftest import API_KEY


async def result_url(client: VideoGateway, prompt: str) -> str:
    events = [event async for event in client.stream_video(VideoRequest(prompt=prompt, model="veo-3.1-fast"))]
    assert isinstance(events[-1], VideoReady), events
    return events[-1].url


async def test_download_streams_the_whole_file_without_the_key(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.video_bytes = 300_000
    url = await result_url(client, "padded")

    path = await client.download(url, tmp_path / "clip.mp4")

    assert path.stat().st_size == 300_000
    assert path.read_bytes()[4:8] == b"ftyp"
    (download,) = gateway.requests_to("/files/")
    assert download.authorization is None
    assert API_KEY not in str(download.headers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


async def test_oversized_file_is_refused_by_content_length(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    url = await result_url(client, "enormous #huge")

    with pytest.raises(DownloadError, match=r"600\.0 MB, over the 500\.0 MB limit"):
        await client.download(url, tmp_path / "clip.mp4")
    assert list(tmp_path.iterdir()) == []
    assert len(gateway.requests_to("/files/")) == 1  # a refusal is not retried


async def test_oversized_file_is_refused_while_streaming(gateway: FakeGateway, tmp_path: Path) -> None:
    gateway.video_bytes = 200_000
    async with VideoGateway(base_url=gateway.base_url, api_key=API_KEY, max_video_bytes=100_000) as client:
        url = await result_url(client, "no length #chunked")
        with pytest.raises(DownloadError, match=r"^the video is over the 0\.1 MB limit"):  # no length given
            await client.download(url, tmp_path / "clip.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_truncated_body_is_retried_then_reported(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    url = await result_url(client, "always cut #truncate")

    with pytest.raises(DownloadError, match="cut short"):
        await client.download(url, tmp_path / "clip.mp4")
    assert len(gateway.requests_to("/files/")) == 3
    assert list(tmp_path.iterdir()) == []


async def test_one_truncated_body_then_success(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    url = await result_url(client, "cut once")
    gateway.inject("truncate", path_prefix="/files/")

    path = await client.download(url, tmp_path / "clip.mp4")

    assert path.read_bytes()[4:8] == b"ftyp"
    assert len(gateway.requests_to("/files/")) == 2


@pytest.mark.parametrize("fault", ["429", "502", "drop"])
async def test_download_retries_transient_failures(
    client: VideoGateway, gateway: FakeGateway, clock: ManualClock, tmp_path: Path, fault: str
) -> None:
    url = await result_url(client, f"flaky {fault}")
    gateway.inject(fault, path_prefix="/files/")

    path = await client.download(url, tmp_path / "clip.mp4")

    assert path.exists()
    assert len(gateway.requests_to("/files/")) == 2
    assert clock.sleeps == [1.0 if fault == "429" else 0.5]


async def test_download_rate_limit_exhausting_retries(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    url = await result_url(client, "limited")
    gateway.inject("429", count=3, path_prefix="/files/")

    with pytest.raises(RateLimitError):
        await client.download(url, tmp_path / "clip.mp4")


async def test_expired_link_is_a_download_error(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        await client.download(f"{gateway.cdn_url}/files/expired.mp4", tmp_path / "clip.mp4")
    assert len(gateway.requests_to("/files/")) == 1


async def test_unusable_link_is_refused(client: VideoGateway, tmp_path: Path) -> None:
    with pytest.raises(DownloadError):
        await client.download("file:///etc/passwd", tmp_path / "clip.mp4")


async def test_existing_destination_is_replaced_only_when_complete(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    dest = tmp_path / "clip.mp4"
    dest.write_bytes(b"old")
    url = await result_url(client, "broken #truncate")

    with pytest.raises(DownloadError):
        await client.download(url, dest)
    assert dest.read_bytes() == b"old"
