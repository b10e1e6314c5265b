"""A job's request in the ledger: JSON without the images (stored apart), restored whole and in order."""

from __future__ import annotations

import json

import pytest

from bot.gateway.request import ImageInput, VideoRequest
from bot.jobs.requests import dump_request, prompt_of, restore_request, segments_of
from tests.fakes.media import make_image

START = make_image(color=(10, 20, 30))
END = make_image(fmt="PNG", color=(200, 10, 10))

REQUESTS = {
    "reverse text": VideoRequest(prompt="a fox in the snow", model="veo-3.1-fast", n=3),
    "reverse frames": VideoRequest(
        prompt="the fox jumps",
        model="veo-3.1-fast-fl",
        images=(ImageInput(data=START, mime_type="image/jpeg"), ImageInput(data=END, mime_type="image/png")),
    ),
    "official everything": VideoRequest(
        prompt='日落时的灯塔 🌅 "quoted" <b>',
        model="veo-3.1-generate-preview",
        images=(ImageInput(data=START, mime_type="image/jpeg"),),
        seconds=8,
        resolution="4k",
        aspect_ratio="9:16",
        seed=2**32 - 1,
        negative_prompt="blurry, text",
    ),
}


def stored_images(request: VideoRequest) -> list[tuple[str, bytes]]:
    """The images as the ledger's own table keeps them: (mime type, bytes), in order."""
    return [(image.mime_type, image.data) for image in request.images]


@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
@pytest.mark.parametrize("segments", [1, 3])
def test_a_stored_request_restores_to_the_same_request(request_: VideoRequest, segments: int) -> None:
    stored = dump_request(request_, segments=segments)
    assert restore_request(stored, stored_images(request_)) == request_
    assert segments_of(stored) == segments
    assert prompt_of(stored) == request_.prompt


def test_the_json_leaves_the_images_out_and_marks_only_chained_videos() -> None:
    request = REQUESTS["reverse frames"]
    plain = json.loads(dump_request(request))
    assert "images" not in plain and "segments" not in plain
    assert plain["prompt"] == "the fox jumps" and plain["model"] == "veo-3.1-fast-fl"
    assert json.loads(dump_request(request, segments=2))["segments"] == 2
    assert restore_request(dump_request(request), []).images == ()


def test_images_come_back_in_the_order_given() -> None:
    request = REQUESTS["reverse frames"]
    swapped = restore_request(dump_request(request), [("image/png", END), ("image/jpeg", START)])
    assert [image.data for image in swapped.images] == [END, START]


def test_rows_written_before_segments_existed_are_single_clips() -> None:
    old_row = '{"prompt": "a fox", "model": "veo-3.1-fast", "n": 1}'
    assert segments_of(old_row) == 1
    assert restore_request(old_row, []) == VideoRequest(prompt="a fox", model="veo-3.1-fast")


def test_a_row_without_a_prompt_has_an_empty_one() -> None:
    assert prompt_of('{"model": "veo-3.1-fast"}') == ""
