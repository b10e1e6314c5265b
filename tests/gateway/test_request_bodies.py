"""The wire bodies built from a VideoRequest (pure; the fake gateway checks them over HTTP too)."""

from __future__ import annotations

import base64

from bot.gateway.catalog import get_model
from bot.gateway.errors import ContentPolicyError, GenerationFailedError, error_from_task, shorten
from bot.gateway.events import TaskStatus
from bot.gateway.request import ImageInput, VideoRequest, chat_body, task_body

IMAGE = ImageInput(data=b"\xff\xd8jpeg", mime_type="image/jpeg")
OFFICIAL = "veo-3.1-fast-generate-preview"


def test_chat_body_sends_images_as_data_urls_after_the_text() -> None:
    request = VideoRequest(prompt=" it moves ", model="veo-3.1-fl", images=(IMAGE, IMAGE), n=2)
    body = chat_body(request, get_model(request.model))
    content = body["messages"][0]["content"]
    assert (body["model"], body["stream"], body["n"]) == ("veo-3.1-fl", True, 2)
    assert content[0] == {"type": "text", "text": "it moves"}
    assert content[1]["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(IMAGE.data).decode()


def test_reverse_task_is_json_without_images_and_multipart_with_them() -> None:
    text = VideoRequest(prompt="a fox", model="veo-3.1-fast")
    assert task_body(text, get_model(text.model)) == {"json": {"prompt": "a fox", "model": "veo-3.1-fast"}}
    frames = VideoRequest(prompt="a fox", model="veo-3.1-fast-fl", images=(IMAGE, IMAGE))
    body = task_body(frames, get_model(frames.model))
    assert body["data"] == {"prompt": "a fox", "model": "veo-3.1-fast-fl"}
    assert [name for name, _ in body["files"]] == ["input_reference", "input_reference"]


def test_official_json_uses_duration_as_a_string_and_metadata() -> None:
    request = VideoRequest(prompt="a fox", model=OFFICIAL, seconds=4, aspect_ratio="9:16", seed=7)
    assert task_body(request, get_model(OFFICIAL)) == {
        "json": {
            "model": OFFICIAL,
            "prompt": "a fox",
            "size": "720x1280",
            "duration": "4",
            "metadata": {"resolution": "720p", "aspectRatio": "9:16", "seed": 7},
        }
    }


def test_official_multipart_uses_seconds_and_flat_string_fields() -> None:
    request = VideoRequest(
        prompt="a fox", model=OFFICIAL, images=(IMAGE,), resolution="1080p", negative_prompt="blur", seed=3
    )
    body = task_body(request, get_model(OFFICIAL))
    assert body["data"] == {
        "model": OFFICIAL,
        "prompt": "a fox",
        "size": "1920x1080",
        "seconds": "8",
        "resolution": "1080p",
        "aspectRatio": "16:9",
        "seed": "3",
        "negativePrompt": "blur",
    }
    assert "duration" not in body["data"] and "generateAudio" not in body["data"]
    assert [name for name, _ in body["files"]] == ["input_reference"]


def test_a_failed_task_maps_to_policy_or_generation_failure() -> None:
    policy = error_from_task(
        TaskStatus.model_validate({"id": "v1", "status": "failed", "fail_reason": "PUBLIC_ERROR_X"})
    )
    assert isinstance(policy, ContentPolicyError) and policy.code == "PUBLIC_ERROR_X"
    plain = error_from_task(TaskStatus.model_validate({"id": "v2", "status": "failed"}))
    assert isinstance(plain, GenerationFailedError) and plain.reason is None
    assert str(plain) == "generation failed: no reason given"


def test_shorten_folds_whitespace_and_cuts_with_an_ellipsis() -> None:
    assert shorten("a  b\n c") == "a b c"
    assert shorten("x" * 10, 5) == "xxxx…"
