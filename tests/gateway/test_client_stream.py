"""Sync (Reverse streaming) generation against the fake gateway over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from bot.gateway.catalog import MODELS, Channel
from bot.gateway.client import GatewayTimeouts, VideoGateway
from bot.gateway.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    GenerationFailedError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
    StreamLineTooLongError,
)
from bot.gateway.events import Progress, StreamEvent, VideoReady
from bot.gateway.request import VideoRequest
from tests.fakes.gateway import FAIL_REASON, POLICY_REASON, FakeGateway, ManualClock
from tests.gateway.conftest import API_KEY, jpeg


async def collect(client: VideoGateway, request: VideoRequest) -> list[StreamEvent]:
    return [event async for event in client.stream_video(request)]


async def collect_until_failure(
    client: VideoGateway, request: VideoRequest, error: type[Exception]
) -> tuple[list[StreamEvent], Exception]:
    """The events a failing stream yielded before it raised `error`, and the error."""
    events: list[StreamEvent] = []
    with pytest.raises(error) as caught:
        async for event in client.stream_video(request):
            events.append(event)
    return events, caught.value


def videos(events: list[StreamEvent]) -> list[VideoReady]:
    return [event for event in events if isinstance(event, VideoReady)]


async def test_text_stream_reports_progress_then_one_video(
    client: VideoGateway, gateway: FakeGateway
) -> None:
    events = await collect(client, VideoRequest(prompt="  A kitten on a skateboard  ", model="veo-3.1-fast"))

    progress = [event.percent for event in events if isinstance(event, Progress)]
    assert len(progress) >= 3
    assert progress == sorted(progress)
    assert events[-1] == VideoReady(url=events[-1].url, index=0)  # type: ignore[union-attr]
    assert events[-1].url.startswith(gateway.cdn_url + "/files/")  # type: ignore[union-attr]
    (sent,) = gateway.requests_to("/v1/chat/completions")
    assert sent.json == {
        "model": "veo-3.1-fast",
        "messages": [{"role": "user", "content": "A kitten on a skateboard"}],
        "stream": True,
        "n": 1,
    }
    assert sent.authorization == f"Bearer {API_KEY}"
    assert gateway.stats.completed == 1


@pytest.mark.parametrize("count", [1, 2])
async def test_frame_to_video_sends_images_as_data_urls_in_order(
    client: VideoGateway, gateway: FakeGateway, count: int
) -> None:
    images = (jpeg((10, 20, 30)), jpeg((200, 100, 50)))[:count]
    events = await collect(
        client, VideoRequest(prompt="it moves", model="veo-3.1-landscape-fast-fl", images=images)
    )

    assert len(videos(events)) == 1
    (sent,) = gateway.requests_to("/v1/chat/completions")
    content = sent.json["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "it moves"}
    assert [part["type"] for part in content[1:]] == ["image_url"] * count
    for part, image in zip(content[1:], images, strict=True):
        prefix, encoded = part["image_url"]["url"].split(",", 1)
        assert prefix == "data:image/jpeg;base64"
        assert base64.b64decode(encoded) == image.data
    assert [(f.content_type, f.size) for f in sent.files] == [("image/jpeg", len(i.data)) for i in images]


async def test_n_three_gives_three_indexed_videos(client: VideoGateway, gateway: FakeGateway) -> None:
    events = await collect(client, VideoRequest(prompt="three takes", model="veo-3.1", n=3))

    found = videos(events)
    assert [video.index for video in found] == [0, 1, 2]
    assert len({video.url for video in found}) == 3
    assert gateway.requests_to("/v1/chat/completions")[0].json["n"] == 3


REVERSE_MODELS = sorted(spec.id for spec in MODELS.values() if spec.channel is Channel.REVERSE)


async def test_every_reverse_model_streams(client: VideoGateway, gateway: FakeGateway) -> None:
    requests = [
        VideoRequest(prompt=f"clip {model}", model=model, images=(jpeg(),) if model.endswith("-fl") else ())
        for model in REVERSE_MODELS
    ]
    results = await asyncio.gather(*(collect(client, request) for request in requests))

    assert len(REVERSE_MODELS) == 8
    assert all(len(videos(events)) == 1 for events in results)
    assert sorted(r.json["model"] for r in gateway.requests_to("/v1/chat/completions")) == REVERSE_MODELS


@pytest.mark.parametrize("style", ["#reasoning", "#videotag", "#split", "#split #reasoning"])
async def test_stream_wording_variants(client: VideoGateway, style: str) -> None:
    events = await collect(client, VideoRequest(prompt=f"variant {style}", model="veo-3.1-fast", n=2))

    assert [video.index for video in videos(events)] == [0, 1]
    assert any(isinstance(event, Progress) for event in events)


async def test_official_models_are_refused_before_sending(client: VideoGateway, gateway: FakeGateway) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.stream_video(VideoRequest(prompt="x", model="veo-3.1-fast-generate-preview"))
    assert caught.value.code == "sync_not_supported"
    with pytest.raises(InvalidRequestError):
        client.stream_video(VideoRequest(prompt="x", model="veo-3.1-fl"))  # -fl without an image
    assert gateway.requests == []


async def test_policy_failure_in_stream(client: VideoGateway) -> None:
    request = VideoRequest(prompt="a famous actor #policy", model="veo-3.1-fast")
    events, error = await collect_until_failure(client, request, ContentPolicyError)

    assert isinstance(error, ContentPolicyError)
    assert (error.code, error.reason) == (POLICY_REASON, POLICY_REASON)
    assert any(isinstance(event, Progress) for event in events)
    assert videos(events) == []


async def test_generic_failure_in_stream(client: VideoGateway) -> None:
    request = VideoRequest(prompt="busy #fail", model="veo-3.1-fast")
    _, error = await collect_until_failure(client, request, GenerationFailedError)

    assert isinstance(error, GenerationFailedError)
    assert error.reason == f"Video generation failed: {FAIL_REASON}"


async def test_stream_cut_mid_way_is_a_failure_and_not_retried(
    client: VideoGateway, gateway: FakeGateway
) -> None:
    request = VideoRequest(prompt="cut #cut", model="veo-3.1-fast")
    events, error = await collect_until_failure(client, request, APIConnectionError)

    assert any(isinstance(event, Progress) for event in events)
    assert type(error) is APIConnectionError
    assert str(error) == "the connection to the gateway broke mid-stream"
    assert len(gateway.requests_to("/v1/chat/completions")) == 1
    assert client.error_counts["connection"] == 1


async def test_stream_ending_without_url(client: VideoGateway) -> None:
    request = VideoRequest(prompt="nothing #nourl", model="veo-3.1-fast")
    _, error = await collect_until_failure(client, request, GenerationFailedError)

    assert isinstance(error, GenerationFailedError)
    assert error.reason == "stream ended without a video"


async def test_a_runaway_line_fails_the_stream_and_closes_it(
    client: VideoGateway, gateway: FakeGateway
) -> None:
    with pytest.raises(StreamLineTooLongError):
        await collect(client, VideoRequest(prompt="runaway #longline", model="veo-3.1-fast"))

    assert len(gateway.requests_to("/v1/chat/completions")) == 1
    for _ in range(100):
        if gateway.stats.streams_open == 0:
            break
        await asyncio.sleep(0.02)
    assert gateway.stats.streams_open == 0
    assert client.error_counts["gateway_error"] == 1


async def test_idle_stream_times_out(gateway: FakeGateway) -> None:
    timeouts = GatewayTimeouts(stream_idle=0.3)
    async with VideoGateway(base_url=gateway.base_url, api_key=API_KEY, timeouts=timeouts) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="nothing for"):
            await collect(client, VideoRequest(prompt="silence #stall", model="veo-3.1-fast"))
    assert time.monotonic() - started < 3


async def test_total_cap_uses_the_injected_clock(gateway: FakeGateway) -> None:
    ticks = iter(range(0, 10_000, 250))
    async with VideoGateway(
        base_url=gateway.base_url, api_key=API_KEY, clock=lambda: float(next(ticks))
    ) as client:
        with pytest.raises(APITimeoutError, match="longer than 600 s"):
            await collect(client, VideoRequest(prompt="long one", model="veo-3.1-fast"))


async def test_429_with_retry_after_then_success(
    client: VideoGateway, gateway: FakeGateway, clock: ManualClock
) -> None:
    gateway.retry_after = "7"
    events = await collect(client, VideoRequest(prompt="busy hour #429:1", model="veo-3.1-fast"))

    assert len(videos(events)) == 1
    assert [r.status for r in gateway.requests_to("/v1/chat/completions")] == [429, 200]
    assert clock.sleeps == [7.0]


async def test_5xx_on_submit_is_retried_then_succeeds(
    client: VideoGateway, gateway: FakeGateway, clock: ManualClock
) -> None:
    gateway.inject("502", count=2, path_prefix="/v1/chat/completions")
    events = await collect(client, VideoRequest(prompt="retry me", model="veo-3.1-fast"))

    assert len(videos(events)) == 1
    assert [r.status for r in gateway.requests_to("/v1/chat/completions")] == [502, 502, 200]
    assert clock.sleeps == [0.5, 1.0]


async def test_5xx_exhausting_retries(client: VideoGateway, gateway: FakeGateway) -> None:
    with pytest.raises(ServerError) as caught:
        await collect(client, VideoRequest(prompt="down #500", model="veo-3.1-fast"))
    assert caught.value.status_code == 500
    assert len(gateway.requests_to("/v1/chat/completions")) == 3


async def test_rate_limit_exhausting_retries_keeps_retry_after(
    client: VideoGateway, gateway: FakeGateway
) -> None:
    with pytest.raises(RateLimitError) as caught:
        await collect(client, VideoRequest(prompt="broke #429", model="veo-3.1-fast"))
    assert caught.value.retry_after == 1.0
    assert caught.value.code == "quota_exceeded"


@pytest.mark.parametrize(
    ("marker", "error"),
    [
        ("#400", BadRequestError),
        ("#403", ContentPolicyError),
        ("#401", AuthenticationError),
        ("#drop", APIConnectionError),
    ],
)
async def test_refusals_and_dropped_submits_are_not_retried(
    client: VideoGateway, gateway: FakeGateway, marker: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await collect(client, VideoRequest(prompt=f"no {marker}", model="veo-3.1-fast"))
    assert len(gateway.requests_to("/v1/chat/completions")) == 1


async def test_403_keeps_its_code(client: VideoGateway) -> None:
    with pytest.raises(ContentPolicyError) as caught:
        await collect(client, VideoRequest(prompt="no #403", model="veo-3.1-fast"))
    assert (caught.value.status_code, caught.value.code) == (403, "content_policy_violation")


async def test_whole_json_answer_instead_of_a_stream(client: VideoGateway) -> None:
    events = await collect(client, VideoRequest(prompt="no streaming here #json", model="veo-3.1-fast", n=2))

    assert [video.index for video in videos(events)] == [0, 1]


async def test_whole_json_policy_answer(client: VideoGateway) -> None:
    request = VideoRequest(prompt="#json #audio", model="veo-3.1-fast")
    events, error = await collect_until_failure(client, request, ContentPolicyError)

    assert events == []
    assert isinstance(error, ContentPolicyError)
    assert error.code == "PUBLIC_ERROR_AUDIO_FILTERED"


async def test_two_hundred_concurrent_streams(gateway: FakeGateway) -> None:
    gateway.generation_seconds = 0.5
    async with VideoGateway(base_url=gateway.base_url, api_key=API_KEY) as client:
        started = time.monotonic()
        results = await asyncio.gather(
            *(collect(client, VideoRequest(prompt=f"job {i}", model="veo-3.1-fast")) for i in range(200))
        )
    assert all(len(videos(events)) == 1 for events in results)
    assert gateway.stats.max_streams_open > 100
    assert time.monotonic() - started < 6
