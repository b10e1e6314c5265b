"""Async tasks (both channels): submit, poll, download, against the fake gateway over real HTTP."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from bot.gateway.client import VideoGateway
from bot.gateway.errors import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    ContentPolicyError,
    GenerationFailedError,
    InvalidRequestError,
    ServerError,
    VideoNotFoundError,
)
from bot.gateway.events import TaskStatus
from bot.gateway.request import ImageInput, VideoRequest
from tests.fakes.gateway import AUDIO_REASON, POLICY_REASON, FakeGateway, ManualClock
from tests.fakes.media import make_image
from tests.gateway.conftest import API_KEY, jpeg

OFFICIAL = "veo-3.1-fast-generate-preview"


def video_info(path: Path) -> tuple[int, int, float]:
    """(width, height, seconds) of a real MP4."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        seconds = float(container.duration or 0) / 1_000_000
        return stream.codec_context.width, stream.codec_context.height, seconds


async def run_task(client: VideoGateway, request: VideoRequest, dest: Path) -> tuple[TaskStatus, Path]:
    created = await client.create_task(request)
    done = await client.wait_for_task(created.task_id)
    return done, await client.download_result(done.task_id, model=request.model, dest=dest)


async def test_reverse_text_task_end_to_end(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    created = await client.create_task(VideoRequest(prompt="A cute kitten playing", model="veo-3.1"))
    assert created.status == "queued"
    assert created.task_id.startswith("video_")

    done = await client.wait_for_task(created.task_id)
    path = await client.download_result(done.task_id, model="veo-3.1", dest=tmp_path / "out" / "clip.mp4")

    assert done.status == "completed"
    assert path == tmp_path / "out" / "clip.mp4"
    assert video_info(path)[:2] == (72, 128)  # portrait
    assert not (tmp_path / "out" / "clip.part").exists()
    (submit,) = gateway.requests_to("/v1/videos", "POST")
    assert submit.json == {"prompt": "A cute kitten playing", "model": "veo-3.1"}
    assert submit.authorization == f"Bearer {API_KEY}"
    (content,) = gateway.requests_to(f"/v1/videos/{created.task_id}/content")
    assert content.authorization == f"Bearer {API_KEY}"
    (download,) = gateway.requests_to("/files/")
    assert download.authorization is None  # the result host never sees our key
    assert download.headers["Host"].endswith(f":{gateway.cdn_port}")


@pytest.mark.parametrize("count", [1, 2])
async def test_reverse_frame_to_video_is_multipart(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path, count: int
) -> None:
    images = (ImageInput(data=make_image(fmt="PNG"), mime_type="image/png"), jpeg())[:count]
    request = VideoRequest(prompt="day to night", model="veo-3.1-landscape-fl", images=images)
    _, path = await run_task(client, request, tmp_path / "fl.mp4")

    (submit,) = gateway.requests_to("/v1/videos", "POST")
    assert submit.json is None
    assert submit.headers["Content-Type"].startswith("multipart/form-data")
    assert submit.form == {"prompt": ["day to night"], "model": ["veo-3.1-landscape-fl"]}
    assert [(f.field, f.filename, f.content_type, f.size) for f in submit.files] == [
        ("input_reference", image.filename, image.mime_type, len(image.data)) for image in images
    ]
    assert video_info(path)[:2] == (128, 72)  # landscape


async def test_official_text_task_json_body(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    request = VideoRequest(
        prompt="A coastal lighthouse at dusk",
        model="veo-3.1-generate-preview",
        resolution="1080p",
        aspect_ratio="9:16",
        seed=20260521,
        negative_prompt="blurry, watermark",
    )
    created = await client.create_task(request)

    assert created.task_id.startswith("task_")
    (submit,) = gateway.requests_to("/v1/videos", "POST")
    assert submit.json == {
        "model": "veo-3.1-generate-preview",
        "prompt": "A coastal lighthouse at dusk",
        "duration": "8",
        "size": "1080x1920",
        "metadata": {
            "resolution": "1080p",
            "aspectRatio": "9:16",
            "seed": 20260521,
            "negativePrompt": "blurry, watermark",
        },
    }


async def test_official_defaults_are_landscape_720p(client: VideoGateway, gateway: FakeGateway) -> None:
    await client.create_task(VideoRequest(prompt="waves", model=OFFICIAL, seconds=4))

    body = gateway.requests_to("/v1/videos", "POST")[0].json
    assert body == {
        "model": OFFICIAL,
        "prompt": "waves",
        "duration": "4",
        "size": "1280x720",
        "metadata": {"resolution": "720p", "aspectRatio": "16:9"},
    }
    assert gateway.tasks[next(iter(gateway.tasks))].seconds == 4


async def test_official_image_task_multipart_with_seconds(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    image = ImageInput(data=make_image(fmt="WEBP"), mime_type="image/webp")
    request = VideoRequest(
        prompt="camera rises",
        model=OFFICIAL,
        images=(image,),
        seconds=6,
        aspect_ratio="9:16",
        seed=7,
        negative_prompt="blurry",
    )
    done, path = await run_task(client, request, tmp_path / "official.mp4")

    (submit,) = gateway.requests_to("/v1/videos", "POST")
    assert submit.form == {
        "model": [OFFICIAL],
        "prompt": ["camera rises"],
        "seconds": ["6"],
        "size": ["720x1280"],
        "resolution": ["720p"],
        "aspectRatio": ["9:16"],
        "seed": ["7"],
        "negativePrompt": ["blurry"],
    }
    assert [(f.field, f.content_type) for f in submit.files] == [("input_reference", "image/webp")]
    width, height, seconds = video_info(path)
    assert (width, height) == (72, 128)
    assert seconds == pytest.approx(6, abs=1)
    assert done.model == OFFICIAL


@pytest.mark.parametrize("model", ["veo-3.1-generate-preview", OFFICIAL])
async def test_official_content_400_right_after_completion_is_retried(
    client: VideoGateway, gateway: FakeGateway, clock: ManualClock, tmp_path: Path, model: str
) -> None:
    gateway.content_delay_seconds = 10.0
    _, path = await run_task(client, VideoRequest(prompt="soon", model=model), tmp_path / "v.mp4")

    statuses = [r.status for r in gateway.requests if r.path.endswith("/content")]
    # Completed at 5 s (first poll after one interval); ready 10 s later; tries at 5, 9 and 13 s.
    assert statuses == [400, 400, 200]
    assert clock.sleeps == [5.0, 4.0, 4.0]
    assert path.stat().st_size > 0
    assert all(r.authorization == f"Bearer {API_KEY}" for r in gateway.requests_to("/v1/videos/"))


async def test_official_content_never_ready_gives_up_after_five_tries(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.content_delay_seconds = 10_000.0
    created = await client.create_task(VideoRequest(prompt="never", model=OFFICIAL))
    await client.wait_for_task(created.task_id)

    with pytest.raises(BadRequestError) as caught:
        await client.download_result(created.task_id, model=OFFICIAL, dest=tmp_path / "v.mp4")
    assert caught.value.code == "video_not_ready"
    assert len([r for r in gateway.requests if r.path.endswith("/content")]) == 5
    assert list(tmp_path.iterdir()) == []


async def test_statuses_progress_through_both_channels(client: VideoGateway, gateway: FakeGateway) -> None:
    gateway.generation_seconds = 20.0
    for model, middle, progress in [("veo-3.1-fast", "processing", 25.0), (OFFICIAL, "processing", 50.0)]:
        seen: list[TaskStatus] = []

        async def record(status: TaskStatus, seen: list[TaskStatus] = seen) -> None:
            seen.append(status)

        created = await client.create_task(VideoRequest(prompt="slowly", model=model))
        await client.wait_for_task(created.task_id, on_status=record)

        assert [s.status for s in seen] == ["queued", middle, middle, middle, "completed"]
        assert seen[1].progress == progress
        assert seen[-1].progress == 100.0
        assert all(s.task_id == created.task_id for s in seen)
    assert gateway.stats.completed == 2


async def test_policy_failure_of_a_reverse_task(client: VideoGateway, gateway: FakeGateway) -> None:
    created = await client.create_task(VideoRequest(prompt="dialogue #audio", model="veo-3.1-fast"))

    with pytest.raises(ContentPolicyError) as caught:
        await client.wait_for_task(created.task_id)
    assert caught.value.reason == AUDIO_REASON
    assert gateway.stats.failed == 1


async def test_policy_failure_of_an_official_task(client: VideoGateway) -> None:
    created = await client.create_task(VideoRequest(prompt="celebrity #policy", model=OFFICIAL))

    with pytest.raises(ContentPolicyError) as caught:
        await client.wait_for_task(created.task_id)
    assert caught.value.reason == POLICY_REASON


@pytest.mark.parametrize("model", ["veo-3.1-fast", OFFICIAL])
async def test_generic_task_failure(client: VideoGateway, model: str) -> None:
    created = await client.create_task(VideoRequest(prompt="busy #fail", model=model))

    with pytest.raises(GenerationFailedError) as caught:
        await client.wait_for_task(created.task_id)
    assert caught.value.kind == "generation_failed"
    if model == OFFICIAL:  # "status: failed may not include a detailed error field"
        assert caught.value.reason is None


async def test_total_cap_counts_from_started_at(
    client: VideoGateway, gateway: FakeGateway, clock: ManualClock
) -> None:
    gateway.generation_seconds = 10_000.0
    created = await client.create_task(VideoRequest(prompt="forever", model="veo-3.1-fast"))

    with pytest.raises(APITimeoutError, match="did not finish within 600 s"):
        await client.wait_for_task(created.task_id, started_at=clock() - 590)
    assert len(gateway.requests_to(f"/v1/videos/{created.task_id}")) == 3
    assert clock.sleeps == [5.0, 5.0]


async def test_a_resumed_job_past_its_deadline_still_polls_once(
    client: VideoGateway, clock: ManualClock
) -> None:
    created = await client.create_task(VideoRequest(prompt="done meanwhile", model="veo-3.1-fast"))
    clock.advance(1)

    status = await client.wait_for_task(created.task_id, started_at=clock() - 10_000)
    assert status.status == "completed"


async def test_poll_5xx_is_retried(client: VideoGateway, gateway: FakeGateway, clock: ManualClock) -> None:
    gateway.generation_seconds = 100.0
    created = await client.create_task(VideoRequest(prompt="flaky", model="veo-3.1-fast"))
    gateway.inject("502", count=2, path_prefix="/v1/videos/", method="GET")

    status = await client.get_task(created.task_id)
    assert status.status == "queued"
    assert clock.sleeps == [0.5, 1.0]
    assert client.error_counts == {"server_error": 2}  # the operator's metrics see retried failures too


async def test_poll_5xx_exhausting_retries(client: VideoGateway, gateway: FakeGateway) -> None:
    created = await client.create_task(VideoRequest(prompt="down", model="veo-3.1-fast"))
    gateway.inject("503", count=3, path_prefix="/v1/videos/", method="GET")

    with pytest.raises(ServerError):
        await client.get_task(created.task_id)
    assert len(gateway.requests_to("/v1/videos/", "GET")) == 3


async def test_waiting_outlasts_a_short_outage(client: VideoGateway, gateway: FakeGateway) -> None:
    created = await client.create_task(VideoRequest(prompt="outage", model="veo-3.1-fast"))
    gateway.inject("drop", count=4, path_prefix="/v1/videos/", method="GET")

    status = await client.wait_for_task(created.task_id)
    assert status.status == "completed"


async def test_unknown_task_is_not_found_and_not_retried(
    client: VideoGateway, gateway: FakeGateway, tmp_path: Path
) -> None:
    with pytest.raises(VideoNotFoundError) as caught:
        await client.get_task("video_does-not-exist")
    assert caught.value.code == "video_not_found"
    with pytest.raises(VideoNotFoundError):
        await client.download_result("task_nope", model=OFFICIAL, dest=tmp_path / "x.mp4")
    assert len(gateway.requests) == 2


async def test_submit_429_then_success(
    client: VideoGateway, gateway: FakeGateway, clock: ManualClock
) -> None:
    created = await client.create_task(VideoRequest(prompt="queue #429:1", model=OFFICIAL))

    assert created.status == "queued"
    assert [r.status for r in gateway.requests_to("/v1/videos", "POST")] == [429, 200]
    assert clock.sleeps == [1.0]


async def test_submit_500_then_success(client: VideoGateway, gateway: FakeGateway) -> None:
    await client.create_task(VideoRequest(prompt="oops #500:2", model="veo-3.1-fast"))

    assert [r.status for r in gateway.requests_to("/v1/videos", "POST")] == [500, 500, 200]
    assert gateway.stats.created == 1


async def test_submit_connection_drop_is_not_retried(client: VideoGateway, gateway: FakeGateway) -> None:
    with pytest.raises(APIConnectionError):
        await client.create_task(VideoRequest(prompt="gone #drop", model="veo-3.1-fast"))
    assert len(gateway.requests_to("/v1/videos", "POST")) == 1


async def test_submit_400_is_not_retried(client: VideoGateway, gateway: FakeGateway) -> None:
    gateway.inject("400", path_prefix="/v1/videos")
    with pytest.raises(BadRequestError) as caught:
        await client.create_task(VideoRequest(prompt="bad", model="veo-3.1-fast"))
    assert caught.value.status_code == 400
    assert len(gateway.requests) == 1


async def test_invalid_async_requests_send_nothing(client: VideoGateway, gateway: FakeGateway) -> None:
    for request in [
        VideoRequest(prompt="two", model="veo-3.1-fast", n=2),
        VideoRequest(prompt="4k short", model=OFFICIAL, resolution="4k", seconds=4),
        VideoRequest(prompt="", model=OFFICIAL),
    ]:
        with pytest.raises(InvalidRequestError):
            await client.create_task(request)
    assert gateway.requests == []
